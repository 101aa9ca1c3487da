"""`Dense` and `LayerNorm` for the encoder: Keras's layers, same weights, cheaper steps.

- `FlatDense` multiplies `[batch, length, in]` as one `[batch * length, in]` matrix:
  TensorFlow then runs a plain GEMM instead of a broadcast batched matmul, which on
  CPU is the slower kernel (forward and both gradients).
- `LayerNorm` writes LayerNormalization's gradient by hand (one fused expression
  instead of the autodiff graph of mean, variance and rsqrt).

`FlatDense` also takes a training-time kernel (Mixout, `tf_ner.bert.mixout`): a hook
that is no part of the layer's config or weights.

Both keep Keras's variables (`kernel`/`bias`, `gamma`/`beta`), configs and
serialisation, so checkpoints and saved models are unchanged.
"""

import keras
import tensorflow as tf

# Keras casts a variable read inside a mixed-precision layer to the compute dtype; the
# scope with dtype None reads it as stored (the scope Keras itself enters for layers
# with `autocast=False`). Not in Keras's public API.
from keras.src.backend.common.variables import AutocastScope

# What `tf.custom_gradient` uses to put an operation with its own gradient on the
# gradient tape (see `_layer_norm`). Not in TensorFlow's public API.
from tensorflow.python.eager import record


@keras.saving.register_keras_serializable(package="tf_ner")
class FlatDense(keras.layers.Dense):
    """`keras.layers.Dense` computed on the input flattened to 2-D.

    Args and call arguments: those of `keras.layers.Dense`; the output is the same.

    Attributes:
        training_kernel: None, or a callable `kernel -> kernel` (`[in, units]`, in the
            variable's dtype) whose result replaces the kernel when `training` is true
            (Mixout sets it: `tf_ner.bert.mixout.attach_mixout`). Set it with
            `object.__setattr__`, so that Keras neither tracks nor saves it: the
            layer's config, weights and inference (`training=False`) stay those of a
            plain Dense.

    Example:
    >>> FlatDense(3)(tf.ones([2, 4, 5])).shape
    TensorShape([2, 4, 3])
    """

    training_kernel = None

    def call(self, inputs, training=None):
        if len(inputs.shape) <= 2:
            return self._dense(inputs, training)
        leading = tf.shape(inputs)[:-1]
        flat = tf.reshape(inputs, [-1, inputs.shape[-1]])
        outputs = self._dense(flat, training)
        return tf.reshape(outputs, tf.concat([leading, [self.units]], axis=0))

    def _dense(self, inputs, training):
        """`Dense.call` on 2-D `inputs`, with `training_kernel`'s kernel in training."""
        if not training or self.training_kernel is None:
            return super().call(inputs, training=training)
        with AutocastScope(None):
            kernel = self.training_kernel(self.kernel.value)
        outputs = keras.ops.matmul(inputs, keras.ops.cast(kernel, self.compute_dtype))
        if self.bias is not None:
            outputs = keras.ops.add(outputs, self.bias)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs


def _normalize(x, epsilon):
    """`(x_hat, 1 / std)` over the last axis of `x`.

    Written `(x - mean) / sqrt(mean((x - mean)^2) + epsilon)`: the ops (Pow, Sqrt, Div)
    of the pattern that ONNX Runtime fuses into one LayerNormalization kernel when the
    model is exported (`tf_ner.tasks.onnx`).
    """
    mean = tf.reduce_mean(x, axis=-1, keepdims=True)
    centered = x - mean
    variance = tf.reduce_mean(tf.pow(centered, 2.0), axis=-1, keepdims=True)
    std = tf.sqrt(variance + epsilon)
    return centered / std, 1.0 / std


def _layer_norm(x, gamma, beta, epsilon):
    """LayerNorm over the last axis of float32 `x`, with its gradient in closed form.

    The forward runs unrecorded and is put on the gradient tape as one operation whose
    gradient is `d_x = (g - mean(g) - x_hat * mean(g * x_hat)) / std`, `g = dy * gamma`.
    That is what `tf.custom_gradient` does, without its graph-mode registration: in a
    `tf.function` it registers a new gradient function at every trace in TensorFlow's
    global gradient registry, which keeps the closure's tensors, so every traced
    training step (its graph and its optimizer's functions, hundreds of MB for BERT)
    lived as long as the process, and a stability study training 40 runs in one
    process grew by about 200 MB a run. Here the gradient function lives on the tape.
    Symbolic `tf.gradients`, which no tape records, differentiates the forward's ops.
    """
    with record.stop_recording():
        normalized, inverse_std = _normalize(x, epsilon)
        outputs = normalized * gamma + beta

    def gradient(upstream):
        reduce_axes = list(range(len(normalized.shape) - 1))
        scaled = upstream * gamma
        d_x = inverse_std * (
            scaled
            - tf.reduce_mean(scaled, axis=-1, keepdims=True)
            - normalized * tf.reduce_mean(scaled * normalized, axis=-1, keepdims=True)
        )
        d_gamma = tf.reduce_sum(upstream * normalized, axis=reduce_axes)
        d_beta = tf.reduce_sum(upstream, axis=reduce_axes)
        return [d_x, d_gamma, d_beta]

    record.record_operation("TfNerLayerNorm", [outputs], [x, gamma, beta], gradient)
    return outputs


@keras.saving.register_keras_serializable(package="tf_ner")
class LayerNorm(keras.layers.LayerNormalization):
    """`keras.layers.LayerNormalization` over the last axis, computed in float32.

    Args and call arguments: those of `keras.layers.LayerNormalization`; other axes,
    `center=False`, `scale=False` or `rms_scaling=True` fall back to Keras's own code.

    Example:
    >>> LayerNorm(epsilon=1e-12)(tf.constant([[1.0, 3.0]])).numpy().round(3)
    array([[-1.,  1.]], dtype=float32)
    """

    def call(self, inputs):
        last_axis = self.axis in (-1, len(inputs.shape) - 1, [-1], [len(inputs.shape) - 1])
        if not (last_axis and self.center and self.scale) or self.rms_scaling:
            return super().call(inputs)
        outputs = _layer_norm(
            tf.cast(inputs, tf.float32),
            tf.cast(self.gamma, tf.float32),
            tf.cast(self.beta, tf.float32),
            tf.constant(self.epsilon, tf.float32),
        )
        return tf.cast(outputs, self.compute_dtype)
