"""Sinusoidal starting values for the learned position embeddings of a new encoder.

BERT learns its position embeddings from a truncated normal start, so at first every
position is unrelated to its neighbours, and attention cannot tell "the next
character" from any other until the table has organised itself: one reason masked-LM
pre-training from scratch dwells on the plateau where it predicts frequent tokens.
Starting the same learned table from the sinusoids of Vaswani et al. (2017, section
3.5), where `p_i . M p_j` depends on `i - j` alone for a suitable linear map `M`,
gives attention that structure from the first step. The table is still a trainable
`bert/embeddings/position_embeddings` of Google's shape: the checkpoint format does
not change.
"""

import numpy as np


def sinusoid_table(positions, width, spread=0.02):
    """`[positions, width]` float32: sines in the first half of the columns, cosines in
    the second, at wavelengths `2 pi * 10000 ** (2 k / width)`, scaled so that the
    values' root mean square is `spread` (BERT's initializer range).

    Raises:
        ValueError: an odd `width` (sines and cosines come in pairs).
    """
    if width % 2:
        raise ValueError(f"width={width}: expected an even number of columns")
    position = np.arange(positions, dtype=np.float64)[:, np.newaxis]
    rates = 10000.0 ** (-2.0 * np.arange(width // 2) / width)
    angles = position * rates[np.newaxis, :]
    table = np.concatenate([np.sin(angles), np.cos(angles)], axis=1)
    return (table * spread * np.sqrt(2.0)).astype(np.float32)


def start_positions_as_sinusoids(model, spread=0.02):
    """Assigns `sinusoid_table` to the model's `bert/embeddings/position_embeddings`.

    Returns:
        The variable's path.

    Raises:
        ValueError: the model has no such variable.
    """
    path = "bert/embeddings/position_embeddings"
    for variable in model.weights:
        if variable.path == path:
            variable.assign(sinusoid_table(*variable.shape, spread=spread))
            return path
    raise ValueError(f"the model has no {path}: it is not a BERT encoder with Google names")
