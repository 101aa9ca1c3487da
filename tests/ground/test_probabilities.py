import math
import warnings

import ml_dtypes
import numpy as np
import pytest

from tf_ner.ground.probabilities import sigmoid, softmax


def test_softmax_and_sigmoid_equal_their_definitions_in_float64():
    scores = np.array([[1.5, -2.0, 0.25], [800.0, 799.0, -1e4]], np.float32)
    expected = [[math.exp(s - max(row)) / sum(math.exp(t - max(row)) for t in row)
                 for s in row] for row in scores.tolist()]  # fmt: skip
    got = softmax(scores)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-15)
    np.testing.assert_allclose(sigmoid([0.0, 2.0, -3.5]),
                               [0.5, 1 / (1 + math.exp(-2.0)), 1 / (1 + math.exp(3.5))],
                               rtol=1e-15)  # fmt: skip


def test_bfloat16_scores_are_read_at_their_value_and_large_negatives_give_zero_quietly():
    scores = np.array([0.5, -1.25], ml_dtypes.bfloat16)  # exact in bfloat16
    np.testing.assert_allclose(sigmoid(scores), [1 / (1 + math.exp(-0.5)),
                                                 1 / (1 + math.exp(1.25))], rtol=1e-15)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning would fail here
        assert sigmoid([-1000.0, 1000.0]).tolist() == [0.0, 1.0]
    assert softmax(np.array([1.0, 1.0], ml_dtypes.bfloat16)).tolist() == pytest.approx([0.5, 0.5])
