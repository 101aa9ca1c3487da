"""FlatDense and LayerNorm against Keras's own Dense and LayerNormalization and numpy."""

import gc
import weakref

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.layer_harness import run_layer_test
from tf_ner.bert.primitives import FlatDense, LayerNorm

HIDDEN = np.random.default_rng(4).normal(size=(2, 5, 8)).astype("float32")


def test_flat_dense_through_the_layer_harness(tmp_path):
    run_layer_test(
        FlatDense,
        {"units": 6, "activation": "gelu", "name": "dense"},
        HIDDEN,
        tmp_path=tmp_path,
        expected_output_shape=(2, 5, 6),
        expected_output_dtype="float32",
        expected_num_trainable_weights=2,
        expected_num_params=8 * 6 + 6,
    )


def test_layer_norm_through_the_layer_harness(tmp_path):
    run_layer_test(
        LayerNorm,
        {"epsilon": 1e-12, "name": "LayerNorm"},
        HIDDEN,
        tmp_path=tmp_path,
        expected_output_shape=(2, 5, 8),
        expected_output_dtype="float32",
        expected_num_trainable_weights=2,
        expected_num_params=2 * 8,
    )


def _copy_weights(source, target):
    for s, t in zip(source.weights, target.weights, strict=True):
        assert s.path.split("/")[-1] == t.path.split("/")[-1]
        t.assign(s)


@pytest.mark.parametrize("shape", [(3, 7, 5), (4, 5), (2, 3, 4, 5)])
def test_flat_dense_equals_dense_with_gradients(shape):
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=shape), tf.float32)
    dense = keras.layers.Dense(6, activation="gelu", name="dense")
    flat = FlatDense(6, activation="gelu", name="dense")
    dense.build(shape)
    flat.build(shape)
    dense.bias.assign(rng.normal(size=6))
    _copy_weights(dense, flat)
    results = []
    for layer in (dense, flat):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x)
            loss = tf.reduce_sum(y * tf.sin(y))
        results.append((y, *tape.gradient(loss, [x, *layer.trainable_weights])))
    assert results[1][0].shape == shape[:-1] + (6,)
    for ours, theirs in zip(results[1], results[0], strict=True):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)


def _numpy_layer_norm(x, gamma, beta, epsilon):
    mean = x.mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(x.var(-1, keepdims=True) + epsilon) * gamma + beta


def _gradients(layer, x, upstream):
    """d sum(layer(x) * upstream) / d (x, gamma, beta), by a gradient tape."""
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(layer(x) * upstream)
    return tape.gradient(loss, [x, layer.gamma, layer.beta])


@pytest.mark.parametrize("traced", [False, True], ids=["eager", "tf_function"])
@pytest.mark.parametrize("epsilon", [1e-12, 1e-3])
def test_layer_norm_forward_and_gradients(epsilon, traced):
    rng = np.random.default_rng(1)
    x = rng.normal(3.0, 2.0, size=(2, 5, 16))
    ours, reference = LayerNorm(epsilon=epsilon), keras.layers.LayerNormalization(epsilon=epsilon)
    for layer in (ours, reference):
        layer.build(x.shape)
    ours.gamma.assign(rng.normal(1.0, 0.3, 16))
    ours.beta.assign(rng.normal(0.0, 0.3, 16))
    _copy_weights(ours, reference)
    np.testing.assert_allclose(
        ours(tf.constant(x, tf.float32)).numpy(),
        _numpy_layer_norm(x, ours.gamma.numpy(), ours.beta.numpy(), epsilon),
        atol=2e-5,
    )
    upstream = tf.constant(rng.normal(size=x.shape), tf.float32)
    x_tensor = tf.constant(x, tf.float32)
    gradients = tf.function(_gradients) if traced else _gradients
    grads = [gradients(layer, x_tensor, upstream) for layer in (ours, reference)]
    for g_ours, g_reference in zip(*grads, strict=True):
        np.testing.assert_allclose(g_ours.numpy(), g_reference.numpy(), rtol=1e-4, atol=1e-5)


def test_layer_norm_gradient_matches_finite_differences():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(1, 1, 6))
    layer = LayerNorm(epsilon=1e-6, dtype="float64")
    layer.build(x.shape)
    layer.gamma.assign(rng.normal(1.0, 0.3, 6))
    weights = rng.normal(size=x.shape)

    def loss(values):
        return float(tf.reduce_sum(layer(tf.constant(values, tf.float32)) * weights))

    x_tensor = tf.constant(x, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x_tensor)
        value = tf.reduce_sum(layer(x_tensor) * weights)
    analytic = tape.gradient(value, x_tensor).numpy()
    numeric = np.zeros_like(x)
    for i in range(6):
        step = np.zeros_like(x)
        step[0, 0, i] = 1e-2
        numeric[0, 0, i] = (loss(x + step) - loss(x - step)) / 2e-2
    np.testing.assert_allclose(analytic, numeric, rtol=2e-3, atol=2e-3)


def test_layer_norm_under_mixed_precision_returns_the_compute_dtype():
    layer = LayerNorm(epsilon=1e-12, dtype="mixed_bfloat16")
    x = tf.constant(np.random.default_rng(3).normal(size=(2, 3, 8)), tf.bfloat16)
    y = layer(x)
    assert y.dtype == tf.bfloat16 and layer.gamma.dtype == "float32"
    np.testing.assert_allclose(
        tf.cast(y, tf.float32).numpy(),
        _numpy_layer_norm(tf.cast(x, tf.float32).numpy(), 1.0, 0.0, 1e-12),
        atol=0.05,
    )


def test_a_traced_layer_norm_gradient_is_freed_with_its_function():
    # tf.custom_gradient registers every traced gradient in TensorFlow's global registry,
    # which kept the graph of each training step (and its optimizer's functions) alive.
    layer = LayerNorm(epsilon=1e-12)
    layer.build((2, 3, 8))
    step = tf.function(lambda x: _gradients(layer, x, tf.ones_like(x)))
    graph = weakref.ref(step.get_concrete_function(tf.TensorSpec([None, None, 8])).graph)
    del step
    gc.collect()
    assert graph() is None
