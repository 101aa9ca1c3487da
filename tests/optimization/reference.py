"""Independent numpy references for AdamWeightDecay, and the random problems the tests share.

Written from the formulas in issue 4, not from the package's code:

    m_t = b1 m + (1 - b1) g,  v_t = b2 v + (1 - b2) g^2,
    lr_t = lr sqrt(1 - b2^t) / (1 - b1^t)   (bias correction; else lr_t = lr)
    p <- p - lr_t m_t / (sqrt(v_t) + eps) - lr wd (p - p0)

and Google BERT's TF1 op order (for the bit-exact comparison).
"""

import numpy as np

# Paths chosen so that the default exclusions (LayerNorm, layer_norm, bias) hit some.
PATHS = (
    "bert/embeddings/word_embeddings",
    "bert/encoder/layer_0/attention/self/query/kernel",
    "bert/encoder/layer_0/attention/self/query/bias",
    "bert/encoder/layer_0/output/LayerNorm/gamma",
    "bert/encoder/layer_1/output/dense/kernel",
    "classifier/layer_norm/beta",
    "classifier/kernel",
)
SHAPES = ((7, 3), (3, 4), (4,), (4,), (4, 3), (3,), (3, 2))


def random_problem(steps=200, seed=0, dtype=np.float64):
    """Initial values, per-step gradients and learning rates of a random problem.

    Returns:
        (params: {path: array}, grads: [{path: array}] * steps, lrs: [float] * steps); the
        learning rates are float32-representable (Keras keeps them in a float32 variable).
    """
    rng = np.random.default_rng(seed)
    params = {p: rng.normal(size=s).astype(dtype) for p, s in zip(PATHS, SHAPES, strict=True)}
    grads = []
    for _ in range(steps):
        scale = rng.uniform(0.1, 2.0)
        grads.append(
            {
                p: (scale * rng.normal(size=s)).astype(dtype)
                for p, s in zip(PATHS, SHAPES, strict=True)
            }
        )
    lrs = [float(np.float32(x)) for x in rng.uniform(2e-3, 1e-2, size=steps)]
    return params, grads, lrs


def adam_weight_decay(
    params,
    grads,
    lrs,
    *,
    beta_1=0.9,
    beta_2=0.999,
    epsilon=1e-6,
    weight_decay_rate=0.0,
    decays=None,
    lr_scales=None,
    bias_correction=True,
    anchors=None,
    dtype=np.float64,
):
    """Runs the issue's update for `len(grads)` steps; returns the final `{path: array}`.

    Args:
        params: `{path: array}` initial values.
        grads: list of `{path: array}` gradients, one per step.
        lrs: list of scheduled learning rates, one per step.
        decays: `{path: bool}`; default: every variable decays.
        lr_scales: `{path: float}` per-variable factors on the learning rate; default 1.
        anchors: `{path: array}` pre-trained values to decay towards; default zeros.
        dtype: arithmetic dtype for parameters and moments.
    """
    p = {k: np.array(v, dtype=dtype) for k, v in params.items()}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(x) for k, x in p.items()}
    decays = decays or dict.fromkeys(p, True)
    lr_scales = lr_scales or dict.fromkeys(p, 1.0)
    for t, (step_grads, lr) in enumerate(zip(grads, lrs, strict=True), start=1):
        for k in p:
            g = np.asarray(step_grads[k], dtype=dtype)
            lr_k = lr * lr_scales[k]
            m[k] = beta_1 * m[k] + (1.0 - beta_1) * g
            v[k] = beta_2 * v[k] + (1.0 - beta_2) * g * g
            lr_t = lr_k * np.sqrt(1.0 - beta_2**t) / (1.0 - beta_1**t) if bias_correction else lr_k
            wd = weight_decay_rate if decays[k] else 0.0
            towards = p[k] if anchors is None else p[k] - anchors[k]
            p[k] = (
                p[k]
                - dtype(lr_t) * m[k] / (np.sqrt(v[k]) + dtype(epsilon))
                - dtype(lr_k * wd) * towards
            )
    return p


def google_float32(
    params,
    grads,
    lrs,
    *,
    beta_1=0.9,
    beta_2=0.999,
    epsilon=1e-6,
    weight_decay_rate=0.0,
    decays=None,
):
    """Google BERT's TF1 `AdamWeightDecayOptimizer` in float32, op for op.

    `next_m = b1 * m + (1 - b1) * g`, `next_v = b2 * v + (1 - b2) * g^2`,
    `update = next_m / (sqrt(next_v) + eps)`, `update += wd * param` (not excluded),
    `param = param - lr * update`; Python-float constants rounded to float32 as TF does.
    """
    f = np.float32
    p = {k: np.array(x, dtype=f) for k, x in params.items()}
    m = {k: np.zeros_like(x) for k, x in p.items()}
    v = {k: np.zeros_like(x) for k, x in p.items()}
    decays = decays or dict.fromkeys(p, True)
    for step_grads, lr in zip(grads, lrs, strict=True):
        lr = f(lr)
        for k in p:
            g = np.asarray(step_grads[k], dtype=f)
            next_m = f(beta_1) * m[k] + f(1.0 - beta_1) * g
            next_v = f(beta_2) * v[k] + f(1.0 - beta_2) * np.square(g)
            update = next_m / (np.sqrt(next_v) + f(epsilon))
            if weight_decay_rate and decays[k]:
                update = update + f(weight_decay_rate) * p[k]
            p[k] = p[k] - lr * update
            m[k], v[k] = next_m, next_v
    return p


def default_decays(paths, patterns=("LayerNorm", "layer_norm", "bias")):
    """`{path: bool}`: True unless a pattern is a substring of the path."""
    return {p: not any(s in p for s in patterns) for p in paths}


def assert_close(actual, expected, rtol):
    """Every array within `rtol` relative to its largest magnitude (elementwise allclose)."""
    assert actual.keys() == expected.keys()
    for k in expected:
        scale = float(np.max(np.abs(expected[k]))) or 1.0
        np.testing.assert_allclose(actual[k], expected[k], rtol=rtol, atol=rtol * scale, err_msg=k)
