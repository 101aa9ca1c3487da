"""Run in a fresh process with TF_USE_LEGACY_KERAS=1 (and TF_KERAS=1 for bert4keras).

    python legacy_script.py trajectories PROBLEM.npz OUT.npz   # 200-step runs to compare
    python legacy_script.py bert4keras WORKDIR                   # train a tiny bert4keras model

Each prints one JSON line with what the parent test checks.
"""

import json
import os
import sys

import bert4keras_model
import numpy as np
import tensorflow as tf
import tf_keras

from tf_ner.optimization.legacy import AdamWeightDecay, WarmupLinearDecay

CONFIGS = {
    "bc_wd_default_exclusions": dict(bias_correction=True, weight_decay_rate=0.05),
    "nobc_wd_default_exclusions": dict(bias_correction=False, weight_decay_rate=0.05),
    "bc_no_wd": dict(bias_correction=True),
    "nobc_wd_no_exclusions": dict(
        bias_correction=False, weight_decay_rate=0.05, exclude_from_weight_decay=()
    ),
    # Run in float32 (the others in float64, the problem's dtype).
    "float32_bc_wd_default_exclusions": dict(bias_correction=True, weight_decay_rate=0.05),
    "float32_nobc_wd_default_exclusions": dict(bias_correction=False, weight_decay_rate=0.05),
}


def trajectories(problem_path, out_path):
    problem = np.load(problem_path)
    paths = [str(p) for p in problem["paths"]]
    lrs = problem["lrs"]
    results = {}
    for key, kwargs in CONFIGS.items():
        dtype = "float32" if key.startswith("float32") else "float64"
        variables = [tf.Variable(problem[f"init/{p}"].astype(dtype), name=p) for p in paths]
        optimizer = AdamWeightDecay(learning_rate=float(lrs[0]), **kwargs)

        @tf.function
        def apply(grads, optimizer=optimizer, variables=variables):
            optimizer.apply_gradients(zip(grads, variables, strict=True))

        for step, lr in enumerate(lrs):
            optimizer.learning_rate = float(lr)
            apply([tf.constant(problem[f"grad/{step}/{p}"].astype(dtype)) for p in paths])
        for p, v in zip(paths, variables, strict=True):
            results[f"{key}/{p}"] = v.numpy()
    np.savez(out_path, **results)
    optimizer = AdamWeightDecay(
        WarmupLinearDecay(1e-3, decay_steps=10, warmup_steps=2), weight_decay_rate=0.01
    )
    restored = AdamWeightDecay.from_config(optimizer.get_config())
    print(json.dumps({**check_round_trip(optimizer, restored), **save_and_load(out_path)}))


def check_round_trip(optimizer, restored):
    return {
        "tf_keras_is_tf_keras": tf.keras.Model is tf_keras.Model,
        "keras3_imported": any(m == "keras.src" or m.startswith("keras.src.") for m in sys.modules),
        "config_round_trip": restored.get_config() == optimizer.get_config(),
        "schedule": type(restored._get_hyper("learning_rate")).__name__,
    }


def save_and_load(out_path):
    """A tf-keras model trained, checkpointed with its optimizer, restored and trained on.

    (tf-keras's `.keras` format keeps no OptimizerV2 state: a `tf.train.Checkpoint`
    does, as `model.save_weights` and `.h5` files do.)
    """

    def make_model():
        tf_keras.utils.set_random_seed(0)
        inputs = tf_keras.Input((3,))
        hidden = tf_keras.layers.LayerNormalization(name="LayerNorm")(inputs)
        return tf_keras.Model(inputs, tf_keras.layers.Dense(1, name="dense")(hidden))

    model = make_model()
    optimizer = AdamWeightDecay(1e-2, weight_decay_rate=0.1, pretrained_weight_decay=True)
    model.compile(optimizer=optimizer, loss="mse")
    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    y = np.ones((8, 1), "float32")
    model.fit(x, y, epochs=2, verbose=0)
    path = tf.train.Checkpoint(model=model, optimizer=optimizer).save(
        os.path.splitext(out_path)[0] + "_ckpt"
    )
    restored_model = make_model()
    restored = AdamWeightDecay.from_config(optimizer.get_config())
    restored_model.compile(optimizer=restored, loss="mse")
    tf.train.Checkpoint(model=restored_model, optimizer=restored).restore(path)
    model.fit(x, y, verbose=0)
    restored_model.fit(x, y, verbose=0)

    def state(opt):
        return {v.name.removeprefix(opt._name + "/"): v.numpy() for v in opt.variables()}

    original, loaded = state(optimizer), state(restored)
    return {
        "loaded_optimizer": type(restored_model.optimizer).__name__,
        "loaded_state_equal": original.keys() == loaded.keys()
        and all(np.array_equal(original[k], loaded[k]) for k in original),
        "loaded_weights_equal": all(
            np.array_equal(a, b)
            for a, b in zip(model.get_weights(), restored_model.get_weights(), strict=True)
        ),
        "anchor_names": sorted(k for k in original if "pretrained" in k),
    }


def bert4keras(workdir):
    try:
        from bert4keras.optimizers import Adam as B4KAdam

        B4KAdam(1e-3)
        own_optimizer = "constructs"
    except Exception as error:  # recorded for the report, not asserted
        own_optimizer = f"{type(error).__name__}: {error}"

    model = bert4keras_model.tiny_classifier(workdir)
    tokens, segments, labels = bert4keras_model.tiny_data()
    optimizer = AdamWeightDecay(
        WarmupLinearDecay(1e-2, decay_steps=8 * 12, warmup_steps=8),
        weight_decay_rate=0.01,
        exclude_from_weight_decay=["Norm", "bias"],
        layerwise_lr_decay=0.9,  # bert4keras's layer names are found without patterns
        lr_multipliers={"classifier": 2.0},
    )
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit([tokens, segments], labels, batch_size=32, epochs=12, verbose=0)
    rules = {r.path: [r.decays, r.lr_scale] for r in optimizer.variable_rules()}
    print(optimizer.describe_learning_rates(), file=sys.stderr)
    print(
        json.dumps(
            {
                "keras3_imported": any(
                    m == "keras.src" or m.startswith("keras.src.") for m in sys.modules
                ),
                "optimizer": type(model.optimizer).__module__
                + "."
                + type(model.optimizer).__name__,
                "loss": history.history["loss"],
                "accuracy": history.history["accuracy"],
                "bert4keras_own_adam": own_optimizer,
                "rules": rules,
                "naming": optimizer.describe_learning_rates().splitlines()[0],
            }
        )
    )


if __name__ == "__main__":
    if sys.argv[1] == "trajectories":
        trajectories(sys.argv[2], sys.argv[3])
    else:
        bert4keras(sys.argv[2])
