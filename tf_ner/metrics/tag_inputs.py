"""What the tag metrics receive, made uniform: tag ids and the weight of each position.

Shared by `EntityF1` (tag mode) and `TokenAccuracy`. Label convention of the tag
heads (`tf_ner.data.encoding`): int tag ids `[batch, length]`, negative
(`IGNORE_INDEX`, -100) where a position is no unit (padding, `[CLS]`/`[SEP]`,
non-first sub-tokens of the softmax layout).
"""

import tensorflow as tf

from tf_ner.layers._checks import check_rank


def as_tag_ids(y_true, y_pred, owner):
    """Gold and predicted tag ids of one batch.

    Args:
        y_true: int (or float, as Keras may cast labels) tag ids `[batch, length]`
            or `[batch, length, 1]`; negative where no unit.
        y_pred: tag ids `[batch, length]` (e.g. a CRF's decoded tags) or logits /
            probabilities `[batch, length, num_tags]` (read by argmax).
        owner: str, the metric's name for error messages.

    Returns:
        `(labels, predictions)`, int32 `[batch, length]` each.

    Raises:
        ValueError: ranks other than those above.
    """
    y_true = tf.convert_to_tensor(y_true)
    y_pred = tf.convert_to_tensor(y_pred)
    if y_true.shape.rank == 3 and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    check_rank(y_true, (2,), "y_true", owner)
    check_rank(y_pred, (2, 3), "y_pred", owner)
    if y_true.dtype.is_floating:
        y_true = tf.round(y_true)
    labels = tf.cast(y_true, tf.int32)
    if y_pred.shape.rank == 3:
        predictions = tf.argmax(y_pred, axis=-1, output_type=tf.int32)
    else:
        predictions = tf.cast(y_pred, tf.int32)
    return labels, predictions


def split_weights(sample_weight, labels, owner):
    """Per-example and per-position weights of a batch of tag labels.

    Args:
        sample_weight: None, `[batch]` (or `[batch, 1]`) weights of whole examples,
            or `[batch, length]` weights of positions (e.g. a CRF's mask).
        labels: int32 `[batch, length]` tag ids, negative where no unit.
        owner: str, the metric's name for error messages.

    Returns:
        `(example, position)`: float64 `[batch]` (ones unless per-example weights
        were given) and float64 `[batch, length]` (the per-position weights, or
        ones; 0 wherever the label is negative).

    Raises:
        ValueError: a weight of another rank.
    """
    batch_shape = tf.shape(labels)
    example = tf.ones(batch_shape[:1], tf.float64)
    position = tf.ones(batch_shape, tf.float64)
    if sample_weight is not None:
        weights = tf.cast(tf.convert_to_tensor(sample_weight), tf.float64)
        check_rank(weights, (1, 2), "sample_weight", owner)
        if weights.shape.rank == 1 or weights.shape[-1] == 1:
            example = tf.reshape(weights, [-1])
        else:
            position = weights
    position = tf.where(labels >= 0, position, tf.zeros_like(position))
    return example, position
