"""Model Garden's `official.nlp.optimization` (tf-models-official 2.20) against ours.

    TF_USE_LEGACY_KERAS=1 python model_garden_script.py

The same call sites, Model Garden's positional order, made on both modules; each
optimizer trains a tiny tf-keras model (embedding, LayerNorm, dense; gradients large
enough for the global-norm clipping to act) and the weights are compared after every
step. Prints one JSON line for the parent test.
"""

import inspect
import json

import numpy as np
import tensorflow as tf
import tf_keras
from official.nlp import optimization as garden

from tf_ner.optimization import model_garden as ours

STEPS = 10


def tiny_model():
    tf_keras.utils.set_random_seed(0)
    ids = tf_keras.Input((4,), dtype="int32")
    hidden = tf_keras.layers.Embedding(10, 6, name="embeddings")(ids)
    hidden = tf_keras.layers.LayerNormalization(name="LayerNorm")(hidden)
    hidden = tf_keras.layers.GlobalAveragePooling1D()(hidden)
    return tf_keras.Model(ids, tf_keras.layers.Dense(2, name="dense")(hidden))


def train(optimizer):
    """The weights after each of `STEPS` steps, and the first step's gradient norm."""
    model = tiny_model()
    variables = model.trainable_weights
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 10, size=(STEPS, 8, 4)).astype("int32")
    targets = (5.0 * rng.normal(size=(STEPS, 8, 2))).astype("float32")

    @tf.function
    def step(ids, targets):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(ids) - targets))
        grads = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(grads, variables, strict=True))
        return tf.linalg.global_norm(grads)

    trajectory, norms = [], []
    for i in range(STEPS):
        norms.append(float(step(ids[i], targets[i])))
        trajectory.append([v.numpy() for v in variables])
    return trajectory, norms[0], [v.numpy() for v in tiny_model().trainable_weights]


def trajectory_error(make_optimizer):
    """Largest weight difference over all steps, relative to how far the weights moved."""
    theirs, norm, initial = train(make_optimizer(garden))
    mine, _, _ = train(make_optimizer(ours))
    difference = max(
        float(np.max(np.abs(a - b)))
        for step_a, step_b in zip(theirs, mine, strict=True)
        for a, b in zip(step_a, step_b, strict=True)
    )
    moved = max(float(np.max(np.abs(a - b))) for a, b in zip(theirs[-1], initial, strict=True))
    return {"error": difference / moved, "moved": moved, "first_gradient_norm": norm}


POSITIONAL = (2e-2, 0.8, 0.98, 1e-5, False, 0.1, ["LayerNorm/gamma"], ["LayerNorm", "bias"], 0.5)


def call_sites():
    return {
        "positional_constructor": trajectory_error(
            lambda module: module.AdamWeightDecay(*POSITIONAL, "positional")
        ),
        "defaults_with_decay": trajectory_error(
            lambda module: module.AdamWeightDecay(1e-2, weight_decay_rate=0.1)
        ),
        "create_optimizer_positional": trajectory_error(
            lambda module: module.create_optimizer(2e-2, STEPS, 3, 1e-3, "adamw", 0.85, 2.0)
        ),
        "create_optimizer_no_warmup": trajectory_error(
            lambda module: module.create_optimizer(2e-2, STEPS, 0)
        ),
    }


def warmup_schedules():
    """`WarmUp(initial_learning_rate, decay_schedule_fn, warmup_steps, power)`, positionally."""
    decay = tf_keras.optimizers.schedules.PolynomialDecay(1e-2, 20, 1e-4, power=0.5)
    theirs = garden.WarmUp(1e-2, decay, 5, 2.0)
    mine = ours.WarmUp(1e-2, decay, 5, 2.0)
    restored = ours.WarmUp.from_config(mine.get_config())
    steps = range(25)
    return {
        "warmup_max_difference": max(abs(float(theirs(s)) - float(mine(s))) for s in steps),
        "warmup_round_trip_difference": max(
            abs(float(restored(s)) - float(mine(s))) for s in steps
        ),
        "warmup_rate_at_2": float(mine(2)),
    }


def signatures():
    """Model Garden's parameters first, same names, kinds, defaults; ours keyword-only."""

    def kept(theirs, mine):
        theirs = [
            p for p in inspect.signature(theirs).parameters.values() if p.kind is not p.VAR_KEYWORD
        ]
        mine = list(inspect.signature(mine).parameters.values())
        same = [(p.name, p.kind, p.default) for p in theirs] == [
            (p.name, p.kind, p.default) for p in mine[: len(theirs)]
        ]
        return same and all(p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD) for p in mine[len(theirs) :])

    return {
        name: kept(getattr(garden, name), getattr(ours, name))
        for name in ("AdamWeightDecay", "WarmUp", "create_optimizer")
    }


def other_checks():
    optimizer = ours.create_optimizer(2e-5, 100, 10, layerwise_lr_decay=0.9)
    restored = ours.AdamWeightDecay.from_config(optimizer.get_config())
    try:
        ours.create_optimizer(2e-5, 100, 10, optimizer_type="lamb")
        lamb = "accepted"
    except ValueError as error:
        lamb = str(error)
    return {
        "config_round_trip": restored.get_config() == optimizer.get_config(),
        "gradient_clip_norm": optimizer.gradient_clip_norm,
        "lamb": lamb,
    }


if __name__ == "__main__":
    report = {
        **call_sites(),
        **warmup_schedules(),
        "signatures": signatures(),
        **other_checks(),
    }
    print(json.dumps(report))
