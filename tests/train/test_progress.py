"""The run's clock and what it prints: the time-budget schedule, the loss curve's
windows and the progress lines."""

import io
import json
import types

import numpy as np
import pytest
import tensorflow as tf

from tf_ner.train.callbacks import ProgressLog, StepLossLog, StopTraining, loss_log_every
from tf_ner.train.schedules import TimeBudgetSchedule


def fake_model():
    iterations = tf.Variable(0, dtype=tf.int64)
    return types.SimpleNamespace(
        optimizer=types.SimpleNamespace(iterations=iterations),
        distribute_strategy=tf.distribute.get_strategy(),
        stop_training=False,
    )


# (step, progress) pairs: the optimizer's step and the share of the budget spent.
POINTS = [(0, 0.0), (5, 0.05), (10, 0.1), (40, 0.5), (90, 0.99), (99, 1.0), (120, 1.2)]


@pytest.mark.parametrize(
    ("warmup_steps", "warmup_fraction", "expected"),
    [
        # 2e-3 * (1 - progress), 0 past the budget.
        (0, 0.0, [2e-3, 1.9e-3, 1.8e-3, 1e-3, 2e-5, 0.0, 0.0]),
        # Warm for 10 steps: step 5 at half the rate, 0.5 * 1.9e-3.
        (10, 0.0, [0.0, 9.5e-4, 1.8e-3, 1e-3, 2e-5, 0.0, 0.0]),
        # Warm for a fifth of the budget: at 5% a quarter (4.75e-4), at 10% half (9e-4).
        (0, 0.2, [0.0, 4.75e-4, 9e-4, 1e-3, 2e-5, 0.0, 0.0]),
    ],
)
def test_time_budget_schedule_is_warmup_times_the_time_left(
    warmup_steps, warmup_fraction, expected
):
    schedule = TimeBudgetSchedule(2e-3, warmup_steps, warmup_fraction)
    again = TimeBudgetSchedule(**schedule.get_config())  # the config round trip
    for each in (schedule, again):
        rates = []
        for step, progress in POINTS:
            each.progress.assign(progress)
            rates.append(float(each(step)))
        np.testing.assert_allclose(rates, expected, rtol=1e-6, atol=1e-12)
    with pytest.raises(ValueError, match="not both"):
        TimeBudgetSchedule(1e-3, warmup_steps=5, warmup_fraction=0.1)


def test_the_loss_curve_has_each_window_s_mean_not_the_epoch_s(tmp_path):
    rng = np.random.default_rng(0)
    losses = [rng.uniform(1, 5, size=n) for n in (23, 17)]  # two epochs of steps
    log = StepLossLog(tmp_path / "steps.csv", every=5)
    model = fake_model()
    log.set_model(model)
    step = 0
    for epoch_losses in losses:
        log.on_epoch_begin(0)
        for batch, _ in enumerate(epoch_losses):
            step += 1
            model.optimizer.iterations.assign(step)
            running_mean = float(np.mean(epoch_losses[: batch + 1]))  # what Keras logs
            log.on_train_batch_end(batch, {"loss": running_mean})
    rows = np.loadtxt(tmp_path / "steps.csv", delimiter=",", skiprows=1)
    flat = np.concatenate(losses)
    # Windows end at steps 5, 10, ..., 40; each starts after the previous row, or at
    # the epoch's start (step 24) for the first row of the second epoch.
    starts = {5: 0, 10: 5, 15: 10, 20: 15, 25: 23, 30: 25, 35: 30, 40: 35}
    assert [int(s) for s in rows[:, 0]] == list(starts)
    expected = [flat[starts[s] : s].mean() for s in starts]
    np.testing.assert_allclose(rows[:, 1], expected, rtol=1e-5)


def test_short_runs_log_the_loss_more_often():
    # A row every 50 steps, or often enough for about 100 rows: a 96-step run (few-sample
    # fine-tuning) logs every step rather than not at all.
    assert [loss_log_every(n) for n in (3, 96, 250, 2000, 5000, 10**6)] == [1, 1, 2, 20, 50, 50]


def test_the_epoch_line_counts_the_steps_actually_run():
    stream = io.StringIO()
    progress = ProgressLog(total_steps=1576, every_seconds=1e9, stream=stream)
    model = fake_model()
    progress.set_model(model)
    progress.on_train_begin()
    progress.on_epoch_begin(0)
    model.optimizer.iterations.assign(853)  # a time budget stopped the epoch here
    logs = {"loss": 2.5, "dev_f1": 0.75}
    progress.on_epoch_end(0, logs)
    line = stream.getvalue()
    assert line.startswith("epoch 1: 853 steps in ") and "loss 2.5000  dev_f1 0.7500" in line


def test_a_resumed_run_shows_the_time_left_of_its_budget(tmp_path):
    # 127.5 of 150 minutes were spent before the kill: about 22 minutes are left, not 150.
    clock = tmp_path / "clock.json"
    clock.write_text(json.dumps({"training_seconds": 7650.0}))
    model = fake_model()
    stopper = StopTraining(time_budget=150, clock_path=clock)
    stream = io.StringIO()
    # So many steps that the steps' own estimate cannot be the shorter, however fast the
    # 10 fake steps go (at most 10 per 1e-9 s: over a day left): 10**6 steps at the
    # thousands of fake steps a second measured left about 3 minutes, under the budget's.
    progress = ProgressLog(total_steps=10**15, budget=stopper, every_seconds=0, stream=stream)
    for callback in (stopper, progress):
        callback.set_model(model)
        callback.on_train_begin()
        callback.on_epoch_begin(0)
    model.optimizer.iterations.assign(10)
    for callback in (stopper, progress):
        callback.on_train_batch_end(0, {"loss": 1.0})
    assert stream.getvalue().rstrip().endswith(("22m29s left", "22m30s left"))
