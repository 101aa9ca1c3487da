"""Bucket lengths: the few padded lengths that batches of windows are cut to."""

import bisect

import numpy as np

from tf_ner.ground.errors import SettingsError


def default_buckets(max_length):
    """Bucket lengths that pad a window by at most about 1/8 of its length: the default
    under XLA, which compiles once for every length a batch takes.

    Steps of 8 tokens from 16 up to 128, of 16 up to 256, of 32 up to 512 and so on
    (the step is the largest power of two <= length / 8, at least 8), ending at
    `max_length`. Batches of MSRA (mean window 44 tokens) padded to them were 92.5% real
    tokens, against 98% padded to their longest (`every_length`, the default without
    XLA; `benchmarks/results/same_recipe_ner_10min_amd_lr1e-3_dropout0.md`).

    Args:
        max_length: int, positions of a window including [CLS] and [SEP].

    Returns:
        tuple of int, increasing; e.g. `(16, 24, ..., 120, 128)` for 128,
        `(16, 24, ..., 96, 100)` for 100.
    """
    buckets, length = [], 16
    while length < max_length:
        buckets.append(length)
        length += max(8, 1 << ((length // 8).bit_length() - 1))
    return (*buckets, max_length)


def every_length(max_length):
    """Every window length from 3 ([CLS], a token, [SEP]) to `max_length`: batches padded
    to their longest window, the default of every batch plan
    (`tf_ner.data.sorted_batches`). Keras's `fit` traces its step once for any length;
    a length's first step cost about as much as its next ones (MSRA, mini encoder: the
    first epoch over 60 lengths took 1-2% more CPU time than the second). Under XLA
    each length compiles once: there, `default_buckets`."""
    return tuple(range(3, max_length + 1))


def bucket_of(buckets, length):
    """The shortest of `buckets` (increasing) that holds `length` positions."""
    return buckets[bisect.bisect_left(buckets, length)]


def padded_ids(token_ids, rows, length):
    """int32 `[len(rows), length]`: the rows `rows` of `token_ids`, padded with 0 ([PAD])."""
    ids = np.zeros((len(rows), length), dtype=np.int32)
    for r, row in enumerate(rows):
        ids[r, : len(token_ids[row])] = token_ids[row]
    return ids


def check_buckets(buckets, max_length):
    """Validates bucket lengths; returns them sorted (every length when None).

    Raises:
        ValueError: a bucket that is not an int >= 3, or none that holds `max_length`.
    """
    if buckets is None:
        return every_length(max_length)
    buckets = tuple(sorted(set(buckets)))
    if not buckets or any(not isinstance(b, int) or b < 3 for b in buckets):
        raise SettingsError(f"buckets={buckets!r}: expected ints >= 3, e.g. (32, 64, 128)")
    if buckets[-1] < max_length:
        raise SettingsError(
            f"buckets={buckets!r} stop below max_length={max_length}: the longest bucket "
            f"must hold a full window; add {max_length}"
        )
    return buckets
