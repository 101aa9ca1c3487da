"""Run in a fresh process: one worker of a `MultiWorkerMirroredStrategy` run of `train`
(the cluster comes from `TF_CONFIG`), or the same run on one device.

Usage: worker_script.py TRAIN_FILE OUTPUT_DIR STRATEGY WEIGHTS_FILE. Saves this process's
final weights (`TrainResult.model`, the non-chief's model is in memory only) to
WEIGHTS_FILE (`.npz`, keyed by variable path) and prints one JSON line.
"""

import json
import sys

import numpy as np

from tf_ner.train import TrainConfig, train


def main(train_file, output_dir, strategy, weights_file):
    config = TrainConfig(
        train=train_file,
        output_dir=output_dir,
        bert_size="tiny",
        # Replicas draw different dropout masks than one device would: no dropout.
        dropout=0.0,
        epochs=2,
        batch_size=8,
        max_length=32,
        stride=8,
        learning_rate=1e-3,
        seed=5,
        strategy=strategy,
    )
    result = train(config)
    weights = {v.path: np.asarray(v) for v in result.model.weights}
    assert len(weights) == len(result.model.weights), "variable paths are not unique"
    np.savez(weights_file, **weights)
    replicas = result.model.distribute_strategy.num_replicas_in_sync
    print(json.dumps({"steps": result.steps, "replicas": replicas}))


if __name__ == "__main__":
    main(*sys.argv[1:])
