"""Packed rows -> one epoch of masked-LM batches per call, with fresh masks each epoch.

`MaskedLmBatches` keeps the protocol of `tf_ner.data.sorted_batches.EpochBatches`, so the
generic train loop drives it: each call yields the epoch in its `epoch` attribute and
then increments it; the train loop's `DeterministicEpochs` callback sets `epoch` at
each epoch start; `len()` is the batches per epoch.

Masks are drawn anew every epoch (RoBERTa's dynamic masking: the model never sees one
row masked the same way twice), from generators seeded by `(seed, epoch, batch)`, so
a run resumed at epoch `e` sees exactly the batches epoch `e` had. Held-out data takes
`fixed_masks=True`: every row is masked once, and every epoch scores the same
predictions.
"""

import numpy as np

from tf_ner.data.masked_lm.masking import mask_sequences, max_predictions_for


class MaskedLmBatches:
    """The generator behind a masked-LM dataset: each call is one epoch of batches.

    Args:
        packed: `PackedSequences` (from `pack_sequences`).
        batch_size: int, rows per batch.
        shuffle: bool, a new row order every epoch from `numpy.random.default_rng([seed,
            epoch])`, the last batch filled up with rows drawn again (as
            `EpochBatches` does); False keeps corpus order, every row once, the last
            batch possibly short.
        seed: int, the seed of row orders and masks.
        mask_id: int, the [MASK] id.
        vocab_size: int.
        special_ids: iterable of int, never chosen nor drawn as random tokens.
        rate: float, the share of tokens to predict.
        max_predictions: int, predictions per row at most; default
            `max_predictions_for(max_length, rate)`.
        fixed_masks: bool, the same masks every epoch (held-out evaluation).
        with_original: bool, add the rows unmasked as `"original_ids"` (replaced-token
            detection builds the discriminator's input from them).

    Call:
        Yields `(features, labels)`: `features = {"token_ids": int32 [batch, L],
        "segment_ids": int32 [batch, L] zeros, "masked_positions": int32 [batch, P]}`
        (and `"original_ids"` int32 `[batch, L]` with `with_original`),
        `labels` int32 `[batch, P]` (-1 where there is no prediction), `L` the packed
        length and `P = max_predictions`.

    Example:
    >>> batches = MaskedLmBatches(packed, 32, shuffle=True, seed=0, mask_id=4,
    ...                           vocab_size=21128, special_ids=range(5))  # doctest: +SKIP
    >>> features, labels = next(batches())  # doctest: +SKIP
    """

    def __init__(
        self,
        packed,
        batch_size,
        *,
        shuffle,
        seed,
        mask_id,
        vocab_size,
        special_ids,
        rate=0.15,
        max_predictions=None,
        fixed_masks=False,
        with_original=False,
    ):
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size={batch_size!r}: expected a positive int")
        if not isinstance(seed, int):
            raise ValueError(f"seed={seed!r}: expected an int (every epoch derives from it)")
        self.packed = packed
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.mask_id = mask_id
        self.vocab_size = vocab_size
        self.special_ids = tuple(int(i) for i in special_ids)
        self.rate = rate
        self.max_predictions = (
            max_predictions_for(packed.max_length, rate)
            if max_predictions is None
            else max_predictions
        )
        self.fixed_masks = fixed_masks
        self.with_original = with_original
        self.epoch = 0
        self._fixed = None

    def __len__(self):
        return -(-len(self.packed) // self.batch_size)

    @property
    def rows(self):
        """Rows an epoch holds, each once."""
        return len(self.packed)

    def plan(self, epoch):
        """List of row-index arrays, one per batch, in yield order."""
        rows, size = len(self.packed), self.batch_size
        if self.shuffle:
            rng = np.random.default_rng([self.seed, epoch])
            order = np.resize(rng.permutation(rows), len(self) * size)
        else:
            order = np.arange(rows)
        return [order[i : i + size] for i in range(0, len(order), size)]

    def mask(self, rows, rng):
        """`MaskedBatch` of the packed rows `rows` (an index array) drawn with `rng`."""
        return mask_sequences(
            self.packed.ids[rows],
            self.packed.words[rows],
            rng,
            mask_id=self.mask_id,
            vocab_size=self.vocab_size,
            special_ids=self.special_ids,
            rate=self.rate,
            max_predictions=self.max_predictions,
        )

    def fixed(self):
        """The `MaskedBatch` of every row with the masks of `fixed_masks=True` (drawn
        once from `seed`): what held-out scores and their baselines are computed on."""
        if self._fixed is None:
            everything = np.arange(len(self.packed))
            self._fixed = self.mask(everything, np.random.default_rng([self.seed]))
        return self._fixed

    def __call__(self):
        epoch, self.epoch = self.epoch, self.epoch + 1
        for index, rows in enumerate(self.plan(epoch)):
            if self.fixed_masks:
                fixed = self.fixed()
                token_ids, positions = fixed.token_ids[rows], fixed.positions[rows]
                labels = fixed.labels[rows]
            else:
                masked = self.mask(rows, np.random.default_rng([self.seed, epoch, index]))
                token_ids, positions, labels = masked.token_ids, masked.positions, masked.labels
            features = {
                "token_ids": token_ids,
                "segment_ids": np.zeros_like(token_ids),
                "masked_positions": positions,
            }
            if self.with_original:
                features["original_ids"] = self.packed.ids[rows].astype(np.int32)
            yield features, labels
