"""The shared update rule as a function: golden values from the formula in the issue."""

import numpy as np
import pytest
import tensorflow as tf

from tf_ner.optimization import update_rule


def test_one_step_golden_values():
    param = tf.constant([1.0, -2.0], tf.float64)
    grad = tf.constant([0.5, 0.0], tf.float64)
    zeros = tf.zeros(2, tf.float64)
    correction = update_rule.correction_at_step(1, 0.9, 0.999, tf.float64)
    assert float(correction) == pytest.approx(np.sqrt(0.001) / 0.1, rel=1e-15)
    p, m, v = update_rule.adam_weight_decay_step(
        param,
        grad,
        zeros,
        zeros,
        0.1,
        0.9,
        0.999,
        1e-6,
        weight_decay_rate=0.01,
        correction=correction,
    )
    np.testing.assert_allclose(m, [0.05, 0.0], rtol=1e-15)
    np.testing.assert_allclose(v, [0.00025, 0.0], rtol=1e-15)
    # p - lr * c * m / (sqrt(v) + eps) - lr * wd * p, written out by hand:
    expected_0 = 1.0 - 0.1 * 0.316227766016838 * 0.05 / (0.0158113883008419 + 1e-6) - 0.001
    np.testing.assert_allclose(p, [expected_0, -2.0 + 0.002], rtol=1e-13)


def test_anchor_decays_towards_pretrained_value_and_zero_rate_skips_decay():
    param = tf.constant([3.0], tf.float64)
    zeros = tf.zeros(1, tf.float64)
    p = update_rule.parameter_step(
        param, zeros, zeros, 0.5, 1e-6, 0.2, anchor=tf.constant([1.0], tf.float64)
    )
    np.testing.assert_allclose(p, [3.0 - 0.5 * 0.2 * 2.0])
    p = update_rule.parameter_step(param, zeros, zeros, 0.5, 1e-6, 0.0)
    np.testing.assert_array_equal(p, [3.0])


def test_sparse_increments_reproduce_the_dense_moment_rows_exactly():
    rng = np.random.default_rng(0)
    m = tf.constant(rng.normal(size=(4, 2)).astype("float32"))
    rows = tf.constant(rng.normal(size=(2, 2)).astype("float32"))
    dense = tf.tensor_scatter_nd_update(tf.zeros((4, 2)), [[1], [3]], rows)
    m_inc, _ = update_rule.sparse_moment_increments(rows, 0.9, 0.999)
    sparse = tf.tensor_scatter_nd_add(
        tf.multiply(update_rule.as_dtype(0.9, tf.float32), m), [[1], [3]], m_inc
    )
    np.testing.assert_array_equal(sparse, update_rule.first_moment(m, dense, 0.9))
