import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.metrics.helpers import (
    brute_tag_counts,
    f1_of,
    passthrough_model,
    random_tag_batch,
)
from tf_ner.data.tags import SCHEMES, tag_vocabulary
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


# Tag mode (CRF and softmax heads): tag ids, entities read as seqeval reads them.


def _counts(metric):
    return tuple(float(v.numpy()) for v in (metric.true_positives, metric.predicted, metric.gold))


@pytest.mark.parametrize("scheme", SCHEMES)
def test_tag_mode_matches_tags_to_spans_on_random_sequences(scheme):
    """Random ids (mostly invalid sequences) with ignored positions, ids and logits."""
    tags = tag_vocabulary(["A", "B"], scheme)
    rng = np.random.default_rng(SCHEMES.index(scheme))
    labels, predictions = random_tag_batch(rng, len(tags), rows=300, length=14)
    logits = rng.normal(size=(*predictions.shape, len(tags))).astype("float32")
    np.put_along_axis(logits, predictions[..., None], 10.0, axis=-1)
    expected = brute_tag_counts(tags, scheme, labels, predictions)
    assert expected[0] > 50 and expected[1] != expected[0]  # the data can tell
    for y_pred in (predictions, logits):
        metric = EntityF1(tags=tags, scheme=scheme)
        metric.update_state(labels, y_pred)
        assert _counts(metric) == expected
        assert float(metric.result()) == pytest.approx(f1_of(expected))


def test_tag_mode_reads_ignored_positions_as_absent():
    tags = tag_vocabulary(["A", "B"], "BIO")  # O B-A I-A B-B I-B
    ignore = -100
    # Gold B-A [ignored] I-A O | B-B: one A entity over the two kept A positions.
    labels = [[1, ignore, 2, 0, 3], [2, 2, ignore, 4, 0]]
    # Row 0: the prediction at the ignored position (O) must not split the entity.
    # Row 1: gold I-A I-A | I-B reads as A(0, 2) and B(2, 3); predicted B-A I-A B-B.
    predictions = [[1, 0, 2, 0, 0], [1, 2, 1, 3, 0]]
    metric = EntityF1(tags=tags, scheme="BIO")
    metric.update_state(labels, predictions)
    assert _counts(metric) == (3.0, 3.0, 4.0)
    assert _counts(metric) == brute_tag_counts(tags, "BIO", labels, predictions)


def test_tag_mode_position_and_example_weights():
    tags = tag_vocabulary(["A"], "BIOES")  # O B-A I-A E-A S-A
    labels = np.array([[4, 1, 3, 0], [4, 0, 0, 4]], "int32")
    predictions = np.array([[4, 1, 2, 3], [4, 0, 0, 1]], "int32")
    mask = np.array([[1, 1, 0, 1], [1, 1, 1, 1]], "float32")  # drops row 0's I-A
    metric = EntityF1(tags=tags, scheme="BIOES")
    metric.update_state(labels, predictions, sample_weight=mask)
    expected = brute_tag_counts(tags, "BIOES", labels, predictions, mask)
    assert _counts(metric) == expected == (3.0, 4.0, 4.0)
    weighted = EntityF1(tags=tags, scheme="BIOES")
    weighted.update_state(labels, predictions, sample_weight=[2.0, 0.0])
    row0 = brute_tag_counts(tags, "BIOES", labels[:1], predictions[:1])
    assert _counts(weighted) == tuple(2.0 * c for c in row0)


def test_tag_mode_is_corpus_level_in_graph_and_under_xla():
    tags = tag_vocabulary(["A", "B", "C"], "BMES")
    rng = np.random.default_rng(7)
    batches = [random_tag_batch(rng, len(tags), rows, length) for rows, length in [(3, 9), (5, 4)]]
    expected = np.sum([brute_tag_counts(tags, "BMES", *batch) for batch in batches], axis=0)
    per_batch = [f1_of(brute_tag_counts(tags, "BMES", *batch)) for batch in batches]
    for jit_compile in (False, True):
        metric = EntityF1(tags=tags, scheme="BMES")
        update = tf.function(metric.update_state, jit_compile=jit_compile)
        for labels, predictions in batches:
            update(tf.constant(labels), tf.constant(predictions))
        assert _counts(metric) == tuple(expected)
        assert float(metric.result()) == pytest.approx(f1_of(expected))
    assert f1_of(expected) != pytest.approx(np.mean(per_batch))


def _zero_loss(y_true, y_pred):
    del y_true
    return 0.0 * keras.ops.mean(keras.ops.cast(y_pred, "float32"))


def test_tag_mode_in_fit_and_evaluate_softmax_logits():
    """Logits with -100 labels, batches of 4 over 22 rows: corpus F1, not a batch mean."""
    tags = tag_vocabulary(["A", "B"], "BIO")
    rng = np.random.default_rng(3)
    labels, predictions = random_tag_batch(rng, len(tags), rows=22, length=7)
    logits = np.eye(len(tags), dtype="float32")[predictions]
    expected = f1_of(brute_tag_counts(tags, "BIO", labels, logits))
    model = passthrough_model(logits.shape[1:], "float32")
    model.compile(optimizer="sgd", loss=_zero_loss, metrics=[EntityF1(tags=tags, scheme="BIO")])
    history = model.fit(
        logits, labels, batch_size=4, epochs=1, validation_data=(logits, labels), verbose=0
    )
    assert history.history["entity_f1"][0] == pytest.approx(expected)
    assert history.history["val_entity_f1"][0] == pytest.approx(expected)
    scores = model.evaluate(logits, labels, batch_size=4, verbose=0, return_dict=True)
    assert scores["entity_f1"] == pytest.approx(expected)


def test_tag_mode_in_evaluate_with_crf_tags_and_mask_weights():
    """Decoded ids with the mask as per-position sample weight, as CRFModel passes them.

    Keras gives sample weights only to `weighted_metrics` (plain `metrics` get None).
    """
    tags = tag_vocabulary(["A", "B"], "BIOES")
    rng = np.random.default_rng(4)
    labels, predictions = random_tag_batch(rng, len(tags), rows=10, length=6, ignored=0.0)
    mask = (rng.random(labels.shape) < 0.8).astype("float32")
    expected = f1_of(brute_tag_counts(tags, "BIOES", labels, predictions, mask))
    model = passthrough_model(predictions.shape[1:], "int32")
    model.compile(
        loss=_zero_loss,
        metrics=[EntityF1(tags=tags, scheme="BIOES", name="unweighted")],
        weighted_metrics=[EntityF1(tags=tags, scheme="BIOES")],
    )
    scores = model.evaluate(
        predictions, labels, sample_weight=mask, batch_size=3, verbose=0, return_dict=True
    )
    assert scores["entity_f1"] == pytest.approx(expected)
    unweighted = f1_of(brute_tag_counts(tags, "BIOES", labels, predictions))
    assert scores["unweighted"] == pytest.approx(unweighted) and unweighted != expected


def test_tag_mode_config_round_trip():
    tags = tag_vocabulary(["LOC", "PER"], "bioes")
    metric = EntityF1(tags=tags, scheme="bioes", name="f1")
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(metric))
    assert isinstance(revived, EntityF1) and revived.get_config() == metric.get_config()
    assert revived.get_config()["scheme"] == "BIOES" and revived.tags == tags


def test_tag_mode_errors():
    tags = tag_vocabulary(["A"], "BIO")
    with pytest.raises(ValueError, match=r"pass both `tags`.*and `scheme`"):
        EntityF1(tags=tags)
    with pytest.raises(ValueError, match=r"tag 'E-A' is not a BIO tag"):
        EntityF1(tags=[*tags, "E-A"], scheme="BIO")
    with pytest.raises(ValueError, match=r"unknown tag scheme 'BILOU'"):
        EntityF1(tags=tags, scheme="BILOU")
    with pytest.raises(ValueError, match=r"holding 'O'"):
        EntityF1(tags=["B-A", "I-A"], scheme="BIO")
    metric = EntityF1(tags=tags, scheme="BIO")
    with pytest.raises(ValueError, match=r"EntityF1: `y_true` has values outside \[0, 3\)"):
        metric.update_state([[0, 5, -100]], [[0, 1, 2]])
    with pytest.raises(ValueError, match=r"EntityF1: `y_pred` must have rank 2 or 3"):
        metric.update_state([[0, 1]], np.zeros((1, 2, 3, 4)))
