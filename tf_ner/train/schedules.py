"""The learning-rate schedule of a run under a time budget, or with a held peak."""

import keras
import tensorflow as tf

from tf_ner.ground.errors import SettingsError


@keras.saving.register_keras_serializable(package="tf_ner")
class TimeBudgetSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warmup, a hold at the peak, then linear decay to 0 at the end of a budget.

    `rate = peak * warm * min(1, (1 - progress) / decay_fraction)`, where `progress` in
    [0, 1] is the fraction of the budget spent and `warm` is `step / warmup_steps`
    during a warmup counted in steps, or `progress / warmup_fraction` during a warmup
    counted as a fraction of the budget (with a steady pace, that fraction of the steps
    the budget holds), else 1. With `decay_fraction=1` the decay runs over the whole
    budget (Google BERT's shape); with 0.2 the rate holds at its peak until 80% of the
    budget is spent, then decays over the last 20% (warmup-stable-decay, a shape that
    suits time budgets: the rate does not fall before the run knows how long it is).

    Under a time budget `progress` is set before each step by `StopTraining` (a step
    schedule cannot know how many steps the budget holds); with `total_steps` it is
    `step / total_steps`.

    Args:
        peak: float >= 0, the rate after warmup.
        warmup_steps: int >= 0, a warmup in steps (0: none).
        warmup_fraction: float in [0, 1), a warmup as a fraction of the budget (0: none).
        decay_fraction: float in (0, 1], the final share of the budget the decay takes.
        total_steps: None (a time budget), or the steps of a budget counted in steps.
    """

    def __init__(
        self, peak, warmup_steps=0, warmup_fraction=0.0, decay_fraction=1.0, total_steps=None
    ):
        if warmup_steps and warmup_fraction:
            raise SettingsError("give warmup_steps or warmup_fraction, not both")
        if not 0 < decay_fraction <= 1:
            raise SettingsError(f"decay_fraction={decay_fraction!r}: expected a share in (0, 1]")
        if total_steps is not None and total_steps < 1:
            raise SettingsError(f"total_steps={total_steps!r}: expected a positive int or None")
        self.peak = float(peak)
        self.warmup_steps = int(warmup_steps)
        self.warmup_fraction = float(warmup_fraction)
        self.decay_fraction = float(decay_fraction)
        self.total_steps = None if total_steps is None else int(total_steps)
        self.progress = tf.Variable(0.0, trainable=False, dtype=tf.float32, name="progress")

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        if self.total_steps is None:
            progress = tf.convert_to_tensor(self.progress)
        else:
            progress = tf.minimum(1.0, step / self.total_steps)
        warm = tf.constant(1.0)
        if self.warmup_steps:
            warm = tf.minimum(1.0, step / self.warmup_steps)
        elif self.warmup_fraction:
            warm = tf.minimum(1.0, progress / self.warmup_fraction)
        remaining = tf.minimum(1.0, tf.maximum(0.0, 1.0 - progress) / self.decay_fraction)
        return self.peak * warm * remaining

    def get_config(self):
        return {
            "peak": self.peak,
            "warmup_steps": self.warmup_steps,
            "warmup_fraction": self.warmup_fraction,
            "decay_fraction": self.decay_fraction,
            "total_steps": self.total_steps,
        }
