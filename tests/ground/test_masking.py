import numpy as np
import pytest
import tensorflow as tf

from tf_ner.ground.masking import large_negative, mask_logits


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_the_large_negative_stays_finite_when_two_masks_add_up(dtype):
    value = tf.constant(large_negative(dtype), dtype)
    assert np.isfinite(float(value + value))
    assert large_negative(dtype) <= -30000


def test_masked_logits_take_the_large_negative_and_keep_the_rest():
    logits = tf.constant([[1.0, 2.0], [3.0, 4.0]], tf.float16)
    masked = mask_logits(logits, tf.constant([[1, 0], [0, 1]])).numpy()
    assert masked[0, 0] == 1.0 and masked[1, 1] == 4.0
    assert masked[0, 1] == masked[1, 0] == large_negative("float16")
    with pytest.raises(ValueError, match="needs a floating dtype, got int32"):
        large_negative("int32")
