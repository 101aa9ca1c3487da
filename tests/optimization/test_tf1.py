"""TF1 front end: numpy reference, Google's formula bit for bit, sparse, Saver resume."""

import re

import numpy as np
import pytest
import tensorflow as tf

from tests.optimization import reference
from tf_ner.optimization import AdamWeightDecayOptimizer, create_optimizer

tf1 = tf.compat.v1
GOOGLE_EXCLUSIONS = ["LayerNorm", "layer_norm", "bias"]  # what Google's create_optimizer passes


def run_tf1(params, grads, lrs, dtype=np.float32, use_resource=True, **optimizer_kwargs):
    """Feeds the given gradients and learning rates for len(grads) steps; returns final values."""
    with tf.Graph().as_default():
        variables = {
            path: tf1.get_variable(path, initializer=value.astype(dtype), use_resource=use_resource)
            for path, value in params.items()
        }
        grad_phs = {p: tf1.placeholder(dtype, shape=v.shape) for p, v in params.items()}
        lr_ph = tf1.placeholder(tf.float32, shape=[])
        optimizer = AdamWeightDecayOptimizer(lr_ph, **optimizer_kwargs)
        train_op = optimizer.apply_gradients([(grad_phs[p], variables[p]) for p in params])
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            for step_grads, lr in zip(grads, lrs, strict=True):
                feed = {grad_phs[p]: step_grads[p].astype(dtype) for p in params}
                feed[lr_ph] = lr
                session.run(train_op, feed)
            return session.run(variables)


@pytest.mark.parametrize("bias_correction", [True, False])
@pytest.mark.parametrize(
    "weight_decay_rate, exclude",
    [
        (0.0, None),
        (0.05, ()),
        (0.05, None),
        (0.05, ["LayerNorm", "layer_norm", "bias"]),
        (0.05, [r"kernel$", "word_"]),
    ],
)
def test_matches_numpy_reference_float64(bias_correction, weight_decay_rate, exclude):
    params, grads, lrs = reference.random_problem(steps=200, seed=1)
    actual = run_tf1(
        params,
        grads,
        lrs,
        dtype=np.float64,
        bias_correction=bias_correction,
        weight_decay_rate=weight_decay_rate,
        exclude_from_weight_decay=exclude,
    )
    patterns = () if exclude is None else exclude  # Google's None excludes nothing
    decays = {p: not any(re.search(x, p) for x in patterns) for p in params}
    expected = reference.adam_weight_decay(
        params,
        grads,
        lrs,
        weight_decay_rate=weight_decay_rate,
        decays=decays,
        bias_correction=bias_correction,
    )
    reference.assert_close(actual, expected, rtol=1e-6)
    # The test can fail: the other bias-correction setting is far off.
    other = reference.adam_weight_decay(
        params,
        grads,
        lrs,
        weight_decay_rate=weight_decay_rate,
        decays=decays,
        bias_correction=not bias_correction,
    )
    with pytest.raises(AssertionError):
        reference.assert_close(actual, other, rtol=1e-3)


@pytest.mark.parametrize("bias_correction", [True, False])
def test_matches_numpy_reference_float32(bias_correction):
    params, grads, lrs = reference.random_problem(steps=200, seed=2, dtype=np.float32)
    actual = run_tf1(
        params,
        grads,
        lrs,
        bias_correction=bias_correction,
        weight_decay_rate=0.02,
        exclude_from_weight_decay=GOOGLE_EXCLUSIONS,
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


@pytest.mark.parametrize("use_resource", [True, False])
def test_without_bias_correction_equals_google_formula_bit_for_bit(use_resource):
    params, grads, lrs = reference.random_problem(steps=200, seed=3, dtype=np.float32)
    actual = run_tf1(
        params,
        grads,
        lrs,
        use_resource=use_resource,
        bias_correction=False,
        weight_decay_rate=0.01,
        exclude_from_weight_decay=GOOGLE_EXCLUSIONS,
    )
    expected = reference.google_float32(
        params, grads, lrs, weight_decay_rate=0.01, decays=reference.default_decays(params)
    )
    for path in params:
        np.testing.assert_array_equal(actual[path], expected[path], err_msg=path)


def test_sparse_gradients_equal_dense_for_resource_and_ref_variables():
    rng = np.random.default_rng(4)
    init = rng.normal(size=(6, 3)).astype(np.float32)
    indices = np.array([0, 2, 2, 5])  # a duplicate: its rows must be summed
    results = {}
    for kind in ("dense", "sparse_resource", "sparse_ref"):
        with tf.Graph().as_default():
            var = tf1.get_variable("emb", initializer=init, use_resource=kind != "sparse_ref")
            values = tf1.placeholder(tf.float32, shape=(4, 3))
            grad = tf.IndexedSlices(values, tf.constant(indices), tf.constant([6, 3]))
            if kind == "dense":
                grad = tf.convert_to_tensor(grad)
            optimizer = AdamWeightDecayOptimizer(1e-2, weight_decay_rate=0.1)
            train_op = optimizer.apply_gradients([(grad, var)])
            with tf1.Session() as session:
                session.run(tf1.global_variables_initializer())
                for step in range(20):
                    session.run(train_op, {values: rng_values(step)})
                results[kind] = session.run(var)
    np.testing.assert_allclose(results["sparse_resource"], results["dense"], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(results["sparse_ref"], results["dense"], rtol=1e-6, atol=1e-7)
    assert not np.allclose(results["dense"][1], init[1])  # untouched rows still decay


def rng_values(step):
    return np.random.default_rng(100 + step).normal(size=(4, 3)).astype(np.float32)


def test_slot_names_follow_google_and_beta_powers_exist_only_with_bias_correction():
    for bias_correction, expect_powers in [(True, True), (False, False)]:
        with tf.Graph().as_default():
            var = tf1.get_variable("bert/pooler/dense/kernel", initializer=np.ones((2, 2), "f"))
            opt = AdamWeightDecayOptimizer(1e-3, bias_correction=bias_correction)
            opt.minimize(tf.reduce_sum(var))
            names = {v.op.name for v in tf1.global_variables()}
        assert {"bert/pooler/dense/kernel/adam_m", "bert/pooler/dense/kernel/adam_v"} <= names
        assert ("beta1_power" in names) == expect_powers
        assert ("beta2_power" in names) == expect_powers


@pytest.mark.parametrize("increment", [False, True])
def test_global_step_contract(increment):
    with tf.Graph().as_default():
        var = tf1.get_variable("w", initializer=[1.0, 2.0])
        global_step = tf1.train.get_or_create_global_step()
        opt = AdamWeightDecayOptimizer(1e-3, increment_global_step=increment)
        train_op = opt.apply_gradients([(tf.ones([2]), var)], global_step=global_step)
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            session.run(train_op)
            session.run(train_op)
            assert session.run(global_step) == (2 if increment else 0)


def linear_problem(dtype):
    """A least-squares problem with a kernel, a bias and a LayerNorm-like scale."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(16, 3)).astype(dtype)
    y = rng.normal(size=(16, 2)).astype(dtype)
    init = {
        "dense/kernel": rng.normal(size=(3, 2)).astype(dtype),
        "dense/bias": rng.normal(size=(2,)).astype(dtype),
        "LayerNorm/gamma": np.ones(2, dtype),
    }
    return x, y, init


def build_linear_graph(x, y, init, **create_kwargs):
    variables = {p: tf1.get_variable(p, initializer=v) for p, v in init.items()}
    pred = (tf.matmul(x, variables["dense/kernel"]) + variables["dense/bias"]) * variables[
        "LayerNorm/gamma"
    ]
    loss = 0.5 * tf.reduce_sum(tf.square(pred - y)) / x.shape[0]
    train_op = create_optimizer(loss, **create_kwargs)
    return variables, train_op


def numpy_linear_gradients(x, y, p):
    z = x @ p["dense/kernel"] + p["dense/bias"]
    r = (z * p["LayerNorm/gamma"] - y) / x.shape[0]
    rz = r * p["LayerNorm/gamma"]
    return {"dense/kernel": x.T @ rz, "dense/bias": rz.sum(0), "LayerNorm/gamma": (r * z).sum(0)}


def numpy_schedule(step, init_lr, total, warmup):
    f = np.float32
    decayed = f(init_lr) * (f(1.0) - f(min(step, total)) / f(total))
    return float(f(init_lr) * (f(step) / f(warmup)) if step < warmup else decayed)


def test_create_optimizer_matches_reference_schedule_clipping_and_decay():
    x, y, init = linear_problem(np.float64)
    steps, warmup, init_lr = 30, 5, 0.05
    with tf.Graph().as_default():
        variables, train_op = build_linear_graph(
            x, y, init, init_lr=init_lr, num_train_steps=steps, num_warmup_steps=warmup
        )
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            for _ in range(steps):
                session.run(train_op)
            actual = session.run(variables)
            assert session.run(tf1.train.get_global_step()) == steps
    # numpy: Google's schedule, clip by global norm 1.0, wd 0.01 except LayerNorm / bias.
    p = {k: v.copy() for k, v in init.items()}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(x_) for k, x_ in p.items()}
    for t in range(1, steps + 1):
        lr = numpy_schedule(t - 1, init_lr, steps, warmup)
        g = numpy_linear_gradients(x, y, p)
        norm = np.sqrt(sum(np.sum(a * a) for a in g.values()))
        g = {k: a / max(norm, 1.0) for k, a in g.items()}
        for k in p:
            m[k] = 0.9 * m[k] + 0.1 * g[k]
            v[k] = 0.999 * v[k] + 0.001 * g[k] ** 2
            lr_t = lr * np.sqrt(1 - 0.999**t) / (1 - 0.9**t)
            wd = 0.0 if ("bias" in k or "LayerNorm" in k) else 0.01
            p[k] = p[k] - lr_t * m[k] / (np.sqrt(v[k]) + 1e-6) - lr * wd * p[k]
    reference.assert_close(actual, p, rtol=1e-6)


def run_resumable(tmp_path, x, y, init, steps, restore_at=None, reset_powers=False):
    """Trajectory of the dense kernel; optionally saved at `restore_at` and resumed."""
    kwargs = dict(init_lr=0.05, num_train_steps=steps, num_warmup_steps=3)
    trajectory = []
    first = steps if restore_at is None else restore_at
    with tf.Graph().as_default():
        variables, train_op = build_linear_graph(x, y, init, **kwargs)
        saver = tf1.train.Saver()
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            for _ in range(first):
                session.run(train_op)
                trajectory.append(session.run(variables["dense/kernel"]))
            if restore_at is not None:
                saver.save(session, str(tmp_path / "model.ckpt"))
    if restore_at is None:
        return trajectory
    with tf.Graph().as_default():
        variables, train_op = build_linear_graph(x, y, init, **kwargs)
        saver = tf1.train.Saver()
        with tf1.Session() as session:
            saver.restore(session, str(tmp_path / "model.ckpt"))
            beta1_power = [v for v in tf1.global_variables() if v.op.name == "beta1_power"][0]
            np.testing.assert_allclose(session.run(beta1_power), 0.9 ** (restore_at + 1), rtol=1e-6)
            if reset_powers:
                session.run(beta1_power.assign(0.9))
            for _ in range(steps - restore_at):
                session.run(train_op)
                trajectory.append(session.run(variables["dense/kernel"]))
    return trajectory


def test_saver_resume_continues_the_same_trajectory(tmp_path):
    x, y, init = linear_problem(np.float32)
    uninterrupted = run_resumable(tmp_path, x, y, init, steps=12)
    resumed = run_resumable(tmp_path, x, y, init, steps=12, restore_at=6)
    for step, (a, b) in enumerate(zip(uninterrupted, resumed, strict=True)):
        np.testing.assert_array_equal(a, b, err_msg=f"step {step + 1}")
    # Resetting the beta powers (what a non-saved step count would do) changes the path.
    reset = run_resumable(tmp_path, x, y, init, steps=12, restore_at=6, reset_powers=True)
    assert not np.allclose(reset[-1], uninterrupted[-1], rtol=1e-4, atol=0)


def test_layerwise_decay_scales_tf1_updates():
    params = {
        "bert/embeddings/word_embeddings": np.ones((2, 2)),
        "bert/encoder/layer_0/kernel": np.ones((2, 2)),
        "bert/encoder/layer_1/kernel": np.ones((2, 2)),
        "head/kernel": np.ones((2, 2)),
    }
    grads = [dict.fromkeys(params, np.full((2, 2), 0.5))]
    actual = run_tf1(
        params,
        grads,
        [2.0**-7],
        dtype=np.float64,
        layerwise_lr_decay=0.5,
        lr_multipliers={"head": 3.0},
    )
    # One bias-corrected step moves each weight by lr_var * g / (|g| + eps / sqrt(1 - b2)).
    step = 0.5 / (0.5 + 1e-6 / np.sqrt(0.001))
    for path, scale in [
        ("bert/embeddings/word_embeddings", 0.5**3),
        ("bert/encoder/layer_0/kernel", 0.5**2),
        ("bert/encoder/layer_1/kernel", 0.5),
        ("head/kernel", 3.0),
    ]:
        np.testing.assert_allclose(
            1.0 - actual[path], 2.0**-7 * scale * step, rtol=1e-9, err_msg=path
        )


@pytest.mark.parametrize(
    "kwargs, argument, received",
    [
        ({"learning_rate": -1e-3}, "learning_rate", "-0.001"),
        ({"learning_rate": 1e-3, "beta_1": 1.0}, "beta_1", "1.0"),
        ({"learning_rate": 1e-3, "beta_2": -0.5}, "beta_2", "-0.5"),
        (
            {"learning_rate": 1e-3, "exclude_from_weight_decay": ["Layer(Norm"]},
            "exclude_from_weight_decay",
            "Layer(Norm",
        ),
        ({"learning_rate": 1e-3, "weight_decay_rate": -0.1}, "weight_decay_rate", "-0.1"),
    ],
)
def test_bad_arguments_fail_at_construction(kwargs, argument, received):
    with pytest.raises(ValueError, match=argument) as error:
        AdamWeightDecayOptimizer(**kwargs)
    assert received in str(error.value)


def test_pretrained_weight_decay_matches_reference_trajectory():
    params, grads, lrs = reference.random_problem(steps=50, seed=6)
    kwargs = dict(weight_decay_rate=0.3, exclude_from_weight_decay=GOOGLE_EXCLUSIONS)
    actual = run_tf1(params, grads, lrs, dtype=np.float64, pretrained_weight_decay=True, **kwargs)
    decays = reference.default_decays(params)
    expected = reference.adam_weight_decay(
        params, grads, lrs, weight_decay_rate=0.3, decays=decays, anchors=params
    )
    reference.assert_close(actual, expected, rtol=1e-6)
    towards_zero = reference.adam_weight_decay(
        params, grads, lrs, weight_decay_rate=0.3, decays=decays
    )
    with pytest.raises(AssertionError):
        reference.assert_close(actual, towards_zero, rtol=1e-3)


def test_pretrained_anchor_is_the_checkpoint_value_and_snapshot_resets_it(tmp_path):
    pretrained = np.array([1.0, -2.0, 3.0])
    with tf.Graph().as_default():
        tf1.get_variable("bert/encoder/layer_0/kernel", initializer=pretrained)
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            tf1.train.Saver().save(session, str(tmp_path / "pretrained.ckpt"))
    with tf.Graph().as_default():
        kernel = tf1.get_variable(
            "bert/encoder/layer_0/kernel", shape=[3], dtype=tf.float64, use_resource=True
        )
        # Google's run_classifier.py loads the checkpoint by rewriting initializers.
        tf1.train.init_from_checkpoint(str(tmp_path / "pretrained.ckpt"), {"bert/": "bert/"})
        optimizer = AdamWeightDecayOptimizer(0.125, 0.5, pretrained_weight_decay=True)
        train_op = optimizer.apply_gradients([(tf.zeros([3], tf.float64), kernel)])
        snapshot = optimizer.snapshot_pretrained_weights()
        anchor = optimizer.get_slot(kernel, "pretrained")
        with tf1.Session() as session:
            session.run(tf1.global_variables_initializer())
            np.testing.assert_array_equal(session.run(anchor), pretrained)
            session.run(kernel.assign(pretrained + 4.0))  # fine-tuning has moved it
            for _ in range(3):
                session.run(train_op)
            # Zero gradients: p - p0 shrinks by (1 - lr * wd) per step, towards p0.
            moved = session.run(kernel) - pretrained
            np.testing.assert_allclose(moved, 4.0 * (1 - 0.0625) ** 3, rtol=1e-12)
            session.run(snapshot)
            before = session.run(kernel)
            session.run(train_op)
            np.testing.assert_array_equal(session.run(kernel), before)
        assert [v.op.name for v in tf1.global_variables() if "pretrained" in v.op.name] == [
            "bert/encoder/layer_0/kernel/pretrained"
        ]


def test_describe_learning_rates_names_the_layer_convention_it_found():
    paths = ["Embedding-Token/embeddings", "Transformer-0-FeedForward/kernel"]
    paths += ["Transformer-1-FeedForward/kernel", "classifier/kernel"]
    with tf.Graph().as_default():
        variables = [tf1.get_variable(p, initializer=np.ones(2, "float32")) for p in paths]
        optimizer = AdamWeightDecayOptimizer(0.5, layerwise_lr_decay=0.5)
        with pytest.raises(ValueError, match="apply_gradients"):
            optimizer.describe_learning_rates()
        optimizer.apply_gradients([(tf.ones([2]), v) for v in variables])
    lines = optimizer.describe_learning_rates().splitlines()
    assert lines[0].startswith("layer naming: bert4keras (") and lines[0].endswith("2 layers")
    rates = {line.split()[0]: float(line.split()[3]) for line in lines[2:]}
    assert rates == {
        "Embedding-Token/embeddings": 0.0625,
        "Transformer-0-FeedForward/kernel": 0.125,
        "Transformer-1-FeedForward/kernel": 0.25,
        "classifier/kernel": 0.5,
    }
