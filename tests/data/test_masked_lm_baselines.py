"""Trivial masked-LM predictors against values computed by hand."""

import numpy as np
import pytest

from tf_ner.data.masked_lm import (
    MaskedBatch,
    bigram_accuracy,
    count_bigrams,
    most_frequent_copy_accuracy,
)

# Ids: 0 [PAD], 1 [UNK], 2 [CLS], 3 [SEP], 4 [MASK]; characters a=5, b=6, c=7, d=8.
MASK, VOCAB, CANDIDATES = 4, 9, np.arange(5, 9)
TRAIN = np.array(
    [
        [2, 5, 6, 7, 3, 0],
        [2, 5, 6, 8, 3, 0],
        [2, 5, 6, 7, 3, 0],
        [2, 6, 6, 7, 3, 0],
    ]
)


def batch(rows, predictions):
    """A `MaskedBatch` from input rows and `[(row, position, label)]`."""
    rows = np.array(rows, dtype=np.int32)
    positions = np.zeros((len(rows), 2), np.int32)
    labels = np.full((len(rows), 2), -1, np.int32)
    slots = [0] * len(rows)
    for row, position, label in predictions:
        positions[row, slots[row]], labels[row, slots[row]] = position, label
        slots[row] += 1
    return MaskedBatch(rows, positions, labels)


# Row 0: a masked after [CLS]; row 1: b masked between a and c, c kept; row 2: d masked
# between b and [SEP]; row 3: b replaced by a random d.
HELD_OUT = batch(
    [[2, 4, 6, 7, 3], [2, 5, 4, 7, 3], [2, 5, 6, 4, 3], [2, 5, 8, 7, 3]],
    [(0, 1, 5), (1, 2, 6), (1, 3, 7), (2, 3, 8), (3, 2, 6)],
)


def test_counts():
    counts = count_bigrams(TRAIN, VOCAB)
    assert counts.unigram.tolist() == [0, 0, 4, 4, 0, 3, 5, 3, 1]
    ids, n = counts.following[6]  # after b: b once, c 3 times, d once
    assert dict(zip(ids.tolist(), n.tolist(), strict=True)) == {6: 1.0, 7: 3.0, 8: 1.0}
    ids, n = counts.preceding[3]  # before [SEP]: c 3 times, d once
    assert dict(zip(ids.tolist(), n.tolist(), strict=True)) == {7: 3.0, 8: 1.0}
    assert 0 not in counts.following and 0 not in counts.preceding  # padding pairs none


def test_most_frequent_copy():
    # b (5 times) at each [MASK]: right once (row 1); the kept c right, the random d wrong.
    unigram = count_bigrams(TRAIN, VOCAB).unigram
    assert most_frequent_copy_accuracy(HELD_OUT, unigram, MASK, CANDIDATES) == 2 / 5


def test_most_frequent_ignores_special_tokens():
    # [CLS] and [SEP] (4 each) are not candidates even when they outnumber a character.
    rows = np.array([[2, 5, 3, 2, 6, 3, 2, 5, 3]])
    unigram = count_bigrams(rows, VOCAB).unigram
    held_out = batch([[2, 4, 3]], [(0, 1, 5)])
    assert most_frequent_copy_accuracy(held_out, unigram, MASK, CANDIDATES) == 1.0


def test_bigram():
    # Smoothed with alpha 1 towards the unigram (p(b) = 5/12 among characters, p([SEP])
    # = 4/20 of all tokens), by hand:
    # row 0, between [CLS] and b: a scores 3.25/5 * 3.25/4 = 0.53 (b: 0.06): right;
    # row 1, between a and c: b scores 3.42/4 * 3.15/6 = 0.45: right; c kept: right;
    # row 2, between b and [SEP]: c scores 3.25/6 * 3.2/4 = 0.43, d only 0.11: wrong;
    # row 3: the random d is copied: wrong.
    counts = count_bigrams(TRAIN, VOCAB)
    assert bigram_accuracy(HELD_OUT, counts, MASK, CANDIDATES) == pytest.approx(3 / 5)


def test_bigram_leaves_out_masked_neighbours():
    # [CLS] [MASK] [MASK] c: the first by its left side alone (a, 0.65), the second by
    # its right side alone (b: 5/12 * 3.15/6 = 0.22 beats c and a at 0.01).
    counts = count_bigrams(TRAIN, VOCAB)
    held_out = batch([[2, 4, 4, 7, 3]], [(0, 1, 5), (0, 2, 6)])
    assert bigram_accuracy(held_out, counts, MASK, CANDIDATES) == 1.0
    unigram = counts.unigram
    assert most_frequent_copy_accuracy(held_out, unigram, MASK, CANDIDATES) == 1 / 2


def test_no_prediction_scores_zero():
    counts = count_bigrams(TRAIN, VOCAB)
    empty = batch([[2, 5, 3]], [])
    assert most_frequent_copy_accuracy(empty, counts.unigram, MASK, CANDIDATES) == 0.0
    assert bigram_accuracy(empty, counts, MASK, CANDIDATES) == 0.0
