"""EntityF1: corpus-level entity F1 as a Keras metric, for every NER head.

F1 is computed from counts accumulated over the whole evaluation set, never as an
average of per-batch F1 (which over-weights small batches and is not corpus F1).
"""

import keras
import tensorflow as tf

from tf_ner.layers._checks import check_in_range, check_rank
from tf_ner.losses import dense_global_pointer_labels
from tf_ner.metrics.tag_chunks import entity_counts, tag_table
from tf_ner.metrics.tag_inputs import as_tag_ids, split_weights


@keras.saving.register_keras_serializable(package="tf_ner")
class EntityF1(keras.metrics.Metric):
    """Corpus-level entity F1 for GlobalPointer logits or for tag sequences.

    Accumulates true positives, predicted and gold entity counts (float64) over
    every batch until `reset_state()`; `result()` is `2 tp / (predicted + gold)`
    and `precision_recall_f1()` gives all three. Every ratio with a zero
    denominator is 0.

    Span mode (`tags` None; GlobalPointer heads): a span is predicted where its
    logit exceeds `threshold`, as in `tf_ner.layers.decode_global_pointer`; only
    cells with `start <= end` count, on both sides. Gold spans on masked cells (e.g.
    a label on `[CLS]`) still count as gold, so they lower recall instead of
    vanishing.

    Tag mode (`tags` and `scheme` given; CRF and softmax heads): positions whose
    label is negative (`IGNORE_INDEX`, -100: padding, `[CLS]`/`[SEP]`, non-first
    sub-tokens) or whose per-position weight is 0 are removed, and the remaining
    gold and predicted tags are read into entities exactly as
    `tf_ner.data.tags.tags_to_spans(tags, scheme, repair=True)` (seqeval) reads
    them, in the graph (see `tf_ner.metrics.tag_chunks`). An entity is found when
    start, end and type match.

    Args:
        tags: optional list of str, the tag vocabulary (index = tag id), as
            `tf_ner.data.tags.tag_vocabulary(types, scheme)` makes it. Selects tag
            mode.
        scheme: str, the tag scheme of `tags`: `"BIO"` (or `"IOB2"`), `"IOB1"`,
            `"BIOES"` or `"BMES"`. Required with `tags`.
        threshold: float, span mode's decision threshold on logits. Defaults to 0.
        name: str. Defaults to `"entity_f1"`.
        dtype: dtype of the result. Defaults to float32.

    Call arguments (`update_state`):
        y_true: span mode: dense 0/1 labels `[batch, num_types, length, length]`
            or sparse int labels `[batch, max_spans, 3]` (see `tf_ner.losses`).
            Tag mode: int tag ids `[batch, length]`, negative where no unit.
        y_pred: span mode: logits `[batch, num_types, length, length]`. Tag mode:
            tag ids `[batch, length]` (a CRF's decoded tags) or logits
            `[batch, length, num_tags]` (argmax).
        sample_weight: optional. `[batch]`: each example's counts are multiplied
            by its weight. Tag mode also takes `[batch, length]`: a position with
            weight 0 is removed like a negative label, any other weight keeps it
            (this is how `CRFModel` passes its mask). Keras passes sample weights
            only to the metrics given as `compile(weighted_metrics=[...])`.

    Raises:
        ValueError: `tags` without `scheme` or the reverse, an unknown scheme, a tag
            the scheme does not know; in `update_state`, inputs of the wrong rank,
            and (eagerly; traced: `tf.errors.InvalidArgumentError`) a kept tag id
            outside `[0, num_tags)`.

    Example:
    ```python
    model.compile(optimizer="adam", loss=tf_ner.losses.global_pointer_loss,
                  metrics=[tf_ner.metrics.EntityF1()])
    tags = tf_ner.data.tag_vocabulary(["LOC", "PER"], "BIO")
    model.compile(optimizer="adam", loss=tf_ner.losses.masked_token_crossentropy,
                  metrics=[tf_ner.metrics.EntityF1(tags=tags, scheme="BIO")])
    ```
    """

    def __init__(self, tags=None, scheme=None, threshold=0.0, name="entity_f1", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if (tags is None) != (scheme is None):
            raise ValueError(
                "EntityF1: pass both `tags` (the tag vocabulary) and `scheme` for tag "
                f"heads, or neither for GlobalPointer heads; received tags={tags!r}, "
                f"scheme={scheme!r}."
            )
        self.tags = None if tags is None else [str(tag) for tag in tags]
        self.scheme = None if scheme is None else str(scheme).upper()
        self._table = None if tags is None else tag_table(self.tags, self.scheme)
        self.threshold = float(threshold)
        # float64: exact counts far beyond float32's 2**24.
        self.true_positives = self.add_variable((), "zeros", "float64", name="true_positives")
        self.predicted = self.add_variable((), "zeros", "float64", name="predicted")
        self.gold = self.add_variable((), "zeros", "float64", name="gold")

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.tags is None:
            counts = self._span_counts(y_true, y_pred, sample_weight)
        else:
            counts = self._tag_counts(y_true, y_pred, sample_weight)
        for variable, count in zip(
            (self.true_positives, self.predicted, self.gold), counts, strict=True
        ):
            variable.assign_add(tf.reduce_sum(count))

    def _span_counts(self, y_true, y_pred, sample_weight):
        y_pred = tf.convert_to_tensor(y_pred)
        y_true = tf.convert_to_tensor(y_true)
        check_rank(y_pred, (4,), "y_pred", "EntityF1")
        check_rank(y_true, (3, 4), "y_true", "EntityF1")
        shape = tf.shape(y_pred)
        if y_true.shape.rank == 3:
            y_true = dense_global_pointer_labels(y_true, shape[1], shape[2])
        positions = tf.range(shape[2])
        upper = positions[:, None] <= positions[None, :]
        predicted = tf.logical_and(y_pred > tf.cast(self.threshold, y_pred.dtype), upper)
        gold = tf.logical_and(tf.cast(y_true, tf.float32) > 0.5, upper)

        def per_example(cells):
            return tf.reduce_sum(tf.cast(cells, tf.float64), axis=[1, 2, 3])

        counts = [per_example(tf.logical_and(predicted, gold)), per_example(predicted)]
        counts.append(per_example(gold))
        if sample_weight is not None:
            weights = tf.reshape(tf.cast(sample_weight, tf.float64), [-1])
            counts = [count * weights for count in counts]
        return counts

    def _tag_counts(self, y_true, y_pred, sample_weight):
        labels, predictions = as_tag_ids(y_true, y_pred, "EntityF1")
        example, position = split_weights(sample_weight, labels, "EntityF1")
        keep = position > 0
        num_tags = len(self.tags)
        labels = check_in_range(labels, 0, num_tags, "y_true", "EntityF1", keep)
        predictions = check_in_range(predictions, 0, num_tags, "y_pred", "EntityF1", keep)
        counts = entity_counts(labels, predictions, keep, self._table)
        return [count * example for count in counts]

    def precision_recall_f1(self):
        """Returns a dict of scalar tensors (the metric's dtype): precision, recall, f1."""
        tp, predicted, gold = (
            tf.convert_to_tensor(v) for v in (self.true_positives, self.predicted, self.gold)
        )
        return {
            "precision": tf.cast(tf.math.divide_no_nan(tp, predicted), self.dtype),
            "recall": tf.cast(tf.math.divide_no_nan(tp, gold), self.dtype),
            "f1": tf.cast(tf.math.divide_no_nan(2 * tp, predicted + gold), self.dtype),
        }

    def result(self):
        return self.precision_recall_f1()["f1"]

    def get_config(self):
        return {
            "name": self.name,
            "dtype": self.dtype,
            "tags": self.tags,
            "scheme": self.scheme,
            "threshold": self.threshold,
        }
