"""MacroF1: corpus-level macro-averaged F1 of a text classifier (single- or multi-label)."""

import keras
import tensorflow as tf

from tf_ner.layers._checks import check_in_range, check_positive_int, check_rank


def _f1(tp, fp, fn):
    return tf.math.divide_no_nan(2 * tp, 2 * tp + fp + fn)


@keras.saving.register_keras_serializable(package="tf_ner")
class MacroF1(keras.metrics.Metric):
    """Macro-averaged F1 over classes, from per-class counts of the whole corpus.

    Accumulates per-class true positives, false positives and false negatives
    (float64 `[num_classes]`) over every batch until `reset_state()`. A class's F1
    is `2 tp / (2 tp + fp + fn)`. `result()` is the mean of the per-class F1 over
    the classes that occur in the gold labels or in the predictions seen so far
    (`tp + fp + fn > 0`), which is scikit-learn's default label set for
    single-label data (`f1_score(y_true, y_pred, average="macro")`); 0 when no
    class occurs. For multi-label data scikit-learn averages over all columns
    instead (a class never seen counts as F1 0); this metric keeps the same rule
    as for single-label data, which equals `f1_score(..., average="macro",
    labels=<classes that occur>)`.

    Args:
        num_classes: int >= 1, the number of classes.
        multi_label: bool. False: one class per example (argmax of `y_pred`).
            True: any number of classes per example (`y_pred > threshold`).
            Defaults to False.
        threshold: float, multi-label decision threshold on probabilities.
            Defaults to 0.5.
        from_logits: bool, multi-label only: `y_pred` holds logits, turned into
            probabilities by a sigmoid before the threshold. Defaults to False
            (probabilities). Single-label predictions need no flag: the argmax of
            logits and of probabilities is the same.
        name: str. Defaults to `"macro_f1"`.
        dtype: dtype of the result. Defaults to float32.

    Call arguments (`update_state`):
        y_true: single-label: int class ids `[batch]` (or `[batch, 1]`).
            Multi-label: 0/1 `[batch, num_classes]`.
        y_pred: `[batch, num_classes]` logits or probabilities (see above).
        sample_weight: optional `[batch]`: each example's counts are multiplied by
            its weight (Keras passes sample weights only to the metrics given as
            `compile(weighted_metrics=[...])`).

    Raises:
        ValueError: a bad `num_classes`; in `update_state`, inputs of the wrong
            rank, and (eagerly; traced: `tf.errors.InvalidArgumentError`) a class id
            outside `[0, num_classes)`.

    Example:
    ```python
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
                           tf_ner.metrics.MacroF1(num_classes=10)])
    ```
    """

    def __init__(
        self,
        num_classes,
        multi_label=False,
        threshold=0.5,
        from_logits=False,
        name="macro_f1",
        dtype=None,
    ):
        super().__init__(name=name, dtype=dtype)
        check_positive_int(num_classes, "num_classes", "MacroF1")
        self.num_classes = num_classes
        self.multi_label = bool(multi_label)
        self.threshold = float(threshold)
        self.from_logits = bool(from_logits)
        shape = (num_classes,)
        self.true_positives = self.add_variable(shape, "zeros", "float64", name="true_positives")
        self.false_positives = self.add_variable(shape, "zeros", "float64", name="false_positives")
        self.false_negatives = self.add_variable(shape, "zeros", "float64", name="false_negatives")

    def _indicators(self, y_true, y_pred):
        """Gold and predicted 0/1 float64 `[batch, num_classes]`."""
        y_true = tf.convert_to_tensor(y_true)
        y_pred = tf.convert_to_tensor(y_pred)
        check_rank(y_pred, (2,), "y_pred", "MacroF1")
        if self.multi_label:
            check_rank(y_true, (2,), "y_true", "MacroF1")
            scores = tf.sigmoid(y_pred) if self.from_logits else y_pred
            predicted = tf.cast(scores > tf.cast(self.threshold, scores.dtype), tf.float64)
            return tf.cast(tf.cast(y_true, tf.float32) > 0.5, tf.float64), predicted
        if y_true.shape.rank == 2 and y_true.shape[-1] == 1:
            y_true = y_true[:, 0]
        check_rank(y_true, (1,), "y_true", "MacroF1")
        if y_true.dtype.is_floating:  # Keras may cast labels to the output dtype
            y_true = tf.round(y_true)
        labels = check_in_range(tf.cast(y_true, tf.int32), 0, self.num_classes, "y_true", "MacroF1")
        predictions = tf.argmax(y_pred, axis=-1, output_type=tf.int32)
        gold = tf.one_hot(labels, self.num_classes, dtype=tf.float64)
        return gold, tf.one_hot(predictions, self.num_classes, dtype=tf.float64)

    def update_state(self, y_true, y_pred, sample_weight=None):
        gold, predicted = self._indicators(y_true, y_pred)
        hits = gold * predicted
        if sample_weight is not None:
            weights = tf.reshape(tf.cast(sample_weight, tf.float64), [-1, 1])
            gold, predicted, hits = gold * weights, predicted * weights, hits * weights
        self.true_positives.assign_add(tf.reduce_sum(hits, axis=0))
        self.false_positives.assign_add(tf.reduce_sum(predicted - hits, axis=0))
        self.false_negatives.assign_add(tf.reduce_sum(gold - hits, axis=0))

    def _counts(self):
        return tuple(
            tf.convert_to_tensor(v)
            for v in (self.true_positives, self.false_positives, self.false_negatives)
        )

    def per_class_scores(self):
        """Per-class precision, recall, F1 and support, from the counts so far.

        Returns:
            A dict of float tensors `[num_classes]` (the metric's dtype):
            `"precision"`, `"recall"`, `"f1"` (0 where the denominator is 0) and
            `"support"` (`tp + fn`, the weighted number of gold examples).
        """
        tp, fp, fn = self._counts()
        scores = {
            "precision": tf.math.divide_no_nan(tp, tp + fp),
            "recall": tf.math.divide_no_nan(tp, tp + fn),
            "f1": _f1(tp, fp, fn),
            "support": tp + fn,
        }
        return {key: tf.cast(value, self.dtype) for key, value in scores.items()}

    def result(self):
        tp, fp, fn = self._counts()
        occurs = tf.cast(tp + fp + fn > 0, tf.float64)
        macro = tf.math.divide_no_nan(
            tf.reduce_sum(_f1(tp, fp, fn) * occurs), tf.reduce_sum(occurs)
        )
        return tf.cast(macro, self.dtype)

    def get_config(self):
        return {
            "name": self.name,
            "dtype": self.dtype,
            "num_classes": self.num_classes,
            "multi_label": self.multi_label,
            "threshold": self.threshold,
            "from_logits": self.from_logits,
        }
