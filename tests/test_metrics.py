import keras
import numpy as np
import pytest

from tf_ner.metrics import EntityF1, prf


def test_prf_micro_and_per_type():
    gold = {("d1", 0, 2, "PER"), ("d1", 5, 8, "LOC"), ("d2", 1, 3, "PER"), ("d2", 4, 6, "ORG")}
    pred = {("d1", 0, 2, "PER"), ("d1", 5, 7, "LOC"), ("d2", 1, 3, "PER"), ("d2", 9, 10, "MISC")}
    result = prf(gold, pred)
    assert (result["true_positives"], result["predicted"], result["support"]) == (2, 4, 4)
    assert result["precision"] == result["recall"] == result["f1"] == 0.5
    per_type = result["per_type"]
    assert list(per_type) == ["LOC", "MISC", "ORG", "PER"]
    assert per_type["PER"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2}
    assert per_type["LOC"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert per_type["MISC"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert per_type["ORG"]["support"] == 1 and per_type["ORG"]["recall"] == 0.0


def test_prf_unequal_precision_recall_and_duplicates():
    gold = [(0, 0, 1, "A"), (0, 2, 3, "A"), (0, 4, 5, "B")]
    pred = [(0, 0, 1, "A"), (0, 0, 1, "A")]  # a duplicate counts once
    result = prf(gold, pred)
    assert result["precision"] == 1.0
    assert result["recall"] == pytest.approx(1 / 3)
    assert result["f1"] == pytest.approx(2 * 1 * (1 / 3) / (1 + 1 / 3))


def test_prf_zero_denominators_are_zero():
    empty = prf([], [])
    assert empty["precision"] == empty["recall"] == empty["f1"] == 0.0 and empty["per_type"] == {}
    only_gold = prf([(0, 1, "A")], [])
    assert only_gold["precision"] == 0.0 and only_gold["recall"] == 0.0 and only_gold["f1"] == 0.0


def test_prf_rejects_non_tuples():
    with pytest.raises(
        ValueError, match=r"every element of `pred` must be a tuple.*received 'PER'"
    ):
        prf([(0, 1, "PER")], ["PER"])


def _batch(gold_cells, pred_cells, types=2, length=6):
    """Dense labels and logits (+5 predicted, -5 otherwise) for one example."""
    labels = np.zeros((1, types, length, length), "float32")
    logits = np.full((1, types, length, length), -5.0, "float32")
    for t, s, e in gold_cells:
        labels[0, t, s, e] = 1
    for t, s, e in pred_cells:
        logits[0, t, s, e] = 5.0
    return labels, logits


# Batch 1: one gold, found (F1 1). Batch 2: nine gold, one wrong prediction (F1 0).
BATCHES = [
    _batch([(0, 1, 2)], [(0, 1, 2)]),
    _batch(
        [(t, s, e) for t in range(2) for s, e in [(0, 0), (1, 3), (2, 2), (4, 5), (5, 5)]][:9],
        [(1, 0, 4)],
    ),
]


def test_entity_f1_is_corpus_level_not_batch_average():
    metric = EntityF1()
    per_batch = []
    for labels, logits in BATCHES:
        metric.update_state(labels, logits)
        single = EntityF1()
        single.update_state(labels, logits)
        per_batch.append(float(single.result()))
    assert per_batch == [1.0, 0.0]
    tp, predicted, gold = 1, 2, 10
    assert float(metric.result()) == pytest.approx(2 * tp / (predicted + gold))  # 1/6
    assert float(metric.result()) != pytest.approx(np.mean(per_batch))
    scores = metric.precision_recall_f1()
    assert float(scores["precision"]) == 0.5 and float(scores["recall"]) == pytest.approx(0.1)
    metric.reset_state()
    assert float(metric.result()) == 0.0


def test_entity_f1_through_model_evaluate():
    labels = np.concatenate([b[0] for b in BATCHES])
    logits = np.concatenate([b[1] for b in BATCHES])
    inputs = keras.Input(logits.shape[1:])
    model = keras.Model(inputs, keras.layers.Identity()(inputs))
    model.compile(loss="mse", metrics=[EntityF1()])
    result = model.evaluate(logits, labels, batch_size=1, verbose=0, return_dict=True)
    assert result["entity_f1"] == pytest.approx(1 / 6)


def test_entity_f1_sparse_labels_threshold_lower_triangle_and_weights():
    labels, logits = _batch([(0, 1, 2), (1, 3, 3)], [(0, 1, 2), (0, 4, 2)])  # (4, 2): end < start
    sparse = np.array([[[0, 1, 2], [1, 3, 3], [-1, -1, -1]]], "int32")
    dense_metric, sparse_metric = EntityF1(), EntityF1()
    dense_metric.update_state(labels, logits)
    sparse_metric.update_state(sparse, logits)
    assert float(dense_metric.result()) == float(sparse_metric.result()) == pytest.approx(2 / 3)
    strict = EntityF1(threshold=6.0)
    strict.update_state(labels, logits)
    assert float(strict.result()) == 0.0
    weighted = EntityF1()
    weighted.update_state(
        np.concatenate([labels] * 2), np.concatenate([logits] * 2), sample_weight=[1.0, 0.0]
    )
    assert float(weighted.result()) == pytest.approx(2 / 3)
    assert float(weighted.gold.numpy()) == 2.0


def test_entity_f1_config_round_trip():
    metric = EntityF1(threshold=0.5, name="f1")
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(metric))
    assert isinstance(revived, EntityF1) and revived.get_config() == metric.get_config()


def test_entity_f1_bad_rank():
    with pytest.raises(ValueError, match=r"EntityF1: `y_pred` must have rank 4"):
        EntityF1().update_state(np.zeros((1, 2, 3)), np.zeros((1, 2, 3)))
