"""Dtype-aware masking constants shared by every layer that masks logits."""

import tensorflow as tf


def large_negative(dtype):
    """A large negative number that is finite in `dtype` (float16 overflows at 1e12).

    -1e12 where the dtype holds it (float32, float64, bfloat16), else half the
    dtype's most negative value (float16: -32752), so adding two masks stays finite.

    Args:
        dtype: a floating dtype (`tf.DType`, numpy dtype or its name).

    Returns:
        A Python float.
    """
    dtype = tf.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"large_negative needs a floating dtype, got {dtype.name}")
    return -min(1e12, float(dtype.max) / 2)


def mask_logits(logits, mask):
    """Sets `logits` to `large_negative` where `mask` is 0/False (broadcasts).

    Args:
        logits: float tensor.
        mask: bool or 0/1 tensor broadcastable to `logits`.
    """
    mask = tf.cast(mask, tf.bool)
    return tf.where(mask, logits, tf.constant(large_negative(logits.dtype), logits.dtype))
