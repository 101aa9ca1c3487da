import numpy as np
import pytest
import tensorflow as tf

from tf_ner.ground.masking import large_negative
from tf_ner.layers import GlobalPointer, decode_global_pointer


def _logits(batch=2, types=2, length=5):
    return np.full((batch, types, length, length), -3.0, "float32")


def test_keeps_positive_cells_nested_and_inclusive_end():
    logits = _logits()
    logits[0, 1, 1, 3] = 2.0  # tokens 1..3 of type 1
    logits[0, 1, 2, 2] = 0.5  # nested inside it
    logits[0, 0, 1, 3] = 0.1  # same span, other type
    logits[1, 0, 4, 4] = 9.0
    assert decode_global_pointer(logits) == [
        [(0, 1, 3), (1, 1, 3), (1, 2, 2)],
        [(0, 4, 4)],
    ]


def test_threshold_is_strict_and_configurable():
    logits = _logits(batch=1)
    logits[0, 0, 0, 1] = 0.0
    logits[0, 0, 2, 3] = 1.5
    assert decode_global_pointer(logits) == [[(0, 2, 3)]]
    assert decode_global_pointer(logits, threshold=-0.5) == [[(0, 0, 1), (0, 2, 3)]]
    assert decode_global_pointer(logits, threshold=2.0) == [[]]


def test_end_before_start_is_not_a_span():
    logits = _logits(batch=1)
    logits[0, 0, 3, 1] = 5.0
    assert decode_global_pointer(logits) == [[]]


def test_masked_cells_never_decoded():
    hidden = np.random.default_rng(0).normal(size=(1, 6, 8)).astype("float32") * 10
    mask = np.array([[0, 1, 1, 1, 0, 0]])
    logits = GlobalPointer(2, head_size=4)(hidden, mask=mask)
    for _, start, end in decode_global_pointer(logits)[0]:
        assert 1 <= start <= end <= 3
    assert decode_global_pointer(logits, threshold=large_negative("float32") * 2)[0]
    assert all(1 <= s <= e <= 3 for _, s, e in decode_global_pointer(logits, threshold=-1e6)[0])


def test_accepts_tensors_and_bfloat16():
    logits = _logits(batch=1)
    logits[0, 1, 0, 2] = 4.0
    assert decode_global_pointer(tf.cast(logits, tf.bfloat16)) == [[(1, 0, 2)]]


def test_bad_shape():
    with pytest.raises(
        ValueError, match=r"\[batch, num_types, length, length\], received shape \(2, 5, 5\)"
    ):
        decode_global_pointer(np.zeros((2, 5, 5)))
