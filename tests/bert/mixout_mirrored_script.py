"""Run in a fresh process: a tiny tagger with Mixout (P = 0.5) fitted on one device, then
under `MirroredStrategy` over two logical CPU devices (configured before TensorFlow
initialises), from the same weights and data.

Prints one JSON line: the replica counts, how far training moved the encoder kernels,
and the largest weight difference between the two runs.
"""

import json
import pathlib
import sys

import tensorflow as tf

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
)

import numpy as np  # noqa: E402

from tests.bert.test_mixout import tagger, tagging_data  # noqa: E402
from tf_ner.bert.mixout import apply_mixout  # noqa: E402


def fit(strategy, initial):
    with strategy.scope():
        model = tagger()
        model.set_weights(initial)
        apply_mixout(model, 0.5, seed=2)
    x, y = tagging_data()
    model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return model


def main():
    initial = tagger().get_weights()
    one = fit(tf.distribute.get_strategy(), initial)
    two = fit(tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]), initial)
    after_one = {v.path: v.numpy() for v in one.weights}
    after_two = {v.path: v.numpy() for v in two.weights}
    kernel = "bert/encoder/layer_0/attention/self/query/kernel"
    start = initial[[v.path for v in one.weights].index(kernel)]
    report = {
        "replicas": [m.distribute_strategy.num_replicas_in_sync for m in (one, two)],
        "moved": float(np.max(np.abs(after_one[kernel] - start))),
        "difference": max(float(np.max(np.abs(after_one[k] - after_two[k]))) for k in after_one),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
