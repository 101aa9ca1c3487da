"""bert4keras 0.11.5's `extend_with_*_v2` wrappers around our tf-keras AdamWeightDecay.

    TF_KERAS=1 TF_USE_LEGACY_KERAS=1 python bert4keras_wrappers_script.py WORKDIR

Trains a tiny bert4keras model a few steps under each wrapper, recording the gradients
and the weights after every step, and prints one JSON line of what the parent test
checks: the largest relative differences from numpy references, and which steps moved
the weights.
"""

import json
import sys

import bert4keras_model
import numpy as np
import reference
import tensorflow as tf
import tf_keras
from bert4keras import optimizers as b4k

from tf_ner.optimization import hyperparameters
from tf_ner.optimization.legacy import AdamWeightDecay

LR = 1e-2
EXCLUDE = ["Norm", "bias"]  # bert4keras's LayerNorms are `...-Norm`


def train(optimizer, steps):
    """`steps` steps of a fresh tiny model; the initial weights, gradients and weights.

    Returns:
        (model, initial {path: array}, [{path: gradient}] per step, [{path: weights}] per step).
    """
    model = bert4keras_model.tiny_classifier(WORKDIR)
    tokens, segments, labels = bert4keras_model.tiny_data(8 * steps)
    variables = model.trainable_weights
    paths = [hyperparameters.variable_path(v) for v in variables]

    @tf.function
    def step(tokens, segments, labels):
        with tf.GradientTape() as tape:
            probs = model([tokens, segments], training=True)
            loss = tf_keras.losses.sparse_categorical_crossentropy(labels, probs)
            loss = tf.reduce_mean(loss)
        grads = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(grads, variables, strict=True))
        return [tf.convert_to_tensor(g) for g in grads]

    def snapshot():
        return {p: v.numpy() for p, v in zip(paths, variables, strict=True)}

    initial, grads, weights = snapshot(), [], []
    for i in range(steps):
        rows = slice(8 * i, 8 * (i + 1))
        step_grads = step(tokens[rows], segments[rows], labels[rows])
        grads.append({p: g.numpy() for p, g in zip(paths, step_grads, strict=True)})
        weights.append(snapshot())
    return model, initial, grads, weights


def relative_error(actual, expected, start=None):
    """The largest `|actual - expected|` over every variable, relative to the largest
    `|expected - start|` (how far the weights moved) or, without `start`, `|expected|`."""
    start = start or dict.fromkeys(expected, 0.0)
    difference = max(float(np.max(np.abs(actual[k] - expected[k]))) for k in expected)
    scale = max(float(np.max(np.abs(expected[k] - start[k]))) for k in expected)
    return difference / scale


def moved_steps(initial, weights):
    """The 1-based steps after which some weight differs from the step before."""
    before, moved = initial, []
    for step, after in enumerate(weights, start=1):
        if any(not np.array_equal(before[k], after[k]) for k in after):
            moved.append(step)
        before = after
    return moved


def unwrapped():
    optimizer = AdamWeightDecay(LR, weight_decay_rate=0.01, exclude_from_weight_decay=EXCLUDE)
    _, initial, grads, weights = train(optimizer, 3)
    expected = reference.adam_weight_decay(
        initial,
        grads,
        [LR] * 3,
        weight_decay_rate=0.01,
        decays=reference.default_decays(initial, EXCLUDE),
        dtype=np.float32,
    )
    return {"unwrapped_error": relative_error(weights[-1], expected, initial)}


def piecewise_linear_lr():
    optimizer = b4k.extend_with_piecewise_linear_lr_v2(AdamWeightDecay)(LR, lr_schedule={4: 1})
    _, initial, grads, weights = train(optimizer, 2)
    # Iteration t (from 0) runs at LR * t / 4: 0, then LR / 4.
    expected = reference.adam_weight_decay(initial, grads, [0.0, LR / 4], dtype=np.float32)
    return {
        "piecewise_moved_steps": moved_steps(initial, weights),
        "piecewise_error": relative_error(weights[-1], expected, initial),
    }


def gradient_accumulation():
    optimizer = b4k.extend_with_gradient_accumulation_v2(AdamWeightDecay)(LR, grad_accum_steps=4)
    _, initial, grads, weights = train(optimizer, 9)
    # Iteration 0 steps with the empty accumulator (no move); iteration 4 steps with the
    # mean of the gradients of iterations 0-3, from zero moments, at t = 5.
    mean = {k: np.mean([g[k] for g in grads[:4]], axis=0) for k in initial}
    correction = np.sqrt(1 - 0.999**5) / (1 - 0.9**5)
    expected = {
        k: initial[k] - LR * correction * (0.1 * g) / (np.sqrt(0.001 * g * g) + 1e-6)
        for k, g in mean.items()
    }
    return {
        "accumulation_moved_steps": moved_steps(initial, weights),
        "accumulation_error": relative_error(weights[4], expected, initial),
    }


def exponential_moving_average():
    optimizer = b4k.extend_with_exponential_moving_average_v2(AdamWeightDecay)(LR, ema_momentum=0.9)
    model, initial, _, weights = train(optimizer, 4)
    paths = list(initial)
    ema = dict.fromkeys(paths, 0.0)
    for after in weights:
        ema = {k: 0.9 * ema[k] + 0.1 * after[k] for k in paths}
    slots = dict(zip(paths, (v.numpy() for v in optimizer.ema_weights), strict=True))
    optimizer.apply_ema_weights()  # divides by 1 - 0.9**4 (bert4keras's bias correction)
    applied = {k: v.numpy() for k, v in zip(paths, model.trainable_weights, strict=True)}
    optimizer.reset_old_weights()
    restored = {k: v.numpy() for k, v in zip(paths, model.trainable_weights, strict=True)}
    return {
        "ema_slot_error": relative_error(slots, ema),
        "ema_differs_from_raw": relative_error(slots, weights[-1]),
        "ema_applied_error": relative_error(applied, {k: e / (1 - 0.9**4) for k, e in ema.items()}),
        "ema_reset_error": relative_error(restored, weights[-1]),
    }


def lookahead():
    optimizer = b4k.extend_with_lookahead_v2(AdamWeightDecay)(
        LR, steps_per_slow_update=3, slow_step_size=0.5
    )
    model, initial, grads, weights = train(optimizer, 5)
    paths = list(initial)
    slow = dict(
        zip(
            paths,
            (optimizer.get_slot(v, "slow_var").numpy() for v in model.trainable_weights),
            strict=True,
        )
    )
    # Iteration 0 syncs: slow (0 at start) moves half way to the fast weights, and the
    # model takes the slow weights.
    fast = reference.adam_weight_decay(initial, grads[:1], [LR], dtype=np.float32)
    return {
        "lookahead_first_step_error": relative_error(
            weights[0], {k: 0.5 * f for k, f in fast.items()}
        ),
        "lookahead_slow_equals_weights_after_sync": relative_error(weights[3], slow),
        "lookahead_off_sync_differs": relative_error(weights[4], slow),
    }


def weight_decay():
    wrapped = b4k.extend_with_weight_decay_v2(AdamWeightDecay)(
        LR, weight_decay_rate=0.1, exclude_from_weight_decay=EXCLUDE
    )
    builtin = AdamWeightDecay(LR, weight_decay_rate=0.1, exclude_from_weight_decay=EXCLUDE)
    _, initial, _, wrapped_weights = train(wrapped, 3)
    _, _, _, builtin_weights = train(builtin, 3)
    # One step with zero gradients: only the decay moves a weight.
    model = bert4keras_model.tiny_classifier(WORKDIR)
    optimizer = b4k.extend_with_weight_decay_v2(AdamWeightDecay)(
        LR, weight_decay_rate=0.1, exclude_from_weight_decay=EXCLUDE
    )
    before = {hyperparameters.variable_path(v): v.numpy() for v in model.trainable_weights}
    optimizer.apply_gradients([(tf.zeros_like(v), v) for v in model.trainable_weights])
    after = {hyperparameters.variable_path(v): v.numpy() for v in model.trainable_weights}
    decays = reference.default_decays(before, EXCLUDE)
    shrink = np.float32(LR) * np.float32(0.1)  # the wrapper's `lr_t * weight_decay_rate`
    expected = {k: b - shrink * b if decays[k] else b for k, b in before.items()}
    return {
        "decay_wrapper_equals_builtin": relative_error(
            wrapped_weights[-1], builtin_weights[-1], initial
        ),
        "decay_zero_gradient_error": relative_error(after, expected, before),
        "decayed_variables": sum(decays.values()),
    }


if __name__ == "__main__":
    WORKDIR = sys.argv[1]
    report = {}
    for check in (
        unwrapped,
        piecewise_linear_lr,
        gradient_accumulation,
        exponential_moving_average,
        lookahead,
        weight_decay,
    ):
        report.update(check())
    print(json.dumps(report))
