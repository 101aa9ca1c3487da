import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.layers.reference import multilabel_loss_numpy, valid_cells
from tf_ner.ground.masking import large_negative
from tf_ner.layers import GlobalPointer
from tf_ner.losses import (
    dense_global_pointer_labels,
    global_pointer_loss,
    masked_token_crossentropy,
    sparse_global_pointer_loss,
)

TYPES, LENGTH = 3, 7
MASK = np.array([[0, 1, 1, 1, 1, 0, 0], [0, 1, 1, 1, 1, 1, 0]])
SPARSE = np.array(
    [
        [[0, 1, 3], [2, 2, 2], [0, 2, 3], [0, 1, 3], [-1, -1, -1]],  # nested + a duplicate
        [[1, 5, 5], [-1, -1, -1], [-1, -1, -1], [-1, -1, -1], [-1, -1, -1]],
    ],
    "int32",
)


def _dense_numpy(sparse):
    dense = np.zeros((len(sparse), TYPES, LENGTH, LENGTH), "float32")
    for b, rows in enumerate(sparse):
        for t, s, e in rows:
            if t >= 0:
                dense[b, t, s, e] = 1
    return dense


def _masked_logits(seed=0, scale=3.0):
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=scale, size=(2, TYPES, LENGTH, LENGTH)).astype("float32")
    valid = np.broadcast_to(valid_cells(MASK, LENGTH), logits.shape)
    return np.where(valid, logits, large_negative("float32")).astype("float32"), valid


def test_dense_labels_match_numpy():
    dense = dense_global_pointer_labels(SPARSE, TYPES, LENGTH)
    assert dense.shape == (2, TYPES, LENGTH, LENGTH) and dense.dtype == tf.float32
    np.testing.assert_array_equal(dense, _dense_numpy(SPARSE))
    empty = dense_global_pointer_labels(np.zeros((2, 0, 3), "int32"), TYPES, LENGTH)
    assert not np.any(empty)


def test_dense_labels_in_graph_with_dynamic_shapes():
    build = tf.function(
        dense_global_pointer_labels,
        input_signature=[
            tf.TensorSpec([None, None, 3], tf.int32),
            tf.TensorSpec([], tf.int32),
            tf.TensorSpec([], tf.int32),
        ],
    )
    np.testing.assert_array_equal(build(SPARSE, TYPES, LENGTH), _dense_numpy(SPARSE))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dense_loss_matches_numpy(seed):
    logits, valid = _masked_logits(seed)
    labels = _dense_numpy(SPARSE)
    expected = multilabel_loss_numpy(labels, logits, valid)
    assert np.isclose(global_pointer_loss(labels, logits), expected, rtol=1e-5)


def test_loss_on_layer_output_with_large_logits_is_finite_and_matches_numpy():
    hidden = np.random.default_rng(3).normal(scale=5, size=(2, LENGTH, 16)).astype("float32")
    logits = GlobalPointer(TYPES, head_size=8)(hidden, mask=MASK).numpy()
    labels = _dense_numpy(SPARSE)
    expected = multilabel_loss_numpy(labels, logits, valid_cells(MASK, LENGTH))
    assert np.isclose(global_pointer_loss(labels, logits), expected, rtol=1e-5)


def test_labels_on_masked_cells_are_ignored():
    logits, valid = _masked_logits(4)
    labels = _dense_numpy(SPARSE)
    with_masked = labels.copy()
    with_masked[0, 0, 0, 0] = 1  # [CLS]
    with_masked[1, 2, 4, 2] = 1  # end before start
    assert np.isclose(global_pointer_loss(with_masked, logits), global_pointer_loss(labels, logits))


def test_masked_cells_from_half_precision_are_recognised():
    logits, valid = _masked_logits(5)
    labels = _dense_numpy(SPARSE)
    expected = global_pointer_loss(labels, logits)
    for dtype in ("float16", "bfloat16"):
        low = np.where(valid, logits, large_negative(dtype))
        assert np.isclose(global_pointer_loss(labels, tf.cast(low, dtype)), expected, rtol=2e-2)


@pytest.mark.parametrize("seed", [0, 1])
def test_sparse_and_dense_give_same_loss_and_gradient(seed):
    logits, _ = _masked_logits(seed)
    logits = tf.Variable(logits)
    results = []
    for labels, loss_fn in [
        (_dense_numpy(SPARSE), global_pointer_loss),
        (SPARSE, global_pointer_loss),
        (SPARSE, sparse_global_pointer_loss),
    ]:
        with tf.GradientTape() as tape:
            loss = loss_fn(labels, logits)
        results.append((loss.numpy(), tape.gradient(loss, logits).numpy()))
    # The sparse form never builds dense labels: equal up to float32 rounding.
    for loss, gradient in results[1:]:
        np.testing.assert_allclose(loss, results[0][0], rtol=1e-6)
        np.testing.assert_allclose(gradient, results[0][1], rtol=1e-5, atol=1e-8)
    assert np.abs(results[0][1]).max() > 0


def test_sparse_loss_matches_numpy_with_duplicates_masked_labels_and_large_logits():
    logits, valid = _masked_logits(9)
    logits[0, 0, 1, 3] = 40.0  # a confident positive (e^40 swamps the other cells)
    logits[1, 1, 5, 5] = -30.0  # a confident miss
    sparse = SPARSE.copy()
    sparse[0, 4] = [0, 0, 0]  # on [CLS]: a masked cell, ignored
    sparse[1, 1] = [2, 1, 1]
    expected = multilabel_loss_numpy(_dense_numpy(sparse), logits, valid)
    assert np.isclose(sparse_global_pointer_loss(sparse, logits), expected, rtol=1e-6)
    graph = tf.function(
        sparse_global_pointer_loss,
        input_signature=[tf.TensorSpec([None, None, 3], tf.int32), tf.TensorSpec(None)],
    )
    assert np.isclose(graph(sparse, logits), expected, rtol=1e-6)


def test_sparse_loss_of_half_precision_logits():
    logits, valid = _masked_logits(10)
    expected = multilabel_loss_numpy(_dense_numpy(SPARSE), logits, valid)
    low = np.where(valid, logits, large_negative("float16")).astype("float16")
    assert np.isclose(sparse_global_pointer_loss(SPARSE, low), expected, rtol=2e-2)


def test_gradient_matches_numpy():
    logits, valid = _masked_logits(6, scale=1.0)
    labels = _dense_numpy(SPARSE)
    variable = tf.Variable(logits)
    with tf.GradientTape() as tape:
        loss = global_pointer_loss(labels, variable)
    gradient = tape.gradient(loss, variable).numpy()
    # d/ds of log(1 + sum e^{-s_pos}) + log(1 + sum e^{s_neg}), averaged over b*t rows.
    expected = np.zeros_like(logits, dtype=np.float64)
    s = logits.astype(np.float64)
    for b in range(2):
        for t in range(TYPES):
            pos = (labels[b, t] > 0) & valid[b, t]
            neg = (labels[b, t] == 0) & valid[b, t]
            e_pos = np.where(pos, np.exp(np.where(pos, -s[b, t], 0)), 0)
            e_neg = np.where(neg, np.exp(np.where(neg, s[b, t], 0)), 0)
            expected[b, t] = -e_pos / (1 + e_pos.sum()) + e_neg / (1 + e_neg.sum())
    np.testing.assert_allclose(gradient, expected / (2 * TYPES), atol=1e-7)


def test_as_keras_loss_with_sparse_labels_in_fit():
    hidden = np.random.default_rng(7).normal(size=(2, LENGTH, 16)).astype("float32")
    inputs, mask = keras.Input((LENGTH, 16)), keras.Input((LENGTH,), dtype="int32")
    model = keras.Model([inputs, mask], GlobalPointer(TYPES, head_size=8)(inputs, mask=mask))
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss=global_pointer_loss)
    history = model.fit([hidden, MASK], SPARSE, epochs=20, verbose=0)
    assert history.history["loss"][-1] < 0.2 * history.history["loss"][0]


@pytest.mark.parametrize(
    "row, match",
    [
        ([3, 1, 2], r"`sparse\[\.\.\., 0\] \(type\)` has values outside \[-1, 3\): received \[3\]"),
        ([-2, 1, 2], r"\(type\)` has values outside \[-1, 3\): received \[-2\]"),
        ([0, 7, 7], r"\(start\)` has values outside \[0, 7\): received \[7\]"),
        ([0, 1, 9], r"\(end\)` has values outside \[0, 7\): received \[9\]"),
        ([0, 3, 1], r"\(end - start\)` has values outside \[0, 7\): received \[-2\]"),
        ([-1, 2, 2], r"\(start\) of padding rows` has values outside \[-1, 0\)"),
    ],
)
def test_bad_sparse_labels(row, match):
    sparse = SPARSE.copy()
    sparse[1, 1] = row
    with pytest.raises(ValueError, match=match):
        dense_global_pointer_labels(sparse, TYPES, LENGTH)
    logits, _ = _masked_logits()
    with pytest.raises(ValueError, match=match):
        global_pointer_loss(sparse, logits)


def test_bad_sparse_labels_in_graph_raise():
    sparse = SPARSE.copy()
    sparse[0, 0, 0] = 5
    logits, _ = _masked_logits()
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\(type\)` has values outside"):
        tf.function(global_pointer_loss)(sparse, logits)


def test_bad_shapes():
    logits, _ = _masked_logits()
    with pytest.raises(ValueError, match=r"`y_true` must have rank 3 or 4"):
        global_pointer_loss(np.zeros((2, 3)), logits)
    with pytest.raises(ValueError, match=r"must have the shape of `y_pred`"):
        global_pointer_loss(np.zeros((2, TYPES, LENGTH, LENGTH - 1)), logits)
    with pytest.raises(ValueError, match=r"\[batch, max_spans, 3\]"):
        dense_global_pointer_labels(np.zeros((2, 4, 2), "int32"), TYPES, LENGTH)


def _token_ce_numpy(labels, logits):
    logits = logits.astype(np.float64)
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    keep = labels != -100
    picked = np.take_along_axis(log_probs, np.where(keep, labels, 0)[..., None], -1)[..., 0]
    return -picked[keep].mean()


def test_masked_token_crossentropy_matches_numpy():
    rng = np.random.default_rng(8)
    logits = rng.normal(size=(2, 5, 4)).astype("float32")
    labels = np.array([[-100, 1, 3, -100, 0], [-100, 2, -100, -100, -100]])
    expected = _token_ce_numpy(labels, logits)
    assert np.isclose(masked_token_crossentropy(labels, logits), expected, rtol=1e-6)
    probs = tf.nn.softmax(logits)
    assert np.isclose(
        masked_token_crossentropy(labels, probs, from_logits=False), expected, rtol=1e-5
    )
    # Keras hands float labels to losses.
    assert np.isclose(
        masked_token_crossentropy(labels.astype("float32"), logits), expected, rtol=1e-6
    )
    assert masked_token_crossentropy(np.full((2, 5), -100), logits) == 0.0


def test_masked_token_crossentropy_bad_labels():
    logits = np.zeros((1, 3, 4), "float32")
    with pytest.raises(
        ValueError, match=r"`y_true` has values outside \[0, 4\): received \[-1, 4\]"
    ):
        masked_token_crossentropy(np.array([[4, -1, -100]]), logits)
