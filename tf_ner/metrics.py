"""Entity-level precision/recall/F1: a corpus-level Keras metric and plain functions.

F1 is computed from counts accumulated over the whole evaluation set, never as an
average of per-batch F1 (which over-weights small batches and is not corpus F1).
Convention: every ratio with a zero denominator is 0 (no prediction: precision 0; no
gold entity: recall 0; both zero: F1 0).
"""

from collections import Counter

import keras
import tensorflow as tf

from tf_ner.layers._checks import check_rank
from tf_ner.losses import dense_global_pointer_labels


def _ratio(numerator, denominator):
    return numerator / denominator if denominator else 0.0


def _scores(true_positives, predicted, gold):
    precision = _ratio(true_positives, predicted)
    recall = _ratio(true_positives, gold)
    return {
        "precision": precision,
        "recall": recall,
        "f1": _ratio(2 * true_positives, predicted + gold),
        "support": gold,
    }


def prf(gold, pred):
    """Micro and per-type precision, recall and F1 over sets of entities.

    Args:
        gold: iterable of hashable tuples whose last element is the entity type, e.g.
            `(doc_id, start, end, type)`; duplicates count once.
        pred: iterable of tuples of the same form.

    Returns:
        A dict: `"precision"`, `"recall"`, `"f1"` (micro, floats), `"support"` (number
        of gold entities), `"true_positives"`, `"predicted"`, and `"per_type"`: a dict
        from each type seen in gold or pred to `{"precision", "recall", "f1",
        "support"}`. Ratios with a zero denominator are 0.

    Raises:
        ValueError: an element that is not a tuple of at least two items.

    Example:
    >>> prf({(0, 0, 2, "PER"), (0, 5, 7, "LOC")}, {(0, 0, 2, "PER")})["recall"]
    0.5
    """
    gold, pred = _as_span_set(gold, "gold"), _as_span_set(pred, "pred")
    hits = gold & pred
    result = _scores(len(hits), len(pred), len(gold))
    result.update({"true_positives": len(hits), "predicted": len(pred)})
    by_type = [Counter(span[-1] for span in spans) for spans in (hits, pred, gold)]
    result["per_type"] = {
        type_: _scores(by_type[0][type_], by_type[1][type_], by_type[2][type_])
        for type_ in sorted(set(by_type[1]) | set(by_type[2]), key=str)
    }
    return result


def _as_span_set(spans, name):
    spans = set(spans)
    for span in spans:
        if not isinstance(span, tuple) or len(span) < 2:
            raise ValueError(
                f"prf: every element of `{name}` must be a tuple whose last item is the "
                f"type, e.g. (doc, start, end, type), received {span!r}."
            )
    return spans


@keras.saving.register_keras_serializable(package="tf_ner")
class EntityF1(keras.metrics.Metric):
    """Corpus-level entity F1 for GlobalPointer logits.

    Accumulates true positives, predicted and gold span counts over every batch
    until `reset_state()`; `result()` is `2 tp / (predicted + gold)` (0 when both are
    0). A span is predicted where its logit exceeds `threshold`, as in
    `tf_ner.layers.decode_global_pointer`; only cells with `start <= end` count, on
    both sides. Gold spans on masked cells (e.g. a label on `[CLS]`) still count as
    gold, so they lower recall instead of vanishing.

    Args:
        threshold: float, decision threshold on logits. Defaults to 0.
        name: str. Defaults to `"entity_f1"`.
        dtype: dtype of the result. Defaults to float32.

    Call arguments (`update_state`):
        y_true: dense 0/1 labels `[batch, num_types, length, length]` or sparse int
            labels `[batch, max_spans, 3]` (see `tf_ner.losses`).
        y_pred: logits `[batch, num_types, length, length]`.
        sample_weight: optional `[batch]` weights of each example's counts.

    Example:
    ```python
    model.compile(optimizer="adam", loss=tf_ner.losses.global_pointer_loss,
                  metrics=[tf_ner.metrics.EntityF1()])
    ```
    """

    def __init__(self, threshold=0.0, name="entity_f1", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.threshold = float(threshold)
        # float64: exact counts far beyond float32's 2**24.
        self.true_positives = self.add_variable((), "zeros", "float64", name="true_positives")
        self.predicted = self.add_variable((), "zeros", "float64", name="predicted")
        self.gold = self.add_variable((), "zeros", "float64", name="gold")

    def update_state(self, y_true, y_pred, sample_weight=None):
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
        for variable, count in zip(
            (self.true_positives, self.predicted, self.gold), counts, strict=True
        ):
            variable.assign_add(tf.reduce_sum(count))

    def precision_recall_f1(self):
        """Returns a dict of float32 scalar tensors: precision, recall, f1."""
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
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}
