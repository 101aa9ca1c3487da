"""TextPooling: one vector per text from the encoder's outputs."""

import keras
import tensorflow as tf

from tf_ner.tasks.classification.settings import POOLINGS


@keras.saving.register_keras_serializable(package="tf_ner")
class TextPooling(keras.layers.Layer):
    """The text's vector, as Sun et al. (2019) compare them for classification.

    - `"pooler"`: Google's pooler, tanh(W h_[CLS] + b) (`run_classifier.py`'s choice);
    - `"cls"`: the last layer's [CLS] vector;
    - `"mean"`: the mean of the last layer over the text's tokens (padding left out);
    - `"concat-last-4"`: the [CLS] vectors of the last four layers, concatenated
      (Sun et al., "How to Fine-Tune BERT for Text Classification", 2019, table 3).

    Args:
        mode: one of `POOLINGS`.

    Call arguments:
        encoded: the encoder's output dict (`sequence_output`, and `pooled_output` or
            `all_layers` as the mode needs).
        token_ids: int `[batch, length]`, 0 for padding.

    Returns:
        `[batch, H]` (`[batch, 4H]` for `"concat-last-4"`).
    """

    def __init__(self, mode, **kwargs):
        super().__init__(**kwargs)
        if mode not in POOLINGS:
            raise ValueError(f"TextPooling: mode {mode!r}, expected one of {', '.join(POOLINGS)}")
        self.mode = mode

    def call(self, encoded, token_ids):
        if self.mode == "pooler":
            return encoded["pooled_output"]
        if self.mode == "cls":
            return encoded["sequence_output"][:, 0]
        if self.mode == "concat-last-4":
            return tf.concat([state[:, 0] for state in encoded["all_layers"][-4:]], axis=-1)
        hidden = encoded["sequence_output"]
        keep = tf.cast(tf.not_equal(token_ids, 0), hidden.dtype)[:, :, tf.newaxis]
        return tf.reduce_sum(hidden * keep, axis=1) / tf.maximum(tf.reduce_sum(keep, axis=1), 1)

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}
