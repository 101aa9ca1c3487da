"""Run in a fresh process: `train` on one device, then under `MirroredStrategy` over two
logical CPU devices (configured before TensorFlow initialises), same global batch.

Usage: mirrored_script.py TRAIN_FILE ROOT. Writes ROOT/default and ROOT/mirrored model
folders; prints one JSON line with each run's steps, replicas and test scores.
"""

import json
import sys

import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
)

import keras  # noqa: E402

from tf_ner.train import TrainConfig, train  # noqa: E402


def main(train_file, root):
    report = {}
    for strategy in ("default", "mirrored"):
        config = TrainConfig.from_flags(
            train=train_file,
            test=train_file,  # evaluation runs under the strategy too
            output_dir=f"{root}/{strategy}",
            bert_size="tiny",
            # Replicas draw different dropout masks than one device would: no dropout.
            dropout=0.0,
            epochs=2,
            batch_size=8,
            max_length=32,
            stride=8,
            learning_rate=1e-3,
            warmup=0,
            seed=5,
            strategy=strategy,
        )
        result = train(config)
        report[strategy] = {
            "steps": result.steps,
            "replicas": result.model.distribute_strategy.num_replicas_in_sync,
            "test": {k: result.test[k] for k in ("precision", "recall", "f1")},
        }
        keras.backend.clear_session()
    print(json.dumps(report))


if __name__ == "__main__":
    main(*sys.argv[1:])
