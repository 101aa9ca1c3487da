"""Rotary position embedding (RoPE), interleaved-pair convention, weightless."""

import keras
import numpy as np
import tensorflow as tf


@keras.saving.register_keras_serializable(package="tf_ner")
class RotaryEmbedding(keras.layers.Layer):
    """Rotates feature pairs of a sequence by angles proportional to position.

    Feature pairs are adjacent: `(x[2i], x[2i+1])` is rotated by the angle
    `position * max_wavelength ** (-2i / dim)`, i.e.
    `y[2i] = x[2i] cos - x[2i+1] sin`, `y[2i+1] = x[2i+1] cos + x[2i] sin`.
    This is the RoFormer / bert4keras convention (keras-hub's `RotaryEmbedding` rotates
    halves instead; the two differ by a permutation of features). After rotation,
    `q_m . k_n` depends on the positions only through `n - m`.

    Angles are computed in float32 and cast to the compute dtype, so positions stay
    exact under mixed precision. The layer has no weights.

    Args:
        max_wavelength: float, the base of the geometric frequency sequence. Defaults
            to 10000.
        **kwargs: standard `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: float tensor `[batch, length, ..., dim]` with `dim` even; the sequence
            axis is 1 and features are last (extra axes, e.g. heads, in between).
        positions: optional int or float tensor `[batch, length]` or `[length]`;
            defaults to `0..length-1`.

    Returns:
        A tensor of the shape and dtype of `inputs`.

    Example:
    >>> x = keras.random.normal((2, 5, 3, 8))  # [batch, length, heads, head_size]
    >>> RotaryEmbedding()(x).shape
    TensorShape([2, 5, 3, 8])

    References:
        Su et al., "RoFormer: Enhanced Transformer with Rotary Position Embedding", 2021.
    """

    def __init__(self, max_wavelength=10000, **kwargs):
        super().__init__(**kwargs)
        if not max_wavelength > 1:
            raise ValueError(
                f"RotaryEmbedding: `max_wavelength` must be > 1, received {max_wavelength!r}."
            )
        self.max_wavelength = max_wavelength

    def build(self, input_shape):
        dim = input_shape[-1]
        if dim is None or dim % 2:
            raise ValueError(
                "RotaryEmbedding: the last axis of `inputs` must have a known even size "
                f"(pairs of features are rotated), received input shape {input_shape}."
            )
        if len(input_shape) < 3:
            raise ValueError(
                "RotaryEmbedding: `inputs` must have rank >= 3 ([batch, length, ..., dim]), "
                f"received input shape {input_shape}."
            )
        self.built = True

    def call(self, inputs, positions=None):
        shape = tf.shape(inputs)
        rank = inputs.shape.rank
        dim = inputs.shape[-1]
        if positions is None:
            positions = tf.range(shape[1], dtype=tf.float32)[None]
        else:
            positions = tf.cast(positions, tf.float32)
            if positions.shape.rank == 1:
                positions = positions[None]
        # Each pair's frequency twice, so that the angles line up with the features.
        exponents = np.repeat(np.arange(0, dim // 2, dtype=np.float32) * (-2.0 / dim), 2)
        inverse_frequencies = tf.pow(tf.constant(self.max_wavelength, tf.float32), exponents)
        angles = positions[..., None] * inverse_frequencies  # [batch or 1, length, dim]
        # Broadcast over any axes between the sequence and the features (heads).
        angles = tf.reshape(angles, tf.concat([tf.shape(angles)[:2], [1] * (rank - 3), [dim]], 0))
        cos = tf.cast(tf.cos(angles), inputs.dtype)
        # -sin on the first feature of a pair, +sin on the second.
        signs = tf.constant(np.tile(np.array([-1.0, 1.0], np.float32), dim // 2))
        sin = tf.cast(tf.sin(angles) * signs, inputs.dtype)
        # Elementwise only (no strided slices, whose gradients write whole zero tensors):
        # y = x * cos + swap(x) * sin, swap exchanging the two features of each pair.
        pairs = tf.reshape(inputs, tf.concat([shape[:-1], [dim // 2, 2]], 0))
        swapped = tf.reshape(tf.reverse(pairs, axis=[-1]), shape)
        return inputs * cos + swapped * sin

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"max_wavelength": self.max_wavelength})
        return config
