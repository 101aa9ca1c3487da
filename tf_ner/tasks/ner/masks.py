"""The positions of a `[CLS] tokens [SEP]` window that may hold an entity."""

import keras
import tensorflow as tf


def span_mask(token_ids):
    """Positions that may hold an entity: not padding, not [CLS] (first), not [SEP] (last).

    Args:
        token_ids: int `[batch, length]`, [CLS] first and [SEP] last of each row.

    Returns:
        bool `[batch, length]`.
    """
    valid = tf.not_equal(token_ids, 0)
    lengths = tf.reduce_sum(tf.cast(valid, tf.int32), axis=1, keepdims=True)
    positions = tf.range(tf.shape(token_ids)[1])[tf.newaxis, :]
    return valid & (positions > 0) & (positions < lengths - 1)


@keras.saving.register_keras_serializable(package="tf_ner")
class SpanMask(keras.layers.Layer):
    """bool `[batch, length]`: `span_mask` of the token ids."""

    def call(self, token_ids):
        return span_mask(token_ids)
