"""Warmup schedules as framework-free mixins: `tf` math, checks and config, no Keras import.

`schedules` (Keras 3) and `legacy` (tf-keras) each combine these with their Keras's
`LearningRateSchedule`, and `tf1.create_optimizer` calls them on the global step, so a
TF1 graph or a tf-keras process never imports Keras 3.

Step 0 is the first optimizer step (Keras `optimizer.iterations`, TF1 `global_step`
before its increment), so with warmup the first step's rate is 0, exactly as in Google
BERT's `create_optimizer`.
"""

import numbers

import tensorflow as tf

from tf_ner.ground.errors import SettingsError
from tf_ner.optimization import hyperparameters


def check_steps(name, value, minimum):
    """Returns `value` as int after checking it is an int >= `minimum`."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise SettingsError(
            f"Argument `{name}` must be an int >= {minimum}. Received: {name}={value!r}"
        )
    return int(value)


def check_rate(name, value):
    """Returns `value` as float after checking it is a number >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
        raise SettingsError(f"Argument `{name}` must be a number >= 0. Received: {name}={value!r}")
    return float(value)


def warmup(step, rate, warmup_steps, warmup_rate_at_end, power=1.0):
    """`rate` from `warmup_steps` on; before, `warmup_rate_at_end * (step / warmup_steps)**power`.

    Args:
        step: integer scalar tensor or number, 0-based.
        rate: float32 scalar, the rate after warmup.
        warmup_steps: Python int (0: no warmup).
        warmup_rate_at_end: float32 scalar reached at the end of warmup.
        power: Python float, the warmup's polynomial power (1: linear, Google's).
    """
    if not warmup_steps:
        return rate
    # Google compares int32 steps and divides float32 steps; same ops here.
    step_int = tf.cast(step, tf.int32)
    warmup_int = tf.constant(warmup_steps, dtype=tf.int32)
    done = tf.cast(step_int, tf.float32) / tf.cast(warmup_int, tf.float32)
    if power != 1.0:
        done = tf.pow(done, power)
    return tf.where(step_int < warmup_int, warmup_rate_at_end * done, rate)


class WarmupPolynomialDecayMixin:
    """Linear warmup to `initial_learning_rate`, then Google's polynomial decay.

    At step `s` (0-based):
    `decayed = (init - end) * (1 - min(s, decay_steps) / decay_steps) ** power + end`;
    for `s < warmup_steps` the rate is `init * s / warmup_steps` instead. As in Google's
    `create_optimizer`, the decay is measured from step 0, not from the end of warmup.

    Args:
        initial_learning_rate: float >= 0, the peak rate.
        decay_steps: int >= 1, the step at which the rate reaches `end_learning_rate`
            (Google's `num_train_steps`).
        warmup_steps: int >= 0, Google's `num_warmup_steps`.
        end_learning_rate: float >= 0.
        power: float >= 0; 1 is linear decay.
        name: optional name.
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        warmup_steps=0,
        end_learning_rate=0.0,
        power=1.0,
        name=None,
    ):
        super().__init__()
        self.initial_learning_rate = check_rate("initial_learning_rate", initial_learning_rate)
        self.decay_steps = check_steps("decay_steps", decay_steps, 1)
        self.warmup_steps = check_steps("warmup_steps", warmup_steps, 0)
        self.end_learning_rate = check_rate("end_learning_rate", end_learning_rate)
        self.power = hyperparameters.check_non_negative("power", power)
        self.name = name

    def __call__(self, step):
        with tf.name_scope(self.name or "WarmupPolynomialDecay"):
            # Google's tf.train.polynomial_decay(cycle=False), op for op.
            init = tf.constant(self.initial_learning_rate, dtype=tf.float32)
            end = tf.constant(self.end_learning_rate, dtype=tf.float32)
            step_f = tf.cast(step, tf.float32)
            decay_steps = tf.constant(self.decay_steps, dtype=tf.float32)
            fraction = tf.minimum(step_f, decay_steps) / decay_steps
            rate = (init - end) * tf.pow(1.0 - fraction, self.power) + end
            return warmup(step, rate, self.warmup_steps, init)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "warmup_steps": self.warmup_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "name": self.name,
        }


class WarmupLinearDecayMixin(WarmupPolynomialDecayMixin):
    """Linear warmup, then linear decay to `end_learning_rate` at `decay_steps`.

    The polynomial schedule with `power=1` (Google BERT's default).

    Args:
        initial_learning_rate: float >= 0, the peak rate.
        decay_steps: int >= 1, total training steps.
        warmup_steps: int >= 0.
        end_learning_rate: float >= 0.
        name: optional name.
    """

    def __init__(
        self, initial_learning_rate, decay_steps, warmup_steps=0, end_learning_rate=0.0, name=None
    ):
        super().__init__(
            initial_learning_rate,
            decay_steps,
            warmup_steps=warmup_steps,
            end_learning_rate=end_learning_rate,
            power=1.0,
            name=name,
        )

    def get_config(self):
        config = super().get_config()
        del config["power"]
        return config


class WarmupConstantMixin:
    """Linear warmup to `learning_rate` over `warmup_steps`, then constant.

    Args:
        learning_rate: float >= 0.
        warmup_steps: int >= 0; 0 means constant from the first step.
        name: optional name.
    """

    def __init__(self, learning_rate, warmup_steps=0, name=None):
        super().__init__()
        self.learning_rate = check_rate("learning_rate", learning_rate)
        self.warmup_steps = check_steps("warmup_steps", warmup_steps, 0)
        self.name = name

    def __call__(self, step):
        with tf.name_scope(self.name or "WarmupConstant"):
            rate = tf.constant(self.learning_rate, dtype=tf.float32)
            return warmup(step, rate, self.warmup_steps, rate)

    def get_config(self):
        return {
            "learning_rate": self.learning_rate,
            "warmup_steps": self.warmup_steps,
            "name": self.name,
        }
