"""TokenAccuracy: the share of labelled positions whose tag is right, over the corpus."""

import keras
import tensorflow as tf

from tf_ner.metrics.tag_inputs import as_tag_ids, split_weights


@keras.saving.register_keras_serializable(package="tf_ner")
class TokenAccuracy(keras.metrics.Metric):
    """Corpus-level accuracy of tag ids over labelled positions (tag heads).

    `result()` is `sum(w * [pred == label]) / sum(w)` over every position seen
    since `reset_state()` whose label is >= 0, where `w` is the position's weight
    (the example's weight times the position's, 1 without `sample_weight`);
    0 when no position counts. This is the token accuracy Hugging Face's `run_ner`
    reports beside entity F1 (labels of -100 skipped).

    Args:
        name: str. Defaults to `"token_accuracy"`.
        dtype: dtype of the result. Defaults to float32.

    Call arguments (`update_state`):
        y_true: int tag ids `[batch, length]`, negative (`IGNORE_INDEX`, -100)
            where no unit.
        y_pred: tag ids `[batch, length]` (a CRF's decoded tags) or logits
            `[batch, length, num_tags]` (argmax).
        sample_weight: optional `[batch]` or `[batch, length]` weights; a position
            of weight 0 does not count.

    Example:
    ```python
    model.compile(optimizer="adam", loss=tf_ner.losses.masked_token_crossentropy,
                  metrics=[tf_ner.metrics.TokenAccuracy()])
    ```
    """

    def __init__(self, name="token_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.correct = self.add_variable((), "zeros", "float64", name="correct")
        self.total = self.add_variable((), "zeros", "float64", name="total")

    def update_state(self, y_true, y_pred, sample_weight=None):
        labels, predictions = as_tag_ids(y_true, y_pred, "TokenAccuracy")
        example, position = split_weights(sample_weight, labels, "TokenAccuracy")
        weights = example[:, None] * position
        right = tf.cast(tf.equal(labels, predictions), tf.float64)
        self.correct.assign_add(tf.reduce_sum(weights * right))
        self.total.assign_add(tf.reduce_sum(weights))

    def result(self):
        ratio = tf.math.divide_no_nan(
            tf.convert_to_tensor(self.correct), tf.convert_to_tensor(self.total)
        )
        return tf.cast(ratio, self.dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}
