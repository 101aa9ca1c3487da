import keras
import numpy as np
import pytest
from sklearn.metrics import f1_score

from tests.metrics.helpers import passthrough_model
from tf_ner.metrics import MacroF1


def test_single_label_matches_sklearn_macro_over_classes_that_occur():
    rng = np.random.default_rng(0)
    labels = rng.choice([0, 1, 2, 4], size=60)  # class 3 never gold; 5 is never anything
    logits = rng.normal(size=(60, 6)).astype("float32")
    logits[:, 5] -= 100.0
    predictions = logits.argmax(-1)
    assert 3 in predictions and 5 not in predictions
    metric = MacroF1(num_classes=6)
    for part in np.array_split(np.arange(60), 4):  # corpus level across batches
        metric.update_state(labels[part], logits[part])
    expected = f1_score(labels, predictions, average="macro")
    assert float(metric.result()) == pytest.approx(expected, rel=1e-6)
    batch_mean = np.mean(
        [f1_score(labels[p], predictions[p], average="macro") for p in np.array_split(range(60), 4)]
    )
    assert expected != pytest.approx(batch_mean)
    per_class = {k: v.numpy() for k, v in metric.per_class_scores().items()}
    np.testing.assert_allclose(
        per_class["f1"],
        f1_score(labels, predictions, average=None, labels=range(6), zero_division=0),
        rtol=1e-6,
    )
    assert per_class["support"].tolist() == np.bincount(labels, minlength=6).tolist()


def test_single_label_sample_weight_matches_sklearn():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 3, size=30)
    probabilities = rng.dirichlet(np.ones(3), size=30).astype("float32")
    weights = rng.random(30)
    metric = MacroF1(num_classes=3)
    metric.update_state(labels[:, None], probabilities, sample_weight=weights)  # [batch, 1]
    expected = f1_score(labels, probabilities.argmax(-1), average="macro", sample_weight=weights)
    assert float(metric.result()) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("from_logits", [False, True])
def test_multi_label_matches_sklearn_with_labels_that_occur(from_logits):
    rng = np.random.default_rng(2)
    gold = (rng.random((40, 5)) < 0.3).astype("float32")
    gold[:, 4] = 0.0
    probabilities = rng.random((40, 5)).astype("float32")
    probabilities[:, 4] = 0.1  # class 4: never gold, never predicted
    scores = np.log(probabilities / (1 - probabilities)) if from_logits else probabilities
    metric = MacroF1(num_classes=5, multi_label=True, threshold=0.6, from_logits=from_logits)
    metric.update_state(gold[:25], scores[:25])
    metric.update_state(gold[25:], scores[25:])
    predicted = (probabilities > 0.6).astype(int)
    expected = f1_score(gold, predicted, average="macro", labels=[0, 1, 2, 3])
    assert float(metric.result()) == pytest.approx(expected, rel=1e-5)
    # scikit-learn's multi-label default averages all columns (class 4 as F1 0).
    assert f1_score(gold, predicted, average="macro", zero_division=0) < expected


def test_macro_f1_in_fit_and_evaluate_is_corpus_level():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 4, size=23)
    logits = rng.normal(size=(23, 4)).astype("float32")
    expected = f1_score(labels, logits.argmax(-1), average="macro")
    model = passthrough_model((4,), "float32")
    model.compile(
        optimizer="sgd",
        loss=None,
        metrics=[MacroF1(num_classes=4), keras.metrics.SparseCategoricalAccuracy("accuracy")],
    )
    history = model.fit(logits, labels, batch_size=5, epochs=1, verbose=0)
    assert history.history["macro_f1"][0] == pytest.approx(expected, rel=1e-6)
    scores = model.evaluate(logits, labels, batch_size=4, verbose=0, return_dict=True)
    assert scores["macro_f1"] == pytest.approx(expected, rel=1e-6)
    assert scores["accuracy"] == pytest.approx(np.mean(logits.argmax(-1) == labels))


def test_macro_f1_empty_config_round_trip_and_errors():
    metric = MacroF1(num_classes=3, multi_label=True, threshold=0.3, from_logits=True, name="m")
    assert float(metric.result()) == 0.0
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(metric))
    assert isinstance(revived, MacroF1) and revived.get_config() == metric.get_config()
    with pytest.raises(ValueError, match=r"MacroF1: `num_classes` must be an int >= 1"):
        MacroF1(num_classes=0)
    with pytest.raises(ValueError, match=r"MacroF1: `y_true` has values outside \[0, 3\)"):
        MacroF1(num_classes=3).update_state([0, 3], np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"MacroF1: `y_true` must have rank 2"):
        metric.update_state([0, 1], np.zeros((2, 3)))
