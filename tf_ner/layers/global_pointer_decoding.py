"""Decoding GlobalPointer logits to token spans."""

import numpy as np

from tf_ner.ground.span_cells import span_cells


def decode_global_pointer(logits, threshold=0.0):
    """Keeps every cell whose logit exceeds `threshold`, nested spans included.

    Runs in numpy, outside the graph (after `predict`).

    Args:
        logits: `[batch, num_types, length, length]` array or tensor, the output of
            `GlobalPointer` / `EfficientGlobalPointer`. Cell `(t, i, j)` scores the span
            of tokens `i..j`, end inclusive.
        threshold: float, the decision threshold on logits. Defaults to 0 (the point
            where the multi-label cross-entropy of `tf_ner.losses` separates positives
            from negatives).

    Returns:
        A list with one list per example of `(type, start_token, end_token)` int
        tuples, end inclusive, sorted. Masked cells (padding, `[CLS]`/`[SEP]`, and
        `end < start` with `tril_mask=True`) hold a large negative logit and are never
        kept. Cells with `end < start` are not spans and are skipped even when the layer
        was built with `tril_mask=False`. Token spans are mapped to character spans by
        the data layer.

    Raises:
        ValueError: `logits` is not of rank 4 or its last two axes differ.
    """
    logits = np.asarray(logits)
    if logits.ndim != 4 or logits.shape[2] != logits.shape[3]:
        raise ValueError(
            "decode_global_pointer: `logits` must be [batch, num_types, length, length], "
            f"received shape {logits.shape}."
        )
    return [[tuple(cell) for cell in span_cells(row, threshold).tolist()] for row in logits]
