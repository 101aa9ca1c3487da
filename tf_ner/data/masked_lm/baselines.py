"""Trivial masked-LM predictors, scored on the same masks as the model.

A masked LM first learns what needs no context: the frequent tokens, and that a
token that is not `[MASK]` is usually itself. Its held-out accuracy means something
only above these baselines:

- **most frequent + copy**: at a `[MASK]`, the most frequent token of the training
  rows; elsewhere the input token (right for the 10% kept, wrong for the 10%
  randomised). With BERT's 80/10/10 corruption this scores about
  `0.8 * p(most frequent) + 0.1`.
- **bigram**: at a `[MASK]`, the token `c` that maximises `P(c | left) * P(right | c)`
  under character-bigram counts of the training rows, `left`/`right` the input's
  neighbours (a neighbour that is itself `[MASK]` or padding is left out; with
  neither, the most frequent token); elsewhere the input token, as above. The
  bigram probabilities are smoothed towards the unigram distribution:
  `P(b | a) = (n(a, b) + alpha * p(b)) / (n(a) + alpha)`, `alpha = 1`.

Both count tokens of the packed training rows (`[CLS]`/`[SEP]` included as context,
padding not), so they know exactly what the model's training data holds.
"""

import dataclasses

import numpy as np

SMOOTHING = 1.0


@dataclasses.dataclass(frozen=True)
class BigramCounts:
    """Token and adjacent-pair counts of packed rows.

    Attributes:
        unigram: float64 `[vocab_size]`, each id's count (padding excluded).
        following: `{a: (ids b, counts n(a, b))}` of the pairs `a b`.
        preceding: `{b: (ids a, counts n(a, b))}` of the same pairs.
    """

    unigram: np.ndarray
    following: dict
    preceding: dict


def count_bigrams(ids, vocab_size, padding_id=0):
    """`BigramCounts` of int rows `[rows, length]` (pairs never cross a row's end)."""
    ids = np.asarray(ids, dtype=np.int64)
    real = ids != padding_id
    unigram = np.bincount(ids[real], minlength=vocab_size).astype(np.float64)
    both = real[:, :-1] & real[:, 1:]
    codes = ids[:, :-1][both] * vocab_size + ids[:, 1:][both]
    pairs, counts = np.unique(codes, return_counts=True)
    first, second = pairs // vocab_size, pairs % vocab_size
    return BigramCounts(
        unigram, _grouped(first, second, counts), _grouped(second, first, counts)
    )


def _grouped(keys, values, counts):
    """`{key: (values, counts)}` from parallel arrays."""
    order = np.argsort(keys, kind="stable")
    keys, values, counts = keys[order], values[order], counts[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else []
    ends = np.r_[starts[1:], len(keys)] if len(keys) else []
    return {
        int(keys[s]): (values[s:e], counts[s:e].astype(np.float64))
        for s, e in zip(starts, ends, strict=True)
    }


def _predictions(masked):
    """`(rows, positions, labels)` of the predicted slots of a `MaskedBatch`."""
    row, slot = np.nonzero(masked.labels >= 0)
    return row, masked.positions[row, slot], masked.labels[row, slot]


def most_frequent_copy_accuracy(masked, unigram, mask_id, candidates):
    """Accuracy of "the most frequent token at a [MASK], else the input token".

    Args:
        masked: `MaskedBatch` (the model's inputs, positions and labels).
        unigram: `[vocab_size]` counts of the training tokens.
        mask_id: int.
        candidates: int array, the ids it may predict (the vocabulary without the
            special tokens: a row's [SEP]s may outnumber any character).

    Returns:
        float, the share of predicted slots that this rule gets right (0 if none).
    """
    row, position, label = _predictions(masked)
    if not len(label):
        return 0.0
    candidates = np.asarray(candidates, dtype=np.int64)
    frequent = candidates[int(np.argmax(unigram[candidates]))]
    shown = masked.token_ids[row, position]
    guess = np.where(shown == mask_id, frequent, shown)
    return float(np.mean(guess == label))


def bigram_accuracy(masked, counts, mask_id, candidates, padding_id=0):
    """Accuracy of the bigram predictor (see the module) on a `MaskedBatch`.

    Args:
        masked: `MaskedBatch`.
        counts: `BigramCounts` of the training rows.
        mask_id: int.
        candidates: int array, the ids it may predict (the vocabulary without the
            special tokens).
        padding_id: int.

    Returns:
        float, the share of predicted slots it gets right (0 if none).
    """
    row, position, label = _predictions(masked)
    if not len(label):
        return 0.0
    candidates = np.unique(np.asarray(candidates, dtype=np.int64))
    unigram = counts.unigram
    prior = unigram[candidates] / max(unigram[candidates].sum(), 1.0)
    p_token = unigram / max(unigram.sum(), 1.0)
    unknown = (mask_id, padding_id)
    tokens, length = masked.token_ids, masked.token_ids.shape[1]
    right = 0
    for r, p, y in zip(row, position, label, strict=True):
        shown = tokens[r, p]
        if shown != mask_id:
            right += shown == y
            continue
        score = prior
        left = tokens[r, p - 1] if p > 0 else padding_id
        if left not in unknown:  # P(c | left)
            pairs = _pair_counts(counts.following, int(left), candidates)
            score = (pairs + SMOOTHING * prior) / (unigram[left] + SMOOTHING)
        after = tokens[r, p + 1] if p + 1 < length else padding_id
        if after not in unknown:  # times P(after | c)
            pairs = _pair_counts(counts.preceding, int(after), candidates)
            score = score * (pairs + SMOOTHING * p_token[after]) / (
                unigram[candidates] + SMOOTHING
            )
        right += candidates[int(np.argmax(score))] == y
    return float(right / len(label))


def _pair_counts(table, key, candidates):
    """The counts a grouped table holds for `key`, at every (sorted) candidate."""
    dense = np.zeros(len(candidates))
    ids, n = table.get(key, (np.empty(0, np.int64), np.empty(0)))
    index = np.searchsorted(candidates, ids)
    inside = index < len(candidates)
    index, ids, n = index[inside], ids[inside], n[inside]
    match = candidates[index] == ids
    dense[index[match]] = n[match]
    return dense
