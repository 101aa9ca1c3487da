"""Keras 3 front end: numpy reference, path-based exclusion, layer-wise decay, serialisation."""

import contextlib

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.optimization import reference
from tf_ner.optimization import AdamWeightDecay, WarmupLinearDecay


def scoped_variable(path, value):
    """A Keras 3 variable whose `.path` is `path` (Keras name scopes cannot hold '/')."""
    *scopes, name = path.split("/")
    with contextlib.ExitStack() as stack:
        for scope in scopes:
            stack.enter_context(keras.name_scope(scope))
        variable = keras.Variable(value, name=name, dtype=value.dtype)
    assert variable.path == path and variable.name == name
    return variable


def run_keras(params, grads, lrs, **optimizer_kwargs):
    variables = [scoped_variable(p, v) for p, v in params.items()]
    optimizer = AdamWeightDecay(learning_rate=lrs[0], **optimizer_kwargs)
    optimizer.build(variables)
    apply = traced_apply(optimizer, variables)
    for step_grads, lr in zip(grads, lrs, strict=True):
        optimizer.learning_rate = lr
        apply([tf.constant(step_grads[p]) for p in params])
    return {p: v.numpy() for p, v in zip(params, variables, strict=True)}, optimizer


@pytest.mark.parametrize("bias_correction", [True, False])
@pytest.mark.parametrize("weight_decay_rate, exclude", [(0.0, None), (0.05, None), (0.05, ())])
def test_matches_numpy_reference_float64(bias_correction, weight_decay_rate, exclude):
    params, grads, lrs = reference.random_problem(steps=200, seed=11)
    actual, _ = run_keras(
        params,
        grads,
        lrs,
        bias_correction=bias_correction,
        weight_decay_rate=weight_decay_rate,
        exclude_from_weight_decay=exclude,
    )
    decays = reference.default_decays(
        params, () if exclude == () else ("LayerNorm", "layer_norm", "bias")
    )
    expected = reference.adam_weight_decay(
        params,
        grads,
        lrs,
        weight_decay_rate=weight_decay_rate,
        decays=decays,
        bias_correction=bias_correction,
    )
    reference.assert_close(actual, expected, rtol=1e-6)


@pytest.mark.parametrize("bias_correction", [True, False])
def test_matches_numpy_reference_float32(bias_correction):
    params, grads, lrs = reference.random_problem(steps=200, seed=12, dtype=np.float32)
    actual, _ = run_keras(
        params, grads, lrs, bias_correction=bias_correction, weight_decay_rate=0.02
    )
    expected = reference.adam_weight_decay(
        params,
        grads,
        lrs,
        weight_decay_rate=0.02,
        bias_correction=bias_correction,
        decays=reference.default_decays(params),
        dtype=np.float32,
    )
    reference.assert_close(actual, expected, rtol=1e-5)


def test_exclusions_match_variable_paths_not_short_names():
    """Zero gradients: only decay moves a weight, so we see exactly which ones decay."""
    paths = [
        "bert/encoder/layer_0/output/LayerNorm/gamma",
        "bert/encoder/layer_0/output/LayerNorm/beta",
        "bert/encoder/layer_0/output/dense/kernel",
        "bert/encoder/layer_0/output/dense/bias",
        "bert/embeddings/word_embeddings",
    ]
    variables = [scoped_variable(p, np.ones(3, "float32")) for p in paths]
    optimizer = AdamWeightDecay(0.5, weight_decay_rate=0.1)
    optimizer.apply([tf.zeros(3)] * len(paths), variables)
    decayed = {v.path: bool(v.numpy()[0] < 1.0) for v in variables}
    assert decayed == {
        "bert/encoder/layer_0/output/LayerNorm/gamma": False,
        "bert/encoder/layer_0/output/LayerNorm/beta": False,
        "bert/encoder/layer_0/output/dense/kernel": True,
        "bert/encoder/layer_0/output/dense/bias": False,
        "bert/embeddings/word_embeddings": True,
    }
    np.testing.assert_allclose(variables[2].numpy(), 1.0 - 0.5 * 0.1, rtol=1e-7)
    assert [r.decays for r in optimizer.variable_rules()] == list(decayed.values())


def test_exclude_from_weight_decay_method_adds_path_patterns_and_objects():
    a = scoped_variable("head/kernel", np.ones(2, "float32"))
    b = scoped_variable("other/kernel", np.ones(2, "float32"))
    c = scoped_variable("third/kernel", np.ones(2, "float32"))
    optimizer = AdamWeightDecay(0.5, weight_decay_rate=0.1)
    optimizer.exclude_from_weight_decay(var_list=[c], var_names=["^head/"])
    optimizer.apply([tf.zeros(2)] * 3, [a, b, c])
    assert [float(v.numpy()[0]) for v in (a, b, c)] == [1.0, pytest.approx(0.95), 1.0]


def four_layer_encoder():
    paths = ["bert/embeddings/word_embeddings", "bert/embeddings/LayerNorm/gamma"]
    for layer in range(4):
        paths += [
            f"bert/encoder/layer_{layer}/attention/self/query/kernel",
            f"bert/encoder/layer_{layer}/output/LayerNorm/gamma",
        ]
    paths += ["bert/pooler/dense/kernel", "classifier/kernel", "crf/transitions"]
    return [scoped_variable(p, np.ones((2,), "float64")) for p in paths]


def test_layerwise_decay_effective_learning_rates_match_formula(capsys):
    variables = four_layer_encoder()
    optimizer = AdamWeightDecay(1e-3, layerwise_lr_decay=0.8, lr_multipliers={"^crf/": 50.0})
    optimizer.build(variables)
    table = optimizer.describe_learning_rates()
    print(table)
    assert "bert/encoder/layer_3/attention/self/query/kernel" in capsys.readouterr().out
    expected = {}
    for v in variables:
        path, depth = v.path, None
        if path.startswith("bert/embeddings/"):
            depth = 4 + 1
        elif path.startswith("bert/encoder/layer_"):
            depth = 4 - int(path.split("/")[2].split("_")[1])
        factor = 0.8**depth if depth is not None else 1.0
        expected[path] = 1e-3 * factor * (50.0 if path.startswith("crf/") else 1.0)
    actual = optimizer.effective_learning_rates()
    assert actual.keys() == expected.keys()
    for path in expected:
        assert actual[path] == pytest.approx(expected[path], rel=1e-6), path
    assert actual["bert/encoder/layer_3/attention/self/query/kernel"] == pytest.approx(8e-4)
    assert actual["bert/embeddings/word_embeddings"] == pytest.approx(1e-3 * 0.8**5)

    # The scales are what the step uses: compare 5 steps with the numpy reference.
    rng = np.random.default_rng(0)
    grads = [{v.path: rng.normal(size=2) for v in variables} for _ in range(5)]
    lr_scales = {p: expected[p] / 1e-3 for p in expected}
    params = {v.path: v.numpy() for v in variables}
    before = reference.adam_weight_decay(params, grads, [1e-3] * 5, lr_scales=lr_scales)
    for step_grads in grads:
        optimizer.apply([tf.constant(step_grads[v.path]) for v in variables], variables)
    reference.assert_close({v.path: v.numpy() for v in variables}, before, rtol=1e-6)


def test_num_layers_given_overrides_inference_and_is_checked():
    variables = four_layer_encoder()
    optimizer = AdamWeightDecay(1.0, layerwise_lr_decay=0.5, num_layers=6)
    optimizer.build(variables)
    rates = optimizer.effective_learning_rates()
    assert rates["bert/encoder/layer_0/attention/self/query/kernel"] == 0.5**6
    assert rates["bert/embeddings/word_embeddings"] == 0.5**7
    with pytest.raises(ValueError, match="layer 2, but num_layers=2"):
        AdamWeightDecay(1.0, layerwise_lr_decay=0.5, num_layers=2).build(four_layer_encoder())


def test_pretrained_weight_decay_pulls_towards_build_time_values():
    pretrained = np.array([1.0, -2.0, 3.0])
    kernel = scoped_variable("bert/encoder/layer_0/intermediate/dense/kernel", pretrained.copy())
    optimizer = AdamWeightDecay(0.125, weight_decay_rate=0.5, pretrained_weight_decay=True)
    optimizer.build([kernel])
    kernel.assign(pretrained + 4.0)  # fine-tuning has moved it
    for _ in range(3):
        optimizer.apply([tf.zeros(3, tf.float64)], [kernel])
    # Zero gradients: p - p0 shrinks by (1 - lr * wd) per step, towards p0 (not 0).
    np.testing.assert_allclose(kernel.numpy() - pretrained, 4.0 * (1 - 0.0625) ** 3, rtol=1e-12)

    optimizer.snapshot_pretrained_weights()  # e.g. after loading a checkpoint
    snapshot = kernel.numpy()
    optimizer.apply([tf.zeros(3, tf.float64)], [kernel])
    np.testing.assert_allclose(kernel.numpy(), snapshot, rtol=1e-12)


def test_fit_builds_the_anchors_from_the_weights_it_starts_from():
    # Under the default strategy, `fit` builds the optimizer while tracing its first
    # step: the anchors must still be the weights of then (they were zeros once).
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="dense")])
    optimizer = AdamWeightDecay(1e-2, weight_decay_rate=0.5, pretrained_weight_decay=True)
    model.compile(optimizer, loss="mse", jit_compile=False)
    kernel = model.layers[0].kernel
    start = kernel.numpy()
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 4)).astype("float32"), rng.normal(size=(8, 3)).astype("float32")
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    anchors = optimizer.pretrained_weights()
    assert list(anchors) == [kernel.path]  # the bias does not decay
    np.testing.assert_array_equal(anchors[kernel.path].numpy(), start)
    assert not np.allclose(kernel.numpy(), start)
    plain = AdamWeightDecay(1e-2, weight_decay_rate=0.5)
    plain.build([kernel])
    assert plain.pretrained_weights() == {}


def test_pretrained_weight_decay_matches_reference_trajectory():
    params, grads, lrs = reference.random_problem(steps=50, seed=13)
    actual, _ = run_keras(
        params,
        grads,
        lrs,
        weight_decay_rate=0.3,
        pretrained_weight_decay=True,
        exclude_from_weight_decay=(),
    )
    expected = reference.adam_weight_decay(
        params, grads, lrs, weight_decay_rate=0.3, anchors=params
    )
    reference.assert_close(actual, expected, rtol=1e-6)


def test_sparse_gradients_give_the_dense_result():
    init = np.random.default_rng(1).normal(size=(5, 3)).astype("float32")
    results = []
    for sparse in (True, False):
        table = scoped_variable("bert/embeddings/word_embeddings", init.copy())
        optimizer = AdamWeightDecay(1e-2, weight_decay_rate=0.1)
        for step in range(5):
            with tf.GradientTape() as tape:
                rows = tf.gather(table, [0, 3, 3])
                loss = tf.reduce_sum(rows * (step + 1.0))
            grad = tape.gradient(loss, table.value)
            assert isinstance(grad, tf.IndexedSlices)
            optimizer.apply([grad if sparse else tf.convert_to_tensor(grad)], [table])
        results.append(table.numpy())
    np.testing.assert_array_equal(results[0], results[1])


def test_config_round_trip_keeps_every_hyperparameter():
    optimizer = AdamWeightDecay(
        WarmupLinearDecay(3e-5, decay_steps=100, warmup_steps=10),
        weight_decay_rate=0.02,
        beta_1=0.8,
        beta_2=0.99,
        epsilon=1e-8,
        exclude_from_weight_decay=["LayerNorm", "bias"],
        bias_correction=False,
        layerwise_lr_decay=0.75,
        num_layers=12,
        lr_multipliers={"crf": 100.0},
        pretrained_weight_decay=True,
        global_clipnorm=1.0,
        compile_update=True,
    )
    config = optimizer.get_config()
    for key, value in {
        "weight_decay_rate": 0.02,
        "beta_1": 0.8,
        "beta_2": 0.99,
        "epsilon": 1e-8,
        "exclude_from_weight_decay": ["LayerNorm", "bias"],
        "bias_correction": False,
        "layerwise_lr_decay": 0.75,
        "num_layers": 12,
        "lr_multipliers": {"crf": 100.0},
        "pretrained_weight_decay": True,
        "global_clipnorm": 1.0,
        "compile_update": True,
    }.items():
        assert config[key] == value, key
    assert "weight_decay" not in config
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert isinstance(restored, AdamWeightDecay)
    assert restored.get_config() == config
    assert isinstance(restored._learning_rate, WarmupLinearDecay)


def make_model():
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(8, activation="tanh", name="dense")(inputs)
    hidden = keras.layers.LayerNormalization(name="LayerNorm")(hidden)
    outputs = keras.layers.Dense(1, name="head")(hidden)
    return keras.Model(inputs, outputs)


def test_model_fit_trains_and_saves_with_optimizer_state(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x @ rng.normal(size=(4, 1))).astype("float32")
    model = make_model()
    model.compile(
        optimizer=AdamWeightDecay(
            WarmupLinearDecay(3e-2, decay_steps=40, warmup_steps=4),
            weight_decay_rate=0.01,
            lr_multipliers={"^head/": 2.0},
            pretrained_weight_decay=True,
        ),
        loss="mse",
    )
    history = model.fit(x, y, batch_size=16, epochs=10, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    decays = {r.path: r.decays for r in model.optimizer.variable_rules()}
    assert decays == {
        "dense/kernel": True,
        "dense/bias": False,
        "LayerNorm/gamma": False,
        "LayerNorm/beta": False,
        "head/kernel": True,
        "head/bias": False,
    }
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded.optimizer, AdamWeightDecay)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    for a, b in zip(loaded.optimizer.variables, model.optimizer.variables, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize(
    "kwargs, argument, received",
    [
        ({"learning_rate": -0.1}, "learning_rate", "-0.1"),
        ({"beta_1": 1.0}, "beta_1", "1.0"),
        ({"beta_2": 1.5}, "beta_2", "1.5"),
        (
            {"exclude_from_weight_decay": ["bias", "*LayerNorm"]},
            "exclude_from_weight_decay",
            "*LayerNorm",
        ),
        ({"lr_multipliers": {"crf[": 10.0}}, "lr_multipliers", "crf["),
        ({"layerwise_lr_decay": 1.5}, "layerwise_lr_decay", "1.5"),
        ({"num_layers": 0}, "num_layers", "0"),
        ({"weight_decay": 0.01}, "weight_decay_rate", "0.01"),
    ],
)
def test_bad_arguments_fail_at_construction(kwargs, argument, received):
    with pytest.raises(ValueError, match=argument) as error:
        AdamWeightDecay(**kwargs)
    assert received in str(error.value)


def test_describe_learning_rates_needs_a_built_optimizer():
    with pytest.raises(ValueError, match=r"optimizer.build\(model.trainable_variables\)"):
        AdamWeightDecay(1e-3).describe_learning_rates()


def test_gradient_accumulation_equals_one_step_on_the_mean_gradient():
    """N accumulated batches make one update on their mean gradient, clipped after the
    mean, at the schedule's rate and the bias correction of the update count."""
    accumulation, updates, peak, clip = 3, 20, 8e-3, 2.0
    params, grads, _ = reference.random_problem(steps=accumulation * updates, seed=21)
    variables = [scoped_variable(p, v) for p, v in params.items()]
    optimizer = AdamWeightDecay(
        WarmupLinearDecay(peak, decay_steps=updates, warmup_steps=4),
        weight_decay_rate=0.03, gradient_accumulation_steps=accumulation,
        global_clipnorm=clip, layerwise_lr_decay=0.5, num_layers=2,
    )  # fmt: skip
    optimizer.build(variables)

    @tf.function
    def apply(step_grads):
        optimizer.apply(step_grads, variables)

    for step_grads in grads:
        apply([tf.constant(step_grads[p]) for p in params])
    assert int(optimizer.iterations) == updates

    mean_grads = []
    for n in range(updates):
        group = grads[n * accumulation : (n + 1) * accumulation]
        mean = {p: np.mean([g[p] for g in group], axis=0) for p in params}
        norm = np.sqrt(sum(np.sum(g**2) for g in mean.values()))
        mean_grads.append({p: g * min(1.0, clip / norm) for p, g in mean.items()})
    # Google's warmup-linear rate at update n (0-based), written out: n / 4 of the peak
    # during warmup, then (1 - n / 20) of it.
    lrs = [peak * n / 4 if n < 4 else peak * (1 - n / updates) for n in range(updates)]
    assert lrs[:5] == [0.0, 2e-3, 4e-3, 6e-3, 8e-3 * 0.8]
    # layer-wise decay 0.5 over 2 layers: layer_0 0.25, layer_1 0.5, embeddings 0.125.
    scales = {p: 1.0 for p in params}
    scales["bert/embeddings/word_embeddings"] = 0.125
    for p in params:
        if "layer_0" in p:
            scales[p] = 0.25
        elif "layer_1" in p:
            scales[p] = 0.5
    expected = reference.adam_weight_decay(
        params, mean_grads, lrs, weight_decay_rate=0.03, lr_scales=scales,
        decays=reference.default_decays(params),
    )  # fmt: skip
    actual = {p: v.numpy() for p, v in zip(params, variables, strict=True)}
    reference.assert_close(actual, expected, rtol=1e-6)
    # Keras's own reading, the schedule at the batch count (update n at batch 3n + 2),
    # would warm up and decay 3 times faster: far from what happened.
    batches = range(accumulation - 1, accumulation * updates, accumulation)
    batch_lrs = [peak * b / 4 if b < 4 else peak * max(0.0, 1 - b / updates) for b in batches]
    keras_reading = reference.adam_weight_decay(
        params, mean_grads, batch_lrs, weight_decay_rate=0.03, lr_scales=scales,
        decays=reference.default_decays(params),
    )  # fmt: skip
    assert not np.allclose(keras_reading["classifier/kernel"], actual["classifier/kernel"])


def traced_apply(optimizer, variables):
    @tf.function
    def apply(step_grads):
        optimizer.apply(step_grads, variables)

    return apply


COMPILED_UPDATE_OPTIONS = {
    "plain": {},
    "no bias correction": {"bias_correction": False},
    "schedule and clipping": {
        "learning_rate": WarmupLinearDecay(8e-3, decay_steps=20, warmup_steps=4),
        "global_clipnorm": 2.0,
    },
    "layer-wise decay": {"layerwise_lr_decay": 0.5, "num_layers": 2},
    "rate multiplier": {"lr_multipliers": {"layer_1": 10.0}},
    "pre-trained weight decay": {"pretrained_weight_decay": True, "weight_decay_rate": 0.3},
    "gradient accumulation": {"gradient_accumulation_steps": 3, "global_clipnorm": 2.0},
}


@pytest.mark.parametrize("options", COMPILED_UPDATE_OPTIONS.values(), ids=COMPILED_UPDATE_OPTIONS)
def test_the_compiled_update_equals_the_uncompiled_one(options):
    """The per-variable steps compiled as one XLA cluster give the uncompiled numbers to
    float32 rounding over 20 updates, a sparse (IndexedSlices) gradient among them."""
    params, grads, _ = reference.random_problem(steps=60, seed=5, dtype=np.float32)
    results = {}
    for compiled in (False, True):
        variables = [scoped_variable(p, v) for p, v in params.items()]
        kwargs = {"learning_rate": 8e-3, "weight_decay_rate": 0.03, **options}
        optimizer = AdamWeightDecay(**kwargs, compile_update=compiled)
        optimizer.build(variables)
        apply = traced_apply(optimizer, variables)
        updates = 20 * options.get("gradient_accumulation_steps", 1)
        for step_grads in grads[:updates]:
            dense = [tf.constant(step_grads[p]) for p in params]
            # The embedding table's gradient as the rows a batch looked up.
            rows = tf.constant([0, 2, 2])
            dense[0] = tf.IndexedSlices(tf.gather(dense[0], rows), rows, tf.shape(dense[0]))
            apply(dense)
        assert int(optimizer.iterations) == 20
        results[compiled] = {p: v.numpy() for p, v in zip(params, variables, strict=True)}
    moved = [np.max(np.abs(results[False][p] - params[p])) for p in params]
    assert min(moved) > 1e-3, moved
    for path in params:
        expected = results[False][path]
        np.testing.assert_allclose(
            results[True][path], expected, rtol=1e-6, atol=1e-6 * np.max(np.abs(expected)),
            err_msg=path,
        )  # fmt: skip


def test_the_compiled_update_is_compiled_once():
    variables = [scoped_variable("bert/pooler/dense/kernel", np.ones((3, 2), np.float32))]
    optimizer = AdamWeightDecay(1e-2, compile_update=True)

    @tf.function
    def apply(grad):
        optimizer.apply([grad], variables)

    for step in range(3):
        apply(tf.fill((3, 2), float(step + 1)))
    (update,) = optimizer._compiled_updates.values()
    assert update.experimental_get_tracing_count() == 1
