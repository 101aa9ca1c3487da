"""Keras callbacks of the training loop: deterministic epochs, backups, stopping, dev
evaluation."""

import json
import logging
import math
import pathlib
import time

import keras
import numpy as np
import tensorflow as tf

from tf_ner.tasks.ner import evaluate_spans
from tf_ner.train.output import atomic_save_weights, atomic_write_text

logger = logging.getLogger(__name__)


class DeterministicEpochs(keras.callbacks.Callback):
    """Makes epoch `e` the same whether a run started at 0 or resumed at `e`.

    At each epoch's start it sets the data order to epoch `e` and every dropout seed
    to `(seed, e, layer)`, so a run killed and resumed by `BackupAndRestore` (which
    restores weights and optimizer, not seed states) retraces an uninterrupted run.

    Args:
        epoch_batches: the training dataset's batch plan (has a settable `.epoch`).
        seed: int.
    """

    def __init__(self, epoch_batches, seed):
        super().__init__()
        self.epoch_batches = epoch_batches
        self.seed = seed

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_batches.epoch = epoch
        states = [
            v for v in self.model.non_trainable_variables if v.path.endswith("seed_generator_state")
        ]
        for index, state in enumerate(states):
            state.assign(np.array([self.seed * 1_000_003 + index, epoch], state.dtype))


class BackupAndRestore(keras.callbacks.BackupAndRestore):
    """Keras's `BackupAndRestore`, written atomically and safe with several workers.

    - The weights (with the optimizer state) and the metadata are each written to a
      temporary file and renamed, so a kill never leaves a half-written backup; the
      epoch to resume at is the restored optimizer step over `steps_per_epoch`, so the
      epoch and the weights agree even when a kill lands between the two renames.
    - Every worker restores from `backup_dir`, so all replicas resume from one state;
      only the worker with `write=True` (the chief) writes and finally deletes it.
      Keras 3 dropped Keras 2's handling of other workers (each saved into its own
      `workertemp_<id>` folder, then deleted it): saving a Keras 3 weights file needs no
      collective op, so other workers have nothing to write. With several machines,
      `backup_dir` must be on a file system that every worker reads.

    Args:
        backup_dir: str, the folder of the backup.
        steps_per_epoch: int, optimizer steps in one epoch.
        write: bool, whether this process writes (and deletes) the backup.
    """

    def __init__(self, backup_dir, steps_per_epoch, write=True):
        super().__init__(backup_dir, save_freq="epoch", delete_checkpoint=write)
        self.steps_per_epoch = steps_per_epoch
        self.write = write

    def _load_model(self):
        super()._load_model()
        if not pathlib.Path(self._weights_path).is_file():
            self.model._initial_epoch = None  # metadata without weights: start afresh
            return
        steps = int(self.model.optimizer.iterations.numpy())
        self.model._initial_epoch = math.ceil(steps / self.steps_per_epoch)

    def _save_model(self):
        if not self.write:
            return
        atomic_save_weights(self.model, self._weights_path)
        metadata = {"epoch": self._current_epoch, "batch": self._last_batch_seen}
        atomic_write_text(self._training_metadata_path, json.dumps(metadata))


class StepLossLog(keras.callbacks.Callback):
    """Appends `step,loss` to a CSV file every `every` optimizer steps (for the curves).

    The loss is Keras's running mean over the current epoch.
    """

    def __init__(self, path, every=50):
        super().__init__()
        self.path = pathlib.Path(path)
        self.every = every

    def on_train_batch_end(self, batch, logs=None):
        step = int(self.model.optimizer.iterations.numpy())
        if step % self.every or not logs or "loss" not in logs:
            return
        new = not self.path.is_file()
        with self.path.open("a", encoding="utf-8") as f:
            if new:
                f.write("step,loss\n")
            f.write(f"{step},{float(logs['loss']):.6f}\n")


class StopTraining(keras.callbacks.Callback):
    """Stops cleanly after `max_steps` optimizer steps or `time_budget` minutes of training.

    Time spent in callbacks at epoch ends (dev evaluation) does not count. With
    `peak_learning_rate`, a time-budgeted run also sets the learning rate before each
    step: linear warmup over `warmup_steps`, then linear decay to 0 at the end of the
    budget (a step-based schedule cannot know how many steps the budget holds).

    Under `MultiWorkerMirroredStrategy` every worker reads its own clock, and a worker
    that stopped alone would leave the others waiting in a collective: the elapsed time
    is then the mean over the workers (one small all-reduce per step), so all of them
    set the same learning rate and stop after the same step.
    """

    def __init__(self, max_steps=None, time_budget=None, peak_learning_rate=None, warmup_steps=0):
        super().__init__()
        self.max_steps = max_steps
        self.budget_seconds = None if time_budget is None else time_budget * 60
        self.peak_learning_rate = peak_learning_rate
        self.warmup_steps = warmup_steps
        self.training_seconds = 0.0
        self.reason = None

    def _elapsed(self):
        seconds = self.training_seconds + time.monotonic() - self._started
        strategy = self.model.distribute_strategy
        if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
            return seconds
        per_replica = strategy.run(lambda: tf.constant(seconds, tf.float32))
        return float(strategy.reduce(tf.distribute.ReduceOp.MEAN, per_replica, axis=None))

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.monotonic()
        if self.budget_seconds is not None:
            self._reading = self._elapsed()  # the first step's learning rate reads this

    def on_train_batch_begin(self, batch, logs=None):
        if self.peak_learning_rate is None or self.budget_seconds is None:
            return
        step = int(self.model.optimizer.iterations.numpy())
        warm = min(1.0, (step + 1) / self.warmup_steps) if self.warmup_steps else 1.0
        left = max(0.0, 1.0 - self._reading / self.budget_seconds)
        self.model.optimizer.learning_rate.assign(self.peak_learning_rate * warm * left)

    def on_train_batch_end(self, batch, logs=None):
        steps = int(self.model.optimizer.iterations.numpy())
        if self.budget_seconds is not None:
            self._reading = self._elapsed()  # one reading per step: the stop and next rate
        if self.max_steps is not None and steps >= self.max_steps:
            self.reason = f"reached max_steps={self.max_steps}"
        elif self.budget_seconds is not None and self._reading >= self.budget_seconds:
            minutes = self.budget_seconds / 60
            self.reason = f"time budget of {minutes:g} minutes spent ({steps} steps)"
        if self.reason:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        self.training_seconds += time.monotonic() - self._started


class DevEvaluation(keras.callbacks.Callback):
    """Corpus-level entity P/R/F1 on the dev set after each epoch; keeps the best weights.

    The scores come from decoding to character spans (`tf_ner.tasks.ner.evaluate_spans`,
    the code `tf-ner evaluate` runs) and are added to the epoch's logs as `dev_precision`,
    `dev_recall`, `dev_f1`, so CSV, TensorBoard and early stopping see them.

    Args:
        examples: dev `Example`s.
        settings: `NerSettings`.
        tokenizer: `Tokenizer`.
        best_weights_path: where the best epoch's weights are written (atomically), or None.
        batch_size: int.
        state_path: a JSON file keeping the best score and epoch, so that a resumed run
            compares with the epochs before it was killed; or None.
    """

    def __init__(
        self, examples, settings, tokenizer, best_weights_path=None, batch_size=64, state_path=None
    ):
        super().__init__()
        self.examples = examples
        self.settings = settings
        self.tokenizer = tokenizer
        self.best_weights_path = best_weights_path
        self.batch_size = batch_size
        self.state_path = state_path
        self.best_f1 = -math.inf
        self.best_epoch = None

    def on_train_begin(self, logs=None):
        if self.state_path is not None and pathlib.Path(self.state_path).is_file():
            state = json.loads(pathlib.Path(self.state_path).read_text(encoding="utf-8"))
            self.best_f1, self.best_epoch = state["best_f1"], state["best_epoch"]

    def on_epoch_end(self, epoch, logs=None):
        scores = evaluate_spans(
            self.model, self.settings, self.tokenizer, self.examples, self.batch_size
        )
        if logs is not None:
            logs.update(
                dev_precision=scores["precision"], dev_recall=scores["recall"], dev_f1=scores["f1"]
            )
        per_type = "  ".join(f"{t} {s['f1']:.4f}" for t, s in scores["per_type"].items())
        print(
            f"epoch {epoch + 1}: dev P {scores['precision']:.4f} R {scores['recall']:.4f} "
            f"F1 {scores['f1']:.4f} | {per_type}",
            flush=True,
        )
        if scores["f1"] > self.best_f1:
            self.best_f1, self.best_epoch = scores["f1"], epoch
            if self.best_weights_path is not None:
                atomic_save_weights(self.model, self.best_weights_path)
            if self.state_path is not None:
                state = {"best_f1": self.best_f1, "best_epoch": epoch}
                atomic_write_text(self.state_path, json.dumps(state))
