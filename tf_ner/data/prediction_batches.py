"""Raw texts -> batches of windows to predict, and the model's outputs -> character spans.

`make_prediction_batches` turns raw texts into batches of features only, windows sorted
by length so that each batch is padded only to its longest window, and keeps the
bookkeeping to turn per-row outputs back into character spans of each text, in the
texts' order, windows merged (`PredictionBatches.decode`).
"""

import numpy as np

from tf_ner.bert.tokenization import check_tokenizer
from tf_ner.data.buckets import bucket_of, check_buckets
from tf_ner.data.windows import merge_window_predictions, split_windows, window_encoding


class PredictionBatches:
    """Raw texts as batches of windows of about the same length, and the way back from
    outputs to spans.

    Windows are sorted by length (ties in text order) and cut into batches of
    `batch_size`, each padded only to its longest window, or to the smallest of
    `buckets` that holds it when buckets are given: little padding, and, since the
    forward function takes any length, no retracing. `decode` puts every row's output
    back into its own text, so results come back in the texts' order.

    Iterating yields the batches (`{"token_ids", "segment_ids"}` int32 numpy arrays
    `[batch, L]`), each built when it is reached; `dataset` is the same as a
    `tf.data.Dataset`.

    Attributes:
        texts: list of str.
        windows: list (one per text) of lists of `Window`.
        rows: list of `(text_index, window_index)`, one per batch row, in order.
    """

    def __init__(
        self, texts, tokenizer, max_length=128, stride=32, batch_size=32, buckets=None,
        sentence_cuts=True,
    ):  # fmt: skip
        check_tokenizer(tokenizer)
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size={batch_size!r}: expected a positive int")
        self.buckets = None if buckets is None else check_buckets(buckets, max_length)
        self.texts = list(texts)
        self.tokenizer = tokenizer
        self._contents = tokenizer.tokenize_batch(self.texts)
        self.windows = [
            split_windows(c, max_length, stride, sentence_cuts=sentence_cuts)
            for c in self._contents
        ]
        keys = [(t, w) for t, windows in enumerate(self.windows) for w in range(len(windows))]
        self.rows = sorted(keys, key=lambda key: self.windows[key[0]][key[1]].num_tokens)
        self._starts = range(0, len(self.rows), batch_size)
        self.batch_size = batch_size

    def __len__(self):
        """Batches in a pass."""
        return len(self._starts)

    def __call__(self):
        """One pass over the batches (the generator behind `dataset`)."""
        cls_id, sep_id = self.tokenizer.cls_id, self.tokenizer.sep_id
        for start in self._starts:
            keys = self.rows[start : start + self.batch_size]
            windows = [self.windows[t][w] for t, w in keys]
            length = windows[-1].num_tokens + 2  # sorted: the last is the longest
            if self.buckets is not None:
                length = bucket_of(self.buckets, length)
            ids = np.zeros((len(keys), length), dtype=np.int32)
            for row, ((t, _), window) in enumerate(zip(keys, windows, strict=True)):
                n = window.num_tokens
                ids[row, 0], ids[row, n + 1] = cls_id, sep_id
                ids[row, 1 : n + 1] = self._contents[t].ids[window.token_start : window.token_end]
            yield {"token_ids": ids, "segment_ids": np.zeros_like(ids)}

    def __iter__(self):
        return self()

    @property
    def dataset(self):
        """The batches as a `tf.data.Dataset` (e.g. for a distribution strategy); the
        only part of prediction that imports TensorFlow."""
        from tf_ner.data.pipeline import batched_dataset

        return batched_dataset(self)

    def encoding(self, text_index, window_index):
        """The `Encoding` ([CLS] ... [SEP]) of one window; offsets into its text."""
        content = self._contents[text_index]
        return window_encoding(self.tokenizer, content, self.windows[text_index][window_index])

    def decode(self, batch_outputs, labeler, on_window=None, **decode_kwargs):
        """Character spans of each text from the model's outputs, windows merged.

        Args:
            batch_outputs: iterable of per-batch outputs (numpy arrays or tensors) in
                dataset order, each with one row per window: GlobalPointer logits
                `[batch, types, L, L]`, tag logits `[batch, L, tags]` or tag ids
                `[batch, L]`.
            labeler: the labeler of the head (`SpanLabeler`/`TagLabeler`).
            on_window: optional callable `(text_index, output_row, encoding, spans)`,
                called for each window in dataset order after it is decoded (e.g. to
                score its spans).
            **decode_kwargs: passed to `labeler.decode` (e.g. `threshold`).

        Returns:
            list (one per text) of sorted `(start, end, type)` character spans.

        Raises:
            ValueError: the outputs hold more or fewer rows than the dataset.
        """
        predictions = [[None] * len(w) for w in self.windows]
        row = 0
        for batch in batch_outputs:
            for output in np.asarray(batch):
                if row >= len(self.rows):
                    raise ValueError(f"outputs hold more rows than the {len(self.rows)} windows")
                t, w = self.rows[row]
                encoding = self.encoding(t, w)
                spans = labeler.decode(output, self.texts[t], encoding, **decode_kwargs)
                predictions[t][w] = spans
                if on_window is not None:
                    on_window(t, output, encoding, spans)
                row += 1
        if row != len(self.rows):
            raise ValueError(
                f"outputs hold {row} rows but the dataset has {len(self.rows)} windows; pass "
                f"every batch's output in dataset order"
            )
        return [
            merge_window_predictions(windows, spans)
            for windows, spans in zip(self.windows, predictions, strict=True)
        ]


def make_prediction_batches(
    texts, tokenizer, max_length=128, stride=32, batch_size=32, buckets=None, sentence_cuts=True
):
    """`PredictionBatches` for raw texts (see that class).

    Args:
        texts: iterable of str.
        tokenizer: `Tokenizer`; its [PAD] must be id 0.
        max_length: int, positions of a window including [CLS] and [SEP].
        stride: int, tokens shared by consecutive windows.
        batch_size: int, windows per batch.
        buckets: optional increasing ints, the lengths batches are padded to; None
            (the default) pads each batch to its longest window.
        sentence_cuts: bool, windows of long texts end at sentence ends where they
            can (see `tf_ner.data.windows`).

    Returns:
        `PredictionBatches`.
    """
    return PredictionBatches(
        texts, tokenizer, max_length, stride, batch_size, buckets, sentence_cuts
    )
