"""Mixout against numpy: the mixed kernel, its gradient, which kernels, training, saving."""

import json
import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import REPO_ROOT, run_python
from tests.train.weights import read_model_weights
from tf_ner.bert.config import BertConfig
from tf_ner.bert.mixout import apply_mixout, attach_mixout, mixout_layers
from tf_ner.bert.modeling import BertEncoder, build_bert
from tf_ner.bert.primitives import FlatDense
from tf_ner.optimization import AdamWeightDecay

P = 0.3
IN, UNITS = 128, 64  # 8192 elements: the dropped fraction is within +-0.025 at 5 sigma
CONFIG = BertConfig(
    vocab_size=30, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
    intermediate_size=32, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
)  # fmt: skip


def mixed_dense(probability, dtype=None, step=0):
    """A FlatDense whose pre-trained kernel is `u`, moved to `w` after Mixout took `u`."""
    layer = FlatDense(UNITS, name="dense", dtype=dtype)
    layer.build((None, IN))
    rng = np.random.default_rng(0)
    u = rng.normal(size=(IN, UNITS)).astype("float32")
    w = (u + rng.normal(size=(IN, UNITS))).astype("float32")
    layer.kernel.assign(u)
    layer.bias.assign(rng.normal(size=UNITS).astype("float32"))
    step_variable = tf.Variable(step, dtype=tf.int64)
    hook = attach_mixout(layer, probability, seed=5, step=lambda: step_variable)
    layer.kernel.assign(w)
    return layer, hook, u, w, step_variable


def inputs(rows=6):
    return np.random.default_rng(1).normal(size=(rows, IN)).astype("float32")


def forward_and_gradient(layer, x):
    """`(y, dL/dkernel, dL/dy)` of `L = sum(y * R)` in training mode."""
    upstream = np.random.default_rng(2).normal(size=(x.shape[0], UNITS)).astype("float32")
    with tf.GradientTape() as tape:
        y = layer(x, training=True)
        loss = tf.reduce_sum(tf.cast(y, tf.float32) * upstream)
    return y, tape.gradient(loss, layer.kernel.value), upstream


def kernel_in_training(layer):
    """The kernel a training-mode call computes with: the output for the identity, less b."""
    return layer(np.eye(IN, dtype="float32"), training=True).numpy() - layer.bias.numpy()


def test_mixed_kernel_matches_numpy_and_drops_a_fraction_p():
    layer, hook, u, w, _ = mixed_dense(P)
    w_hat = hook(layer.kernel.value).numpy()
    replaced = w_hat == u
    n = replaced.size
    assert abs(replaced.mean() - P) < 5 * np.sqrt(P * (1 - P) / n)
    expected = u + (w.astype("float64") - u) / (1 - P)
    np.testing.assert_allclose(w_hat[~replaced], expected[~replaced], rtol=1e-6, atol=1e-6)
    # The layer computes with that kernel in training.
    np.testing.assert_allclose(kernel_in_training(layer), w_hat, rtol=1e-6, atol=1e-5)


def test_gradient_is_the_mask_over_one_minus_p_times_upstream():
    layer, hook, u, w, _ = mixed_dense(P)
    x = inputs()
    y, gradient, upstream = forward_and_gradient(layer, x)
    keep = (hook(layer.kernel.value).numpy() != u).astype("float64")
    np.testing.assert_allclose(y.numpy(), x @ hook(layer.kernel.value).numpy() + layer.bias.numpy(),
                               rtol=1e-5, atol=1e-4)  # fmt: skip
    expected = keep / (1 - P) * (x.T.astype("float64") @ upstream)
    np.testing.assert_allclose(gradient.numpy(), expected, rtol=1e-5, atol=1e-5)
    assert 0 < keep.mean() < 1


def test_masks_change_every_step_and_repeat_for_the_same_step():
    layer, hook, *_, step = mixed_dense(P)
    first = hook.keep_mask().numpy()
    np.testing.assert_array_equal(hook.keep_mask().numpy(), first)
    step.assign(1)
    second = hook.keep_mask().numpy()
    assert (first != second).mean() > 0.2
    _, other_hook, *_ = mixed_dense(P)  # step 0, the next kernel's seed
    other_hook.seed += 1
    assert (other_hook.keep_mask().numpy() != first).mean() > 0.2


def test_probability_one_gives_the_pretrained_kernel_and_no_gradient():
    layer, hook, u, w, _ = mixed_dense(1.0)
    np.testing.assert_array_equal(hook(layer.kernel.value).numpy(), u)
    _, gradient, _ = forward_and_gradient(layer, inputs())
    np.testing.assert_array_equal(gradient.numpy(), np.zeros_like(u))


def test_probability_zero_gives_the_current_kernel():
    layer, hook, u, w, _ = mixed_dense(0.0)
    np.testing.assert_allclose(hook(layer.kernel.value).numpy(), w, rtol=1e-6, atol=1e-6)


def test_inference_uses_the_plain_kernel():
    layer, hook, u, w, _ = mixed_dense(P)
    x = inputs()
    expected = x.astype("float64") @ w + layer.bias.numpy()
    np.testing.assert_allclose(layer(x, training=False).numpy(), expected, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-5, atol=1e-4)
    assert not np.allclose(layer(x, training=True).numpy(), expected, atol=1e-2)


def test_mixed_precision_mixes_in_the_variable_dtype():
    layer, hook, u, w, _ = mixed_dense(P, dtype="mixed_bfloat16")
    seen = []
    object.__setattr__(layer, "training_kernel", lambda k: seen.append(k.dtype) or hook(k))
    x = inputs()
    y, gradient, _ = forward_and_gradient(layer, x)
    assert seen == [tf.float32] and y.dtype == tf.bfloat16 and gradient.dtype == tf.float32
    w_hat = hook(layer.kernel.value).numpy()
    bf16 = tf.cast(w_hat, tf.bfloat16).numpy().astype("float32")
    expected = tf.cast(x, tf.bfloat16).numpy().astype("float32") @ bf16 + layer.bias.numpy()
    np.testing.assert_allclose(y.numpy().astype("float32"), expected, rtol=0.02, atol=0.2)


def test_the_encoder_kernels_and_the_pooler_are_chosen():
    model = build_bert(CONFIG)
    assert apply_mixout(model, P) == 13
    paths = [layer.kernel.path for layer in mixout_layers(model)]
    per_layer = (
        "attention/output/dense", "attention/self/key", "attention/self/query",
        "attention/self/value", "intermediate/dense", "output/dense",
    )  # fmt: skip
    assert paths == [
        f"bert/encoder/layer_{i}/{name}/kernel" for i in range(2) for name in per_layer
    ] + ["bert/pooler/dense/kernel"]
    assert apply_mixout(build_bert(CONFIG, with_pooler=False), P) == 12
    assert apply_mixout(build_bert(CONFIG, with_mlm=True), P) == 13  # not cls/predictions


def test_refuses_a_bad_probability_a_model_without_encoder_and_a_second_call():
    model = build_bert(CONFIG)
    for probability in (-0.1, 1.5):
        with pytest.raises(ValueError, match=f"mixout probability {probability}"):
            apply_mixout(model, probability)
    plain = keras.Sequential([keras.Input((4,)), FlatDense(3)])
    with pytest.raises(ValueError, match="no encoder dense kernel"):
        apply_mixout(plain, P)
    apply_mixout(model, P)
    with pytest.raises(ValueError, match="has Mixout already"):
        apply_mixout(model, P)


def test_training_without_an_optimizer_says_to_compile():
    model = build_bert(CONFIG)
    apply_mixout(model, P)
    ids = tf.constant([[2, 5, 3]])
    with pytest.raises(ValueError, match="compile it before training"):
        model([ids, tf.zeros_like(ids)], training=True)


def tagger():
    """A tiny encoder and a Dense head over its tokens, compiled (no XLA)."""
    token_ids = keras.Input((None,), dtype="int32", name="token_ids")
    segment_ids = keras.Input((None,), dtype="int32", name="segment_ids")
    hidden = BertEncoder(CONFIG, with_pooler=False)((token_ids, segment_ids))["sequence_output"]
    logits = keras.layers.Dense(3, name="head")(hidden)
    model = keras.Model([token_ids, segment_ids], logits)
    model.compile(
        AdamWeightDecay(1e-2, weight_decay_rate=0.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=False,
    )
    return model


def tagging_data():
    rng = np.random.default_rng(3)
    ids = rng.integers(5, CONFIG.vocab_size, size=(8, 6)).astype("int32")
    return [ids, np.zeros_like(ids)], rng.integers(0, 3, size=(8, 6))


def fit_tagger(probability, initial_weights=None):
    """`(model, weights before, weights after)` of 4 steps, Mixout at `probability` or none."""
    model = tagger()
    if initial_weights is not None:
        model.set_weights(initial_weights)
    before = {v.path: v.numpy() for v in model.weights}
    if probability is not None:
        apply_mixout(model, probability, seed=1)
    x, y = tagging_data()
    model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return model, before, {v.path: v.numpy() for v in model.trainable_weights}


def test_probability_zero_trains_as_without_mixout():
    plain, before, expected = fit_tagger(None)
    _, _, actual = fit_tagger(0.0, [before[v.path] for v in plain.weights])
    assert actual.keys() == expected.keys()
    for path in expected:
        np.testing.assert_allclose(actual[path], expected[path], rtol=1e-5, atol=1e-6, err_msg=path)
    assert not np.allclose(expected["head/kernel"], before["head/kernel"])


def test_probability_one_keeps_the_encoder_kernels_while_the_head_trains():
    model, before, after = fit_tagger(1.0)
    assert int(model.optimizer.iterations.numpy()) == 4
    kernels = [layer.kernel.path for layer in mixout_layers(model)]
    assert len(kernels) == 12
    for path in kernels:
        np.testing.assert_array_equal(after[path], before[path], err_msg=path)
    assert not np.allclose(after["head/kernel"], before["head/kernel"])
    assert not np.allclose(after["bert/encoder/layer_1/output/dense/bias"],
                           before["bert/encoder/layer_1/output/dense/bias"])  # fmt: skip


def test_mixout_is_not_in_the_config_the_weights_or_the_saved_file(tmp_path):
    model = build_bert(CONFIG)
    model.save(tmp_path / "plain.keras")
    weights = len(model.weights)
    apply_mixout(model, P)
    assert len(model.weights) == weights
    for layer in mixout_layers(model):
        assert "training_kernel" not in layer.get_config()
        assert "mixout" not in json.dumps(layer.get_config())
    model.save(tmp_path / "mixout.keras")
    config = zipfile.ZipFile(tmp_path / "mixout.keras").read("config.json").decode()
    assert "mixout" not in config and "training_kernel" not in config
    assert read_model_weights(tmp_path / "mixout.keras").keys() == (
        read_model_weights(tmp_path / "plain.keras").keys()
    )


@pytest.mark.slow
def test_replicas_of_a_mirrored_strategy_draw_one_mask_and_train_as_one_device(tmp_path):
    result = run_python(
        [str(REPO_ROOT / "tests/bert/mixout_mirrored_script.py")],
        env={"CUDA_VISIBLE_DEVICES": "-1", "TF_CPP_MIN_LOG_LEVEL": "2"},
        timeout=300,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["replicas"] == [1, 2]
    assert report["moved"] > 1e-3  # training moved the kernels: the comparison means something
    assert report["difference"] < 1e-5, report
