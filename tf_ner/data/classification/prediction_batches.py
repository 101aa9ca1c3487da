"""Encoded texts -> numpy batches to predict, sorted by length (no TensorFlow)."""

import numpy as np


def prediction_batches(token_ids, batch_size):
    """Batches of encoded texts to predict, sorted by length so that each is padded only
    to its longest text; numpy, for a forward function that takes any length.

    Args:
        token_ids: list of int32 arrays, one per text ([CLS] ... [SEP]).
        batch_size: int, texts per batch.

    Yields:
        `(rows, features)`: the texts' indices `[batch]` and `{"token_ids",
        "segment_ids"}` int32 `[batch, L]`.
    """
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r}: expected a positive int")
    order = np.argsort([len(ids) for ids in token_ids], kind="stable")
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        ids = np.zeros((len(rows), len(token_ids[rows[-1]])), np.int32)
        for row, text in enumerate(rows):
            ids[row, : len(token_ids[text])] = token_ids[text]
        yield rows, {"token_ids": ids, "segment_ids": np.zeros_like(ids)}
