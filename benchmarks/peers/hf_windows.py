"""What the Hugging Face peers of prediction share: the fast tokenizer's windows of the
texts, and rows of token ids padded into one batch."""

import numpy as np


def windows(tokenizer, texts, stride, **options):
    """The fast tokenizer's encoding of `texts` split into windows of at most its
    `model_max_length` tokens, neighbours sharing `stride` tokens (`input_ids` per
    window, `overflow_to_sample_mapping` to its text); `options` are passed on (e.g.
    `return_offsets_mapping=True`)."""
    return tokenizer(
        texts,
        truncation=True,
        max_length=tokenizer.model_max_length,
        stride=stride,
        return_overflowing_tokens=True,
        **options,
    )


def padded(rows):
    """Rows of token ids as one int64 batch `[len(rows), longest]`, 0-padded."""
    ids = np.zeros((len(rows), max(map(len, rows))), np.int64)
    for r, row in enumerate(rows):
        ids[r, : len(row)] = row
    return ids
