"""Run in a fresh process: `model.fit` on one device vs MirroredStrategy over two CPUs.

Prints one JSON line: the largest weight difference and how far training moved them.
"""

import json

import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from tf_ner.optimization import AdamWeightDecay, WarmupLinearDecay  # noqa: E402


def make_model():
    inputs = keras.Input((6,))
    hidden = keras.layers.Dense(8, activation="tanh", name="dense")(inputs)
    hidden = keras.layers.LayerNormalization(name="LayerNorm")(hidden)
    outputs = keras.layers.Dense(1, name="head")(hidden)
    return keras.Model(inputs, outputs)


def train(strategy, initial_weights, x, y):
    with strategy.scope():
        model = make_model()
        model.set_weights(initial_weights)
        model.compile(
            optimizer=AdamWeightDecay(
                WarmupLinearDecay(2e-2, decay_steps=16, warmup_steps=3),
                weight_decay_rate=0.1,
                lr_multipliers={"^head/": 2.0},
                pretrained_weight_decay=True,
            ),
            loss="mse",
        )
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    return model.get_weights(), int(model.optimizer.iterations.numpy())


def main():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 6)).astype("float32")
    y = (x @ rng.normal(size=(6, 1))).astype("float32")
    initial = make_model().get_weights()
    single, steps_single = train(tf.distribute.OneDeviceStrategy("/cpu:0"), initial, x, y)
    mirrored_strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    mirrored, steps_mirrored = train(mirrored_strategy, initial, x, y)
    print(
        json.dumps(
            {
                "replicas": mirrored_strategy.num_replicas_in_sync,
                "steps": [steps_single, steps_mirrored],
                "max_abs_diff": max(
                    float(np.max(np.abs(a - b))) for a, b in zip(single, mirrored, strict=True)
                ),
                "max_abs_moved": max(
                    float(np.max(np.abs(a - b))) for a, b in zip(single, initial, strict=True)
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
