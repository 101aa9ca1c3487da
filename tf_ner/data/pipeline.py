"""Examples -> windows -> token ids and labels -> seeded `tf.data` batches of windows of
about one length.

`make_dataset` yields `({"token_ids": int32 [batch, L], "segment_ids": int32 [batch, L]},
labels)` where `L` is the batch's longest window (or the bucket length that holds it,
when buckets are given). The dataset's element spec leaves batch and length open
(`FEATURES_SPEC`), so Keras's train step (`reduce_retracing`) and
`tf_ner.tasks.ner.inference_function` trace once for all lengths; a plain `tf.function`
traces once per length. Labels follow the head's layout (`tf_ner.data.encoding`):
int32 `[batch, L]` tag ids, or int32 `[batch, max_spans, 3]` GlobalPointer rows padded
with -1, where `max_spans` is the batch's most rounded up to a multiple of 8. Nothing
dense of size `[types, L, L]` is built here.

Order (`tf_ner.data.sorted_batches`). Windows are sorted by length and cut into
batches of `batch_size` (or of at most `batch_tokens` padded positions), so a batch is
padded little. With `shuffle=False`: shortest first, windows of one length in corpus
order, the last batch possibly smaller. With `shuffle=True`: every epoch (every new
iterator over the dataset) draws a new order from `numpy.random.default_rng([seed,
epoch])`: which windows of one length share a batch, and the order of the batches; the
last batch is filled up with its own windows drawn again, so every training batch has
the full `batch_size`. The same seed gives the same sequence of epochs, whatever
TensorFlow's global seed.

Raw texts to predict are batched by `tf_ner.data.prediction_batches`.
"""

import bisect
import dataclasses
import logging

import numpy as np
import tensorflow as tf

from tf_ner.bert.tokenization import check_tokenizer
from tf_ner.data.alignment import Unit
from tf_ner.data.buckets import check_buckets
from tf_ner.data.encoding import IGNORE_INDEX, Labeler, SpanLabeler
from tf_ner.data.encoding_report import LONGER_THAN_WINDOW, EncodingReport
from tf_ner.data.sorted_batches import EpochBatches, TokenBatches, check_batch_tokens
from tf_ner.data.windows import split_windows

logger = logging.getLogger(__name__)

# The features of every batch: any batch size, any bucket length.
FEATURES_SPEC = {
    "token_ids": tf.TensorSpec([None, None], tf.int32),
    "segment_ids": tf.TensorSpec([None, None], tf.int32),
}


@dataclasses.dataclass
class EncodedWindows:
    """A corpus as label rows, one per window, before batching.

    Attributes:
        token_ids: list of int32 arrays `[num_tokens + 2]` ([CLS] ... [SEP]).
        labels: list of int32 arrays in the labeler's layout.
        example_index: list of int, the example each row comes from.
        windows: list of `Window`, the part of the example each row holds.
        report: `EncodingReport`.
        labeler: the `SpanLabeler` or `TagLabeler` used.
    """

    token_ids: list
    labels: list
    example_index: list
    windows: list
    report: EncodingReport
    labeler: Labeler


def encode_examples(
    examples, tokenizer, labeler, max_length, stride, report=None, sentence_cuts=True
):
    """Tokenizes a corpus once, splits long texts into windows and builds their labels.

    Args:
        examples: list of `Example`.
        tokenizer: `Tokenizer`.
        labeler: `SpanLabeler` or `TagLabeler`.
        max_length: int, positions of a window including [CLS] and [SEP].
        stride: int, tokens shared by consecutive windows (see `tf_ner.data.windows`).
        report: optional `EncodingReport` to add to (a new one by default).
        sentence_cuts: bool, windows end at sentence ends where they can (see
            `tf_ner.data.windows`).

    Returns:
        `EncodedWindows`. Every entity is either held whole by some window's labels or
        listed in the report (misaligned, overlapping for a tag head, or longer than
        a window).

    Raises:
        ValueError: an entity type the labeler does not know, bad window sizes.
    """
    report = report if report is not None else EncodingReport()
    examples = list(examples)
    contents = tokenizer.tokenize_batch([example.text for example in examples])
    encoded = EncodedWindows([], [], [], [], report, labeler)
    capacity = max_length - 2
    for index, (example, content) in enumerate(zip(examples, contents, strict=True)):
        source = example.source or f"example {index}"
        units = labeler.units(content.offsets, content.tokens)
        spans, problems, _ = labeler.align(example, units, source=source)
        spans, problems = labeler.select(spans, problems, units, example.text)
        for entity, reason, detail in problems:
            report.add(source, entity, reason, detail)
        spans.sort(key=lambda s: (s[1], s[2]))
        entities = [(units[i].start, units[j].end, labeler.types[t]) for t, i, j in spans]
        windows = split_windows(content, max_length, stride, entities, sentence_cuts)
        held = _encode_windows(encoded, tokenizer, content, units, spans, windows, index)
        for k in sorted(set(range(len(spans))) - held):
            t, i, j = spans[k]
            tokens = units[j].last - units[i].first + 1
            report.add(
                source,
                entities[k],
                LONGER_THAN_WINDOW,
                f"{tokens} tokens; a window holds {capacity} (max_length={max_length})",
            )
        report.examples += 1
        report.entities += len(example.entities)
        report.encoded += len(held)
        report.windows += len(windows)
        report.split_texts += len(windows) > 1
    return encoded


def _encode_windows(encoded, tokenizer, content, units, spans, windows, index):
    """Appends one row per window; returns the indices of the spans some window holds."""
    firsts = [u.first for u in units]
    lasts = [u.last for u in units]
    span_firsts = [i for _, i, _ in spans]
    longest = max((j - i for _, i, j in spans), default=0)
    held = set()
    for window in windows:
        a, b = window.token_start, window.token_end
        k0, k1 = bisect.bisect_left(firsts, a), bisect.bisect_left(lasts, b)
        window_units = [Unit(u.first - a + 1, u.last - a + 1, u.start, u.end) for u in units[k0:k1]]
        inside, cut = [], []
        lo = bisect.bisect_left(span_firsts, k0 - longest)
        hi = bisect.bisect_left(span_firsts, k1)
        for k in range(lo, hi):
            t, i, j = spans[k]
            if k0 <= i and j < k1:
                inside.append((t, i - k0, j - k0))
                held.add(k)
            elif j >= k0:
                cut.append((max(i, k0) - k0, min(j, k1 - 1) - k0))
        ids = [tokenizer.cls_id, *content.ids[a:b], tokenizer.sep_id]
        encoded.token_ids.append(np.asarray(ids, dtype=np.int32))
        encoded.labels.append(encoded.labeler.labels(inside, window_units, len(ids), cut))
        encoded.example_index.append(index)
        encoded.windows.append(window)
    return held


def _stack_labels(labels, rows, length, labeler):
    """The labels of `rows` for a batch of `length`: tag ids `[rows, length]`, or span
    rows `[rows, spans, 3]` with the spans of the batch's most rounded up to a multiple
    of 8 (few shapes, each a compilation under XLA)."""
    if isinstance(labeler, SpanLabeler):
        most = -(-max(1, max(len(labels[row]) for row in rows)) // 8) * 8
        out = np.full((len(rows), most, 3), -1, dtype=np.int32)
        for r, row in enumerate(rows):
            out[r, : len(labels[row])] = labels[row]
        return out
    out = np.full((len(rows), length), IGNORE_INDEX, dtype=np.int32)
    for r, row in enumerate(rows):
        out[r, : len(labels[row])] = labels[row]
    return out


def plan_buckets(buckets, max_length, batch_tokens=None, multiple=1):
    """The checked bucket lengths of a dataset (`check_buckets`): every length unless
    buckets are given (`every_length`: each batch padded to its longest row), and with
    `batch_tokens` the budget checked against them (`check_batch_tokens`) before
    anything is encoded.
    """
    buckets = check_buckets(buckets, max_length)
    if batch_tokens is not None:
        check_batch_tokens(batch_tokens, buckets, multiple)
    return buckets


def batch_plan(
    token_ids, buckets, stack_labels, batch_size, shuffle, seed, batch_tokens=None, multiple=1,
    window_weights=False,
):  # fmt: skip
    """The batch plan of a dataset: `TokenBatches` of at most `batch_tokens` padded
    positions when given (`multiple` and `window_weights` as it takes them), else
    `EpochBatches` of `batch_size` rows (`tf_ner.data.sorted_batches`)."""
    if batch_tokens is not None:
        return TokenBatches(
            token_ids, buckets, stack_labels, batch_tokens, shuffle, seed, multiple,
            window_weights,
        )  # fmt: skip
    return EpochBatches(token_ids, buckets, stack_labels, batch_size, shuffle, seed)


def batched_dataset(batches, labels_spec=None):
    """The `tf.data.Dataset` over an `EpochBatches` plan (features, and labels if given;
    and the rows' weights when the plan has `window_weights`)."""
    signature = FEATURES_SPEC if labels_spec is None else (FEATURES_SPEC, labels_spec)
    if labels_spec is not None and batches.window_weights:
        signature = (*signature, tf.TensorSpec([None], tf.float32))
    dataset = tf.data.Dataset.from_generator(batches, output_signature=signature)
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(len(batches)))
    return dataset.prefetch(tf.data.AUTOTUNE)


@dataclasses.dataclass
class LabelledData:
    """Labelled examples as batches, and what encoding them kept and lost.

    Attributes:
        dataset: `tf.data.Dataset` of `({"token_ids", "segment_ids"}, labels)`.
        batches: the batch plan behind it (`EpochBatches`, or `TokenBatches` with
            `batch_tokens`; `tf_ner.data.sorted_batches`): `len()` is the batches per
            epoch; its settable `epoch` is the epoch the next iterator over `dataset`
            yields.
        labeler: the labeler that made the labels.
        encoded: `EncodedWindows`, one row per window.
        report: `EncodingReport` (also logged).
        bucket_lengths: tuple of the padded lengths in use.
    """

    dataset: tf.data.Dataset
    batches: EpochBatches
    labeler: Labeler
    encoded: EncodedWindows
    report: EncodingReport
    bucket_lengths: tuple


def make_dataset(
    examples,
    tokenizer,
    labeler,
    max_length=128,
    stride=32,
    batch_size=32,
    shuffle=False,
    seed=0,
    buckets=None,
    batch_tokens=None,
    multiple=1,
    window_weights=False,
    sentence_cuts=True,
):
    """Labelled batches of `examples` for `model.fit` / evaluation.

    Args:
        examples: iterable of `Example`.
        tokenizer: `Tokenizer`; its [PAD] must be id 0.
        labeler: `SpanLabeler` or `TagLabeler` (a head's, see `tf_ner.tasks.ner`).
        max_length: int, positions of a window including [CLS] and [SEP].
        stride: int, tokens shared by consecutive windows of a long text.
        batch_size: int, windows per batch (the global batch under a strategy).
        shuffle: bool, reshuffle every epoch and fill every batch (training); False
            keeps a fixed order and every window exactly once (evaluation).
        seed: int, the shuffling seed.
        buckets: optional increasing ints, the padded lengths (each batch padded to
            the shortest that holds its longest window); default every length
            (`every_length`: each batch padded to its longest window). Under XLA,
            which compiles once per length, few: `default_buckets`.
        batch_tokens: optional int, instead of `batch_size`: batches of at most this
            many padded positions (many short windows or few long ones), every
            window once per epoch (`TokenBatches`).
        multiple: int, with `batch_tokens`: the replicas each batch is split across
            (every batch's window count a multiple of it).
        window_weights: bool, with `batch_tokens`: yield `(features, labels, weights)`
            so that a loss that is a mean over a batch's windows weighs every window
            the same whatever its batch (`TokenBatches`). For losses averaged over
            windows; a loss averaged over tokens needs none (a token batch holds
            about the same number of tokens whatever its length).
        sentence_cuts: bool, windows of long texts end at sentence ends where they
            can (see `tf_ner.data.windows`).

    Returns:
        `LabelledData`.

    Raises:
        ValueError: an unknown entity type, bad sizes or buckets, or a vocabulary whose
            [PAD] is not id 0.
    """
    examples = list(examples)
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r}: expected a positive int")
    if not isinstance(seed, int):
        raise ValueError(f"seed={seed!r}: expected an int (every epoch's order derives from it)")
    if not isinstance(labeler, Labeler):
        raise ValueError(f"labeler={labeler!r}: expected a SpanLabeler or TagLabeler")
    check_tokenizer(tokenizer)
    buckets = plan_buckets(buckets, max_length, batch_tokens, multiple)
    encoded = encode_examples(
        examples, tokenizer, labeler, max_length, stride, sentence_cuts=sentence_cuts
    )
    report = encoded.report
    logger.log(logging.WARNING if report.unrepresentable else logging.INFO, report.summary())
    labels_spec = tf.TensorSpec(
        [None, None, 3] if isinstance(labeler, SpanLabeler) else [None, None], tf.int32
    )

    def stack_labels(rows, length):
        return _stack_labels(encoded.labels, rows, length, labeler)

    batches = batch_plan(
        encoded.token_ids, buckets, stack_labels, batch_size, shuffle, seed, batch_tokens,
        multiple, window_weights,
    )  # fmt: skip
    return LabelledData(
        batched_dataset(batches, labels_spec), batches, labeler, encoded, report,
        batches.bucket_lengths,
    )
