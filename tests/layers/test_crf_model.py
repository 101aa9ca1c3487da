import keras
import numpy as np
import pytest
import tensorflow as tf

from tf_ner.layers import CRF, CRFModel

NUM_TAGS = 3
VOCAB = 8


def _data(seed=0, batch=16, length=7):
    """Tokens 1..7 with padding 0; tag = token % 3, but tag 2 is never followed by 2
    (relabelled 1), so transitions matter."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(1, VOCAB, size=(batch, length))
    lengths = rng.integers(2, length + 1, size=batch)
    tokens[np.arange(length)[None] >= lengths[:, None]] = 0
    tags = tokens % NUM_TAGS
    for row in tags:
        for i in range(1, length):
            if row[i - 1] == 2 and row[i] == 2:
                row[i] = 1
    tags[tokens == 0] = -100
    return tokens.astype("int32"), tags.astype("int32")


def _model(lr_multiplier=1.0, dtype=None):
    token_ids = keras.Input((None,), dtype="int32")
    hidden = keras.layers.Embedding(VOCAB, 16, dtype=dtype)(token_ids)
    hidden = keras.layers.Conv1D(16, 3, padding="same", activation="relu", dtype=dtype)(hidden)
    emissions = keras.layers.Dense(NUM_TAGS, dtype=dtype)(hidden)
    mask = keras.ops.not_equal(token_ids, 0)
    emission_model = keras.Model(token_ids, (emissions, mask))
    return CRFModel(emission_model, CRF(NUM_TAGS, lr_multiplier=lr_multiplier, dtype=dtype))


def test_fit_learns_and_predict_decodes():
    tokens, tags = _data()
    model = _model()
    model.compile(optimizer=keras.optimizers.Adam(0.05), metrics=["accuracy"])
    history = model.fit(tokens, tags, batch_size=8, epochs=25, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.2 * losses[0]
    assert 0.95 <= history.history["accuracy"][-1] <= 1.0
    predicted = model.predict(tokens, verbose=0)
    assert set(predicted) == {"tags", "emissions", "mask"}
    valid = tokens != 0
    assert np.mean(predicted["tags"][valid] == tags[valid]) > 0.95
    assert np.all(predicted["tags"][~valid] == 0)
    evaluated = model.evaluate(tokens, tags, verbose=0, return_dict=True)
    assert np.isfinite(evaluated["loss"])


@pytest.mark.parametrize("metrics, decodes", [(None, False), (["accuracy"], True)])
def test_training_runs_viterbi_only_for_compiled_metrics(metrics, decodes):
    tokens, tags = _data(2, batch=8)
    model = _model()
    model.compile(optimizer="adam", metrics=metrics)
    traced = []
    decode = model.crf.decode
    model.crf.decode = lambda *args: traced.append(1) or decode(*args)  # counts traces
    history = model.fit(tokens, tags, batch_size=8, epochs=1, verbose=0)
    assert bool(traced) == decodes and np.isfinite(history.history["loss"][0])


def test_loss_is_mean_negative_log_likelihood_with_sample_weight():
    tokens, tags = _data(1, batch=4)
    model = _model()
    outputs = model(tokens)
    nll = -model.crf.log_likelihood(outputs["emissions"], tags, outputs["mask"]).numpy()
    assert np.isclose(model.compute_loss(y=tags, y_pred=outputs), nll.mean(), rtol=1e-6)
    weights = np.array([1.0, 0.0, 2.0, 0.0])
    weighted = model.compute_loss(y=tags, y_pred=outputs, sample_weight=weights)
    assert np.isclose(weighted, (nll * weights).sum() / 4, rtol=1e-6)


def test_transitions_train_with_lr_multiplier():
    # Adam's first step moves each stored value by about lr; the effective value moves
    # lr_multiplier times that.
    tokens, tags = _data(2, batch=8)
    moves = {}
    for multiplier in (1.0, 100.0):
        keras.utils.set_random_seed(3)
        model = _model(lr_multiplier=multiplier)
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        before = model.crf.effective_transitions()[0].numpy()
        model.fit(tokens, tags, batch_size=8, epochs=1, verbose=0)
        moves[multiplier] = np.abs(model.crf.effective_transitions()[0].numpy() - before)
    np.testing.assert_allclose(moves[100.0].max(), 100 * 1e-3, rtol=0.05)
    np.testing.assert_allclose(moves[1.0].max(), 1e-3, rtol=0.05)


def test_save_load_identical_predictions(tmp_path):
    tokens, tags = _data(4, batch=4)
    model = _model(lr_multiplier=10.0)
    model.compile(optimizer="adam")
    model.fit(tokens, tags, epochs=1, verbose=0)
    expected = model.predict(tokens, verbose=0)
    model.save(tmp_path / "crf.keras")
    loaded = keras.saving.load_model(tmp_path / "crf.keras")
    actual = loaded.predict(tokens, verbose=0)
    for key in expected:
        np.testing.assert_array_equal(actual[key], expected[key])
    assert loaded.crf.lr_multiplier == 10.0
    np.testing.assert_array_equal(loaded.crf.transitions.numpy(), model.crf.transitions.numpy())
    assert loaded.compiled
    loaded.fit(tokens, tags, epochs=1, verbose=0)  # training goes on after loading


def test_emission_model_without_mask():
    inputs = keras.Input((None, 5))
    model = CRFModel(keras.Model(inputs, keras.layers.Dense(NUM_TAGS)(inputs)), CRF(NUM_TAGS))
    outputs = model(np.zeros((2, 4, 5), "float32"))
    assert outputs["tags"].shape == (2, 4) and bool(tf.reduce_all(outputs["mask"]))
    # training needs no Viterbi: the loss reads emissions and mask only
    assert set(model(np.zeros((2, 4, 5), "float32"), training=True)) == {"emissions", "mask"}


def test_compile_with_loss_and_bad_crf_rejected():
    with pytest.raises(ValueError, match="compile it without `loss`"):
        _model().compile(optimizer="adam", loss="mse")
    inputs = keras.Input((None, 5))
    with pytest.raises(ValueError, match="`crf` must be a tf_ner.layers.CRF"):
        CRFModel(keras.Model(inputs, inputs), keras.layers.Dense(3))
