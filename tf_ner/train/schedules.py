"""The learning-rate schedule of a run under a time budget."""

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="tf_ner")
class TimeBudgetSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warmup, then linear decay to 0 at the end of a time budget.

    `rate = peak * warm * (1 - progress)`, where `progress` in [0, 1] is the fraction
    of the budget spent, set before each step by `StopTraining` (a step schedule
    cannot know how many steps the budget holds), and `warm` is `step / warmup_steps`
    during a warmup counted in steps, or `progress / warmup_fraction` during a warmup
    counted as a fraction of the budget (with a steady pace, that fraction of the steps
    the budget holds), else 1.

    Args:
        peak: float >= 0, the rate after warmup.
        warmup_steps: int >= 0, a warmup in steps (0: none).
        warmup_fraction: float in [0, 1), a warmup as a fraction of the budget (0: none).
    """

    def __init__(self, peak, warmup_steps=0, warmup_fraction=0.0):
        if warmup_steps and warmup_fraction:
            raise ValueError("give warmup_steps or warmup_fraction, not both")
        self.peak = float(peak)
        self.warmup_steps = int(warmup_steps)
        self.warmup_fraction = float(warmup_fraction)
        self.progress = tf.Variable(0.0, trainable=False, dtype=tf.float32, name="progress")

    def __call__(self, step):
        progress = tf.convert_to_tensor(self.progress)
        warm = tf.constant(1.0)
        if self.warmup_steps:
            warm = tf.minimum(1.0, tf.cast(step, tf.float32) / self.warmup_steps)
        elif self.warmup_fraction:
            warm = tf.minimum(1.0, progress / self.warmup_fraction)
        return self.peak * warm * tf.maximum(0.0, 1.0 - progress)

    def get_config(self):
        return {
            "peak": self.peak,
            "warmup_steps": self.warmup_steps,
            "warmup_fraction": self.warmup_fraction,
        }
