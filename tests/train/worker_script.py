"""Run in a fresh process: one worker of a `MultiWorkerMirroredStrategy` run of `train`
(the cluster comes from `TF_CONFIG`), or the same run on one device.

Usage: worker_script.py TRAIN_FILE OUTPUT_DIR STRATEGY WEIGHTS_FILE [MINUTES CLOCK_RATE].
Saves this process's final weights (`TrainResult.model`, the non-chief's model is in
memory only) to WEIGHTS_FILE (`.npz`, keyed by variable path) and prints one JSON line.
With MINUTES the run has that time budget (and up to 1000 epochs), measured by a clock
running CLOCK_RATE times as fast as the real one (a worker whose clock disagrees).
"""

import json
import sys
import time
import types

import numpy as np

import tf_ner.train.callbacks
from tf_ner.train import TrainConfig, train


def main(train_file, output_dir, strategy, weights_file, minutes=None, clock_rate="1"):
    if float(clock_rate) != 1.0:
        start = time.monotonic()
        tf_ner.train.callbacks.time = types.SimpleNamespace(
            monotonic=lambda: start + float(clock_rate) * (time.monotonic() - start)
        )
    config = TrainConfig.from_flags(
        train=train_file,
        output_dir=output_dir,
        bert_size="tiny",
        # Replicas draw different dropout masks than one device would: no dropout.
        dropout=0.0,
        epochs=2 if minutes is None else 1000,
        time_budget=None if minutes is None else float(minutes),
        batch_size=8,
        max_length=32,
        stride=8,
        learning_rate=1e-3,
        warmup=0,
        seed=5,
        strategy=strategy,
    )
    result = train(config)
    weights = {v.path: np.asarray(v) for v in result.model.weights}
    assert len(weights) == len(result.model.weights), "variable paths are not unique"
    np.savez(weights_file, **weights)
    replicas = result.model.distribute_strategy.num_replicas_in_sync
    report = {"steps": result.steps, "replicas": replicas, "stop_reason": result.stop_reason}
    print(json.dumps(report))


if __name__ == "__main__":
    main(*sys.argv[1:])
