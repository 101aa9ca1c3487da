"""The one GlobalPointer decoder: the span cells of one window's logits above a threshold.

Numpy only, below both of its callers: `tf_ner.layers.decode_global_pointer` (token
spans of a batch) and `tf_ner.data.encoding.SpanLabeler.decode` (character spans).
"""

import numpy as np


def span_cells(logits, threshold=0.0):
    """Every cell `(type, first, last)` whose logit exceeds `threshold`, `first <= last`.

    Args:
        logits: `[num_types, length, length]` array: cell `(t, i, j)` scores tokens
            `i..j` (end inclusive) as an entity of type `t`.
        threshold: float, on logits (0: probability 0.5).

    Returns:
        int array `[num_cells, 3]`, rows sorted. Cells with `last < first` are never
        spans, whether or not the layer masked them.
    """
    cells = np.argwhere(np.asarray(logits) > threshold)
    return cells[cells[:, 1] <= cells[:, 2]]
