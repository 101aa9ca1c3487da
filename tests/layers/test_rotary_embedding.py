import numpy as np
import pytest
import tensorflow as tf

from tests.layer_harness import run_layer_test
from tests.layers.reference import rope_numpy
from tf_ner.layers import RotaryEmbedding


def test_layer_harness(tmp_path):
    x = np.random.default_rng(0).normal(size=(2, 5, 3, 8)).astype("float32")
    run_layer_test(
        RotaryEmbedding,
        {"max_wavelength": 1000},
        x,
        tmp_path=tmp_path,
        expected_output_shape=(2, 5, 3, 8),
        expected_output_dtype="float32",
        expected_num_trainable_weights=0,
        expected_num_params=0,
        run_training_check=False,
    )


@pytest.mark.parametrize("shape", [(2, 7, 6), (2, 5, 3, 8)])
def test_matches_complex_rotation(shape):
    x = np.random.default_rng(1).normal(size=shape).astype("float32")
    np.testing.assert_allclose(RotaryEmbedding()(x), rope_numpy(x), atol=1e-5)


def test_scores_depend_on_relative_position_only():
    rng = np.random.default_rng(2)
    q, k = rng.normal(size=(2, 8)).astype("float32")
    length = 9
    rope = RotaryEmbedding()
    rq = rope(np.broadcast_to(q, (1, length, 8))).numpy()[0]
    rk = rope(np.broadcast_to(k, (1, length, 8))).numpy()[0]
    scores = rq @ rk.T
    for offset in range(-3, 4):
        diagonal = np.diagonal(scores, offset)
        np.testing.assert_allclose(diagonal, diagonal[0], rtol=1e-4, atol=1e-4)


def test_explicit_positions_equal_default():
    x = np.random.default_rng(3).normal(size=(2, 6, 4)).astype("float32")
    rope = RotaryEmbedding()
    np.testing.assert_allclose(rope(x, positions=np.arange(6)), rope(x), atol=1e-6)
    shifted = rope(x[:, 2:], positions=np.arange(2, 6))
    np.testing.assert_allclose(shifted, rope(x)[:, 2:], atol=1e-5)


def test_bfloat16_keeps_dtype():
    x = tf.cast(np.random.default_rng(4).normal(size=(1, 5, 4)), tf.bfloat16)
    out = RotaryEmbedding(dtype="mixed_bfloat16")(x)
    assert out.dtype == tf.bfloat16
    np.testing.assert_allclose(
        tf.cast(out, tf.float32), rope_numpy(tf.cast(x, tf.float32)), atol=0.05
    )


def test_odd_dimension_rejected():
    with pytest.raises(ValueError, match="even"):
        RotaryEmbedding()(np.zeros((1, 4, 5), "float32"))
