"""Probabilities from scores, in numpy and float64 whatever the scores' dtype (bfloat16
and float16 tensors included): what predictors report, on either runtime."""

import numpy as np


def softmax(scores):
    """float64 softmax over the last axis of `scores`."""
    scores = np.asarray(scores).astype(np.float64)
    exponentials = np.exp(scores - scores.max(-1, keepdims=True))
    return exponentials / exponentials.sum(-1, keepdims=True)


def sigmoid(scores):
    """float64 logistic sigmoid of `scores`, elementwise; a score below about -709 gives
    0 (`exp` overflows to inf there, silently)."""
    scores = np.asarray(scores).astype(np.float64)
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-scores))
