"""Classification examples -> token ids (`truncation`) -> bucketed `tf.data` batches for
training (for prediction: `prediction_batches`)."""

import dataclasses
import logging

import numpy as np
import tensorflow as tf

from tf_ner.bert.tokenization import check_tokenizer
from tf_ner.data.classification.truncation import TruncationReport, encode_texts
from tf_ner.data.pipeline import (
    EpochBatches,
    batch_plan,
    batched_dataset,
    plan_buckets,
)

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class ClassificationData:
    """Labelled texts as bucketed batches (the classification `LabelledData`).

    Attributes:
        dataset: `tf.data.Dataset` of `({"token_ids", "segment_ids"}, labels)`: int32
            `[batch]` class ids, or float32 `[batch, classes]` 0/1 (multi-label).
        batches: the batch plan (`EpochBatches` or `TokenBatches`: `len()` batches
            per epoch, settable `epoch`).
        token_ids: list of int32 arrays, one per text ([CLS] ... [SEP]).
        labels: array of the labels, one row per text.
        report: `TruncationReport`.
        bucket_lengths: tuple of the padded lengths in use.
    """

    dataset: tf.data.Dataset
    batches: EpochBatches
    token_ids: list
    labels: np.ndarray
    report: TruncationReport
    bucket_lengths: tuple


def label_array(examples, labels, multi_label):
    """Class ids `[n]` (int32), or 0/1 rows `[n, classes]` (float32) for multi-label."""
    index = {label: i for i, label in enumerate(labels)}
    if multi_label:
        rows = np.zeros((len(examples), len(labels)), np.float32)
        for r, example in enumerate(examples):
            rows[r, [index[label] for label in example.labels]] = 1.0
        return rows
    return np.asarray([index[example.labels[0]] for example in examples], np.int32)


def make_classification_dataset(
    examples, tokenizer, labels, max_length=128, truncation="head", head_tokens=32,
    batch_size=32, shuffle=False, seed=0, buckets=None, multi_label=False, batch_tokens=None,
    multiple=1,
):  # fmt: skip
    """Bucketed batches of labelled texts for `fit` and evaluation.

    Args:
        examples: `TextExample`s; every label must be in `labels`.
        tokenizer: `Tokenizer` ([PAD] id 0).
        labels: tuple of str, the classes (a class's id is its index).
        max_length: int, positions of a window including [CLS] and [SEP].
        truncation: one of `TRUNCATIONS`.
        head_tokens: int, tokens kept from the start with `"head+tail"`.
        batch_size, shuffle, seed, buckets: as `tf_ner.data.pipeline.make_dataset`.
        multi_label: bool, 0/1 rows instead of class ids.
        batch_tokens, multiple: as `make_dataset`; with `batch_tokens` the dataset
            also yields weights, so that every text weighs the same in every batch
            (the loss is a mean over texts).

    Returns:
        `ClassificationData`.
    """
    examples = list(examples)
    check_tokenizer(tokenizer)
    buckets = plan_buckets(buckets, max_length, batch_tokens, multiple)  # before encoding
    token_ids, report = encode_texts(
        [e.text for e in examples], tokenizer, max_length, truncation, head_tokens
    )
    logger.info(report.summary())
    label_rows = label_array(examples, labels, multi_label)

    def stack_labels(rows, length):
        return label_rows[rows]

    batches = batch_plan(
        token_ids, buckets, stack_labels, batch_size, shuffle, seed, batch_tokens, multiple,
        window_weights=True,
    )  # fmt: skip
    labels_spec = (
        tf.TensorSpec([None, len(labels)], tf.float32) if multi_label
        else tf.TensorSpec([None], tf.int32)
    )  # fmt: skip
    return ClassificationData(
        batched_dataset(batches, labels_spec), batches, token_ids, label_rows, report,
        batches.bucket_lengths,
    )
