"""Keras callbacks of the training loop: deterministic epochs, backups, stopping, dev
evaluation, progress and the loss curve."""

import json
import logging
import math
import pathlib
import sys
import time

import keras
import numpy as np
import tensorflow as tf

from tf_ner.ground.files import atomic_write_text
from tf_ner.train.output import atomic_save_weights

logger = logging.getLogger(__name__)


class DeterministicEpochs(keras.callbacks.Callback):
    """Makes epoch `e` the same whether a run started at 0 or resumed at `e`.

    At each epoch's start it sets the data order to epoch `e` and every dropout seed
    to `(seed, e, layer)`, so a run killed and resumed by `BackupAndRestore` (which
    restores weights and optimizer, not seed states) retraces an uninterrupted run.

    Args:
        epoch_batches: the training data's batch plan (`LabelledData.batches`).
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
      epoch to resume at is the restored count of batches over `batches_per_epoch`, so
      the epoch and the weights agree even when a kill lands between the two renames.
    - Every worker restores from `backup_dir`, so all replicas resume from one state;
      only the worker with `write=True` (the chief) writes and finally deletes it.
      Keras 3 dropped Keras 2's handling of other workers (each saved into its own
      `workertemp_<id>` folder, then deleted it): saving a Keras 3 weights file needs no
      collective op, so other workers have nothing to write. With several machines,
      `backup_dir` must be on a file system that every worker reads.

    Args:
        backup_dir: str, the folder of the backup.
        batches_per_epoch: int, batches in one epoch.
        write: bool, whether this process writes (and deletes) the backup.
    """

    def __init__(self, backup_dir, batches_per_epoch, write=True):
        super().__init__(backup_dir, save_freq="epoch", delete_checkpoint=write)
        self.batches_per_epoch = batches_per_epoch
        self.write = write

    def _load_model(self):
        super()._load_model()
        if not pathlib.Path(self._weights_path).is_file():
            self.model._initial_epoch = None  # metadata without weights: start afresh
            return
        batches = batches_seen(self.model.optimizer)
        self.model._initial_epoch = math.ceil(batches / self.batches_per_epoch)

    def _save_model(self):
        if not self.write:
            return
        atomic_save_weights(self.model, self._weights_path)
        metadata = {"epoch": self._current_epoch, "batch": self._last_batch_seen}
        atomic_write_text(self._training_metadata_path, json.dumps(metadata))


def batches_seen(optimizer):
    """The batches the optimizer has taken: its steps, or under gradient accumulation
    its steps times the accumulation plus the batches summed since (Keras counts
    batches in `_iterations`; `iterations` is then `_iterations // steps`)."""
    return int(optimizer._iterations.numpy())


def loss_log_every(total_steps, rows=100, at_most=50):
    """Steps per row of the loss curve: every `at_most` steps, or fewer so that a run of
    `total_steps` still gets about `rows` rows (a 96-step run logs every step).

    A run of a few hundred steps (few-sample fine-tuning) would otherwise have a curve of
    a handful of points, or none under 50 steps.
    """
    return max(1, min(at_most, total_steps // rows))


class StepLossLog(keras.callbacks.Callback):
    """Appends `step,loss` to a CSV file every `every` optimizer steps (for the curves).

    The loss is the mean over the steps since the previous row (Keras's logs hold the
    mean over the epoch so far: the window's mean is recovered from two of those), so
    the curve shows the loss where it is, without a jump at each epoch's start.
    """

    def __init__(self, path, every=50):
        super().__init__()
        self.path = pathlib.Path(path)
        self.every = every
        self._last_step = None

    def on_train_begin(self, logs=None):
        self._last_step = int(self.model.optimizer.iterations.numpy())

    def on_epoch_begin(self, epoch, logs=None):
        self._sum = self._count = 0.0  # the epoch's running totals at the last row

    def on_train_batch_end(self, batch, logs=None):
        if not logs or "loss" not in logs:
            return
        step = int(self.model.optimizer.iterations.numpy())
        # Under gradient accumulation several batches end at the same step: log it once.
        if step % self.every or step == self._last_step:
            return
        self._last_step = step
        total, count = float(logs["loss"]) * (batch + 1), batch + 1
        if count == self._count:
            return
        window = (total - self._sum) / (count - self._count)
        self._sum, self._count = total, count
        new = not self.path.is_file()
        with self.path.open("a", encoding="utf-8") as f:
            if new:
                f.write("step,loss\n")
            f.write(f"{step},{window:.6f}\n")


class StopTraining(keras.callbacks.Callback):
    """Stops cleanly after `max_steps` optimizer steps or `time_budget` minutes of training.

    Time spent in callbacks at epoch ends (dev evaluation) does not count. With a time
    budget it sets `schedule.progress` (a `TimeBudgetSchedule`) before each step to the
    fraction of the budget spent. The time spent before a kill is kept in `clock_path`,
    so a resumed run continues the same budget.

    Under `MultiWorkerMirroredStrategy` every worker reads its own clock, and a worker
    that stopped alone would leave the others waiting in a collective: the elapsed time
    is then the mean over the workers (one small all-reduce per step), so all of them
    set the same learning rate and stop after the same step.
    """

    def __init__(self, max_steps=None, time_budget=None, schedule=None, clock_path=None):
        super().__init__()
        self.max_steps = max_steps
        self.budget_seconds = None if time_budget is None else time_budget * 60
        self.schedule = schedule
        self.clock_path = None if clock_path is None else pathlib.Path(clock_path)
        self.training_seconds = 0.0
        self.reason = None

    def on_train_begin(self, logs=None):
        if self.clock_path is not None and self.clock_path.is_file():
            state = json.loads(self.clock_path.read_text(encoding="utf-8"))
            self.training_seconds = state["training_seconds"]

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
        if self.schedule is not None and self.budget_seconds is not None:
            self.schedule.progress.assign(min(1.0, self._reading / self.budget_seconds))

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

    def seconds_left(self):
        """The budget's seconds not yet spent, time before a resume included; None
        without a budget."""
        if self.budget_seconds is None:
            return None
        return max(0.0, self.budget_seconds - self._reading)

    def on_epoch_end(self, epoch, logs=None):
        self.training_seconds += time.monotonic() - self._started
        if logs is not None:  # where the epoch ended, for the CSV log and the curves
            logs["step"] = int(self.model.optimizer.iterations.numpy())
        if self.clock_path is not None:
            state = {"training_seconds": self.training_seconds}
            atomic_write_text(self.clock_path, json.dumps(state))


class ProgressLog(keras.callbacks.Callback):
    """What a person watching the run reads: a progress line every `every_seconds`
    (step, loss over the last steps, steps/s, time left) and one line per epoch.

    The epoch line counts the steps actually run (a budget may stop an epoch early) and
    shows the epoch's logs: training loss and the dev scores `DevEvaluation` added. Put
    it last, so that the line appears once everything of the epoch is written.

    Args:
        total_steps: int, the steps the run may take (for "time left").
        budget: the run's `StopTraining`, whose clock says how much of a time budget is
            left (a resumed run's earlier time included), or None.
        every_seconds: float, between progress lines.
        stream: where to write (stdout).
    """

    def __init__(self, total_steps, budget=None, every_seconds=30.0, stream=None):
        super().__init__()
        self.total_steps = total_steps
        self.budget = budget
        self.every_seconds = every_seconds
        self.stream = stream or sys.stdout

    def on_train_begin(self, logs=None):
        self._run_started = time.monotonic()
        self._first_step = int(self.model.optimizer.iterations.numpy())

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_started = self._last_print = time.monotonic()
        self._epoch_first_step = int(self.model.optimizer.iterations.numpy())
        self._window = []

    def on_train_batch_end(self, batch, logs=None):
        if logs and "loss" in logs:
            self._window.append(float(logs["loss"]) * (batch + 1))
        now = time.monotonic()
        if now - self._last_print < self.every_seconds:
            return
        self._last_print = now
        step = int(self.model.optimizer.iterations.numpy())
        rate = (step - self._first_step) / max(now - self._run_started, 1e-9)
        left = (self.total_steps - step) / rate if rate else float("inf")
        budget_left = None if self.budget is None else self.budget.seconds_left()
        if budget_left is not None:
            left = min(left, budget_left)
        loss = ""
        if len(self._window) > 1:
            count = len(self._window) - 1
            loss = f" loss {(self._window[-1] - self._window[0]) / count:.4f}"
            self._window = self._window[-1:]
        self._write(
            f"step {step}/{self.total_steps}{loss} {rate:.2f} steps/s, {_duration(left)} left"
        )

    def on_epoch_end(self, epoch, logs=None):
        steps = int(self.model.optimizer.iterations.numpy()) - self._epoch_first_step
        seconds = time.monotonic() - self._epoch_started
        shown = "  ".join(
            f"{k} {v:.4f}" for k, v in (logs or {}).items() if _is_number(v) and k != "step"
        )
        per_step = f"{1000 * seconds / steps:.0f}ms/step" if steps else "no step"
        self._write(f"epoch {epoch + 1}: {steps} steps in {seconds:.0f}s ({per_step})  {shown}")

    def _write(self, line):
        print(line, file=self.stream, flush=True)


def _is_number(value):
    return isinstance(value, int | float | np.floating | np.integer)


def _duration(seconds):
    if seconds == float("inf"):
        return "?"
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


class DevEvaluation(keras.callbacks.Callback):
    """The task's scores on the dev set after each epoch (and every N steps); keeps the
    best epoch's weights.

    The scores are the task's evaluation (`Task.evaluate`, the code `tf-ner evaluate`
    runs: NER decodes to character spans), added to the epoch's logs as `dev_<name>`
    (the loss and metrics over the labelled windows too), so the progress line, CSV,
    TensorBoard and early stopping see them. The best epoch is the one with the
    highest `task.selection_metric`.

    With `every_steps`, the dev set is also scored every that many optimizer steps;
    every score (those at epoch ends too) becomes a row of `curve_path` (`step`, then
    the scores), the curve a long run is watched by. Against `references` (trivial
    predictors' scores, `Task.reference_scores`): once `plateau_after` steps have
    passed, a score less than a point above the first reference gets one line saying
    that the model has not learnt beyond it yet, and a later score clear of it one more.

    Args:
        task: the `Task`.
        examples: dev examples.
        data: their `LabelledData`.
        tokenizer: `Tokenizer`.
        best_weights_path: where the best epoch's weights are written (atomically), or None.
        batch_size: int.
        state_path: a JSON file keeping the best score and epoch, so that a resumed run
            compares with the epochs before it was killed; or None.
        every_steps: int, or None (epoch ends only).
        curve_path: the CSV of every score, or None.
        references: `{description: score}` of the selection metric, or None.
        plateau_after: int, the steps before a score is compared with the references.
        stream: where the plateau lines go (stdout).
    """

    def __init__(
        self, task, examples, data, tokenizer, best_weights_path=None, batch_size=64,
        state_path=None, every_steps=None, curve_path=None, references=None, plateau_after=0,
        stream=None,
    ):  # fmt: skip
        super().__init__()
        self.task = task
        self.examples = examples
        self.data = data
        self.tokenizer = tokenizer
        self.best_weights_path = best_weights_path
        self.batch_size = batch_size
        self.state_path = state_path
        self.every_steps = every_steps
        self.curve_path = None if curve_path is None else pathlib.Path(curve_path)
        self.references = dict(references or {})
        self.plateau_after = plateau_after
        self.stream = stream or sys.stdout
        self.best_score = -math.inf
        self.best_epoch = None
        self._plateau = None  # None: not judged yet; True: on it; False: clear of it

    def on_train_begin(self, logs=None):
        if self.state_path is not None and pathlib.Path(self.state_path).is_file():
            state = json.loads(pathlib.Path(self.state_path).read_text(encoding="utf-8"))
            self.best_score, self.best_epoch = state["best_score"], state["best_epoch"]
        self._last = (int(self.model.optimizer.iterations.numpy()), None)
        if self.curve_path is not None:
            _drop_rows_after(self.curve_path, self._last[0])  # a resumed run redoes them

    def on_train_batch_end(self, batch, logs=None):
        if not self.every_steps:
            return
        step = int(self.model.optimizer.iterations.numpy())
        if step % self.every_steps == 0 and step != self._last[0]:
            self._score(step)

    def on_epoch_end(self, epoch, logs=None):
        step = int(self.model.optimizer.iterations.numpy())
        step_of_last, values = self._last
        if step != step_of_last or values is None:
            values = self._score(step)
        if logs is not None:
            logs.update({f"dev_{name}": value for name, value in values.items()})
        score = values[self.task.selection_metric]
        if score > self.best_score:
            self.best_score, self.best_epoch = score, epoch
            if self.best_weights_path is not None:
                atomic_save_weights(self.model, self.best_weights_path)
            if self.state_path is not None:
                state = {"best_score": self.best_score, "best_epoch": epoch}
                atomic_write_text(self.state_path, json.dumps(state))

    def _score(self, step):
        """Evaluates, records the curve's row and judges the plateau; the float scores."""
        scores = self.task.evaluate(
            self.model, self.tokenizer, self.examples, self.batch_size, data=self.data
        )
        # The task's scores (floats: NER's precision/recall/F1, classification's accuracy
        # and macro-F1) and those over the labelled windows; counts and tables stay out.
        values = {**scores.get("labelled", {})}
        values.update({k: v for k, v in scores.items() if isinstance(v, float)})
        self._last = (step, values)
        if self.curve_path is not None:
            _append_row(self.curve_path, {"step": step, **values})
        self._judge_plateau(step, values[self.task.selection_metric])
        return values

    def _judge_plateau(self, step, score):
        if not self.references or step < self.plateau_after:
            return
        name, reference = next(iter(self.references.items()))
        metric = self.task.selection_metric
        on_plateau = score - reference < 0.01
        if on_plateau and self._plateau is None:
            self._write(
                f"step {step}: dev {metric} {score:.2%} is not a point above the trivial "
                f"baseline ({name}: {reference:.2%}): nothing learnt beyond it yet"
            )
        elif not on_plateau and self._plateau:
            self._write(
                f"step {step}: dev {metric} {score:.2%} is clear of the trivial baseline "
                f"({name}: {reference:.2%})"
            )
        self._plateau = on_plateau

    def _write(self, line):
        print(line, file=self.stream, flush=True)


def _append_row(path, row):
    """Appends a dict as a CSV row, with a header if the file is new."""
    new = not path.is_file()
    with path.open("a", encoding="utf-8") as f:
        if new:
            f.write(",".join(row) + "\n")
        f.write(",".join(f"{value:.6g}" if isinstance(value, float) else str(value)
                         for value in row.values()) + "\n")  # fmt: skip


def _drop_rows_after(path, step):
    """Keeps the header and the rows of `path` up to `step` (atomically)."""
    if not path.is_file():
        return
    lines = path.read_text(encoding="utf-8").splitlines()
    kept = lines[:1] + [line for line in lines[1:] if int(line.split(",", 1)[0]) <= step]
    if len(kept) < len(lines):
        atomic_write_text(path, "".join(line + "\n" for line in kept))
