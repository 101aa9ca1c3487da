import keras
import numpy as np
import pytest

from tests.metrics.helpers import passthrough_model, random_tag_batch
from tf_ner.metrics import TokenAccuracy


def reference(labels, predictions, weights=None):
    """numpy: weighted share of right ids over positions with a label >= 0."""
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    if predictions.ndim == 3:
        predictions = predictions.argmax(-1)
    weights = np.ones(labels.shape) if weights is None else np.asarray(weights, float)
    if weights.ndim == 1:
        weights = np.broadcast_to(weights[:, None], labels.shape)
    weights = weights * (labels >= 0)
    return float((weights * (labels == predictions)).sum() / weights.sum())


def test_token_accuracy_against_numpy_ids_logits_and_weights():
    rng = np.random.default_rng(0)
    labels, predictions = random_tag_batch(rng, 5, rows=40, length=9)
    logits = rng.normal(size=(40, 9, 5)).astype("float32")
    for y_pred in (predictions, logits):
        metric = TokenAccuracy()
        metric.update_state(labels, y_pred)
        assert float(metric.result()) == pytest.approx(reference(labels, y_pred), rel=1e-6)
    for weights in (rng.random(40), (rng.random((40, 9)) < 0.7).astype("float32")):
        metric = TokenAccuracy()
        metric.update_state(labels, predictions, sample_weight=weights)
        expected = reference(labels, predictions, weights)
        assert float(metric.result()) == pytest.approx(expected, rel=1e-6)


def test_token_accuracy_skips_negative_labels_and_starts_at_zero():
    metric = TokenAccuracy()
    assert float(metric.result()) == 0.0
    metric.update_state([[1, -100, 2, -100]], [[1, 7, 0, 7]])
    assert float(metric.result()) == 0.5
    assert float(metric.total.numpy()) == 2.0


def test_token_accuracy_in_fit_is_corpus_level():
    rng = np.random.default_rng(1)
    labels, predictions = random_tag_batch(rng, 4, rows=13, length=6, ignored=0.5)
    model = passthrough_model(predictions.shape[1:], "int32")
    model.compile(optimizer="sgd", loss=None, metrics=[TokenAccuracy()])
    history = model.fit(predictions, labels, batch_size=4, epochs=1, verbose=0)
    assert history.history["token_accuracy"][0] == pytest.approx(reference(labels, predictions))
    scores = model.evaluate(predictions, labels, batch_size=5, verbose=0, return_dict=True)
    assert scores["token_accuracy"] == pytest.approx(reference(labels, predictions))


def test_token_accuracy_config_round_trip_and_rank_error():
    metric = TokenAccuracy(name="acc")
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(metric))
    assert isinstance(revived, TokenAccuracy) and revived.get_config() == metric.get_config()
    with pytest.raises(ValueError, match=r"TokenAccuracy: `y_true` must have rank 2"):
        metric.update_state([1, 2], [1, 2])
