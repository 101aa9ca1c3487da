import keras
import numpy as np
import pytest

from tf_ner.bert import BertConfig, build_bert
from tf_ner.bert.modeling import BertEncoder

CONFIG = BertConfig(
    vocab_size=40,
    hidden_size=16,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=24,
    max_position_embeddings=32,
)


def google_names(layers):
    """Google's checkpoint names, written out from `bert_model.ckpt` of BERT-Base."""
    names = [
        "bert/embeddings/word_embeddings",
        "bert/embeddings/token_type_embeddings",
        "bert/embeddings/position_embeddings",
        "bert/embeddings/LayerNorm/gamma",
        "bert/embeddings/LayerNorm/beta",
        "bert/pooler/dense/kernel",
        "bert/pooler/dense/bias",
    ]
    for i in range(layers):
        p = f"bert/encoder/layer_{i}/"
        for part in (
            "attention/self/query",
            "attention/self/key",
            "attention/self/value",
            "attention/output/dense",
            "intermediate/dense",
            "output/dense",
        ):
            names += [p + part + "/kernel", p + part + "/bias"]
        for part in ("attention/output/LayerNorm", "output/LayerNorm"):
            names += [p + part + "/gamma", p + part + "/beta"]
    return names


def batch():
    ids = np.array([[2, 7, 8, 9, 3, 0, 0], [2, 11, 12, 13, 14, 15, 3]], np.int32)
    return ids, np.array([[0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 1, 1, 1, 1]], np.int32)


def test_variable_paths_are_google_checkpoint_names():
    model = build_bert(CONFIG)
    assert sorted(v.path for v in model.weights) == sorted(google_names(2))
    mlm = build_bert(CONFIG, with_mlm=True)
    extra = {v.path for v in mlm.weights} - set(google_names(2))
    assert extra == {
        "cls/predictions/output_bias",
        "cls/predictions/transform/dense/kernel",
        "cls/predictions/transform/dense/bias",
        "cls/predictions/transform/LayerNorm/gamma",
        "cls/predictions/transform/LayerNorm/beta",
    }


def test_outputs_and_shapes():
    model = build_bert(CONFIG, with_mlm=True, return_all_layers=True)
    out = model(batch())
    assert out["sequence_output"].shape == (2, 7, 16)
    assert out["pooled_output"].shape == (2, 16)
    assert out["mlm_logits"].shape == (2, 7, 40)
    assert len(out["all_layers"]) == 3
    np.testing.assert_array_equal(out["all_layers"][-1], out["sequence_output"])
    no_pooler = build_bert(CONFIG, with_pooler=False)
    assert set(no_pooler(batch())) == {"sequence_output"}


@pytest.mark.parametrize("policy", ["float32", "mixed_bfloat16"])
@pytest.mark.parametrize("with_pooler, all_layers", [(True, True), (False, False)])
def test_symbolic_outputs_match_the_computed_ones_without_tracing(policy, with_pooler, all_layers):
    ids, segments = batch()
    keras.mixed_precision.set_global_policy(policy)
    try:
        encoder = BertEncoder(CONFIG, with_pooler=with_pooler, return_all_layers=all_layers)
        calls = []
        original_call = encoder.call
        encoder.call = lambda *args, **kwargs: calls.append(1) or original_call(*args, **kwargs)
        inputs = (keras.Input((None,), dtype="int32"), keras.Input((None,), dtype="int32"))
        symbolic = keras.tree.flatten(encoder(inputs))
        assert not calls, "a symbolic call should not trace the encoder"
        computed = keras.tree.flatten(encoder((ids, segments)))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert len(symbolic) == len(computed) == (6 if all_layers else 2)
    for spec, value in zip(symbolic, computed, strict=True):
        assert spec.dtype == value.dtype
        assert len(spec.shape) == len(value.shape) and spec.shape[-1] == value.shape[-1]
        assert all(s in (None, v) for s, v in zip(spec.shape, value.shape, strict=True))


def test_padding_does_not_change_valid_positions():
    model = build_bert(CONFIG)
    ids, segments = batch()
    padded = model((ids[:1], segments[:1]))["sequence_output"].numpy()
    alone = model((ids[:1, :5], segments[:1, :5]))["sequence_output"].numpy()
    np.testing.assert_allclose(padded[:, :5], alone, atol=1e-6)


def test_matches_a_numpy_reference_forward_pass():
    model = build_bert(CONFIG, with_mlm=True)
    weights = {v.path: v.numpy() for v in model.weights}
    ids, segments = batch()
    out = model((ids, segments))
    expected_seq, expected_pooled, expected_logits = numpy_bert(weights, ids, segments, CONFIG)
    np.testing.assert_allclose(out["sequence_output"], expected_seq, atol=2e-5)
    np.testing.assert_allclose(out["pooled_output"], expected_pooled, atol=2e-5)
    np.testing.assert_allclose(out["mlm_logits"], expected_logits, atol=2e-4)


def numpy_bert(w, ids, segments, config):
    from math import erf

    gelu = np.vectorize(lambda x: 0.5 * x * (1 + erf(x / np.sqrt(2))))

    def norm(x, scope):
        mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-12) * w[scope + "/gamma"] + w[scope + "/beta"]

    def dense(x, scope):
        return x @ w[scope + "/kernel"] + w[scope + "/bias"]

    length = ids.shape[1]
    h = (
        w["bert/embeddings/word_embeddings"][ids]
        + w["bert/embeddings/token_type_embeddings"][segments]
        + w["bert/embeddings/position_embeddings"][:length]
    )
    h = norm(h, "bert/embeddings/LayerNorm")
    heads, size = config.num_attention_heads, config.head_size
    bias = np.where(ids == 0, -1e12, 0.0)[:, None, None, :]
    for i in range(config.num_hidden_layers):
        p = f"bert/encoder/layer_{i}/"
        q, k, v = (
            dense(h, p + f"attention/self/{n}")
            .reshape(*ids.shape, heads, size)
            .transpose(0, 2, 1, 3)
            for n in ("query", "key", "value")
        )
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(size) + bias
        probs = np.exp(scores - scores.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        context = (probs @ v).transpose(0, 2, 1, 3).reshape(*ids.shape, -1)
        h = norm(h + dense(context, p + "attention/output/dense"), p + "attention/output/LayerNorm")
        inner = gelu(dense(h, p + "intermediate/dense"))
        h = norm(h + dense(inner, p + "output/dense"), p + "output/LayerNorm")
    pooled = np.tanh(dense(h[:, 0], "bert/pooler/dense"))
    t = norm(
        gelu(dense(h, "cls/predictions/transform/dense")), "cls/predictions/transform/LayerNorm"
    )
    logits = t @ w["bert/embeddings/word_embeddings"].T + w["cls/predictions/output_bias"]
    return h, pooled, logits


def test_keras_save_and_load_keep_names_and_outputs(tmp_path):
    model = build_bert(CONFIG, with_mlm=True)
    path = tmp_path / "bert.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert [v.path for v in loaded.weights] == [v.path for v in model.weights]
    for key, value in model(batch()).items():
        np.testing.assert_array_equal(loaded(batch())[key], value)


def test_fit_step_trains_every_variable():
    model = build_bert(CONFIG, with_mlm=True)
    ids, segments = batch()
    target = np.where(ids > 0, (ids * 7) % 40, 0)
    before = {v.path: v.numpy().copy() for v in model.trainable_weights}
    trainer = keras.Model(model.inputs, model.output["mlm_logits"])
    trainer.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    history = trainer.fit([ids, segments], target, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    unchanged = {
        v.path for v in model.trainable_weights if np.array_equal(v.numpy(), before[v.path])
    }
    # The pooler feeds no loss here; every other variable must move.
    assert unchanged == {"bert/pooler/dense/kernel", "bert/pooler/dense/bias"}


def test_mixed_precision_matches_float32():
    ids, segments = batch()
    reference = build_bert(CONFIG)
    weights = [v.numpy() for v in reference.weights]
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        mixed = build_bert(CONFIG)
        for variable, value in zip(mixed.weights, weights, strict=True):
            variable.assign(value)
        out = mixed((ids, segments))["sequence_output"]
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert out.dtype == "bfloat16"
    expected = reference((ids, segments))["sequence_output"].numpy()
    assert np.all(np.isfinite(np.asarray(out, np.float32)))
    np.testing.assert_allclose(np.asarray(out, np.float32), expected, atol=0.1)


def test_longer_than_position_table_is_an_error():
    model = build_bert(CONFIG)
    ids = np.full((1, 33), 5, np.int32)
    with pytest.raises(Exception, match="max_position_embeddings"):
        model((ids, np.zeros_like(ids)))
