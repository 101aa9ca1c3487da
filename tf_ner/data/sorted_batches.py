"""Batch plans over rows sorted by length: a count of rows (`EpochBatches`) or a token
budget (`TokenBatches`) a batch.

A batch plan is what `tf_ner.data.pipeline.batched_dataset` turns into a `tf.data`
dataset: `len()` batches an epoch, a settable `epoch`, `plan(epoch)`, and one epoch of
numpy batches per call.

Rows are sorted by length (rows of one length in a new random order every epoch when
shuffled) and cut into consecutive batches, so a batch holds rows of about one length
and is padded to the bucket of its longest row (`tf_ner.data.buckets`): with a bucket
for every length, the default, to its longest row, as Hugging Face's `group_by_length`
pads (`benchmarks/results/same_recipe_ner_10min_amd_lr1e-3_dropout0.md`: batches of 32
bucketed every 8 tokens were 92.5% real tokens, Hugging Face's 98%). The sorted lengths
are the same every epoch, so is the number of batches (what the schedules and the
progress line count); which rows of a length share a batch, and the order of the
batches, are drawn again from `numpy.random.default_rng([seed, epoch])`.
"""

import numpy as np

from tf_ner.data.buckets import bucket_of, padded_ids
from tf_ner.ground.errors import SettingsError


def check_batch_tokens(batch_tokens, buckets, multiple=1):
    """Raises `ValueError` unless `batch_tokens` holds `multiple` rows of the longest bucket."""
    if not isinstance(multiple, int) or multiple < 1:
        raise SettingsError(f"multiple={multiple!r}: expected a positive int (the replicas)")
    if not isinstance(batch_tokens, int) or batch_tokens < multiple * buckets[-1]:
        raise SettingsError(
            f"batch_tokens={batch_tokens!r} holds fewer than {multiple} window(s) of "
            f"{buckets[-1]} tokens (the longest bucket, one per replica): give at least "
            f"{multiple * buckets[-1]}"
        )


class SortedBatches:
    """The batch plan over rows sorted by length; subclasses say where batches are cut
    (`_cut`) and how many rows a batch cut short is filled up to (`_filled`).

    Args:
        token_ids: list of int arrays, one per row ([CLS] ... [SEP]).
        buckets: increasing ints, the padded lengths; the last holds every row.
        stack_labels: callable `(rows, length) -> labels array` of those rows (a list
            of row indices) padded for `length`, or None (features only).
        shuffle: bool, a new draw every epoch (training); False: rows of one length
            in corpus order, batches shortest first.
        seed: int.
    """

    window_weights = False

    def __init__(self, token_ids, buckets, stack_labels, shuffle, seed):
        self.token_ids = token_ids
        self.lengths = np.array([len(ids) for ids in token_ids], dtype=np.int64)
        self.buckets = tuple(buckets)
        self.stack_labels = stack_labels
        self.shuffle = shuffle
        self.seed = seed
        self.epoch = 0
        self._cuts = self._cut(np.sort(self.lengths, kind="stable"))

    def _cut(self, sorted_lengths):
        """`[(start, end, padded_length)]` of the batches over rows sorted by length."""
        raise NotImplementedError

    def _filled(self, count):
        """The rows a batch of `count` rows is filled up to (with its own rows again)."""
        raise NotImplementedError

    def __len__(self):
        return len(self._cuts)

    @property
    def rows(self):
        """Rows an epoch holds, each once."""
        return len(self.lengths)

    @property
    def rows_per_update(self):
        """Mean rows per batch (fills included)."""
        filled = sum(self._filled(end - start) for start, end, _ in self._cuts)
        return filled / max(1, len(self))

    @property
    def bucket_lengths(self):
        """The padded lengths the batches use, increasing."""
        return tuple(sorted({length for _, _, length in self._cuts}))

    def plan(self, epoch):
        """List of `(padded_length, rows)` batches in yield order (`rows`: row indices)."""
        rng = np.random.default_rng([self.seed, epoch]) if self.shuffle else None
        ties = rng.random(len(self.lengths)) if rng is not None else np.arange(len(self.lengths))
        order = np.lexsort((ties, self.lengths))
        batches = []
        for start, end, length in self._cuts:
            rows = order[start:end]
            batches.append((length, np.resize(rows, self._filled(len(rows)))))
        if rng is not None:
            batches = [batches[k] for k in rng.permutation(len(batches))]
        return batches

    def __call__(self):
        epoch, self.epoch = self.epoch, self.epoch + 1
        reference = self.rows_per_update
        for length, rows in self.plan(epoch):
            ids = padded_ids(self.token_ids, rows, length)
            features = {"token_ids": ids, "segment_ids": np.zeros_like(ids)}
            if self.stack_labels is None:
                yield features
                continue
            labels = self.stack_labels(rows, length)
            if not self.window_weights:
                yield features, labels
                continue
            weights = np.full(len(rows), len(rows) / reference, np.float32)
            yield features, labels, weights


class EpochBatches(SortedBatches):
    """Batches of `batch_size` rows; every row once per epoch.

    Args: those of `SortedBatches`, and
        batch_size: int, rows a batch. With `shuffle` the epoch's last batch, cut
            short, is filled up with its own rows drawn again, so that every training
            batch has `batch_size` rows; without, it keeps what is left.
    """

    def __init__(self, token_ids, buckets, stack_labels, batch_size, shuffle, seed):
        self.batch_size = batch_size
        super().__init__(token_ids, buckets, stack_labels, shuffle, seed)

    def _cut(self, sorted_lengths):
        cuts = []
        for start in range(0, len(sorted_lengths), self.batch_size):
            end = min(start + self.batch_size, len(sorted_lengths))
            cuts.append((start, end, bucket_of(self.buckets, int(sorted_lengths[end - 1]))))
        return cuts

    def _filled(self, count):
        return self.batch_size if self.shuffle else count


class TokenBatches(SortedBatches):
    """Batches of at most `batch_tokens` padded positions; every row once per epoch.

    A batch takes the next row while its rows, each padded to the bucket length of the
    longest, hold at most `batch_tokens` positions and their count can still be split
    evenly across `multiple` replicas: many short rows or few long ones, batches full
    whatever the buckets.

    Args: those of `SortedBatches`, and
        batch_tokens: int, padded positions a batch may hold ([CLS], [SEP] and
            padding included).
        multiple: int, every batch's row count is a multiple of it (the replicas); a
            batch cut short of one is filled up with its own rows drawn again.
        window_weights: bool, also yield a weight per row, `rows in the batch / mean
            rows per batch`: a loss averaged over a batch's rows, weighted, is their
            sum over a constant (every row weighs the same in every batch).
    """

    def __init__(
        self, token_ids, buckets, stack_labels, batch_tokens, shuffle, seed, multiple=1,
        window_weights=False,
    ):  # fmt: skip
        check_batch_tokens(batch_tokens, buckets, multiple)
        self.batch_tokens = batch_tokens
        self.multiple = multiple
        self.window_weights = window_weights
        super().__init__(token_ids, buckets, stack_labels, shuffle, seed)

    def _cut(self, sorted_lengths):
        cuts, start, padded = [], 0, None
        for index, length in enumerate(sorted_lengths):
            bucket = bucket_of(self.buckets, int(length))
            capacity = self.batch_tokens // bucket // self.multiple * self.multiple
            if index > start and index - start + 1 > capacity:
                cuts.append((start, index, padded))
                start = index
            padded = bucket
        if len(sorted_lengths):
            cuts.append((start, len(sorted_lengths), padded))
        return cuts

    def _filled(self, count):
        return -(-count // self.multiple) * self.multiple
