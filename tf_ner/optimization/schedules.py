"""Keras 3 learning-rate schedules: linear warmup, then polynomial / linear decay or constant.

Written with `tf` ops (see `schedule_math`), so a schedule object also builds a TF1
graph's rate from `global_step`. The tf-keras versions live in `legacy`.
"""

import keras

from tf_ner.optimization import schedule_math

_Base = keras.optimizers.schedules.LearningRateSchedule


@keras.saving.register_keras_serializable(package="tf_ner")
class WarmupPolynomialDecay(schedule_math.WarmupPolynomialDecayMixin, _Base):
    __doc__ = (
        schedule_math.WarmupPolynomialDecayMixin.__doc__
        + """
    Example:
        >>> schedule = WarmupPolynomialDecay(2e-5, decay_steps=1000, warmup_steps=100)
        >>> round(float(schedule(50)), 12)  # halfway through warmup
        1e-05
    """
    )


@keras.saving.register_keras_serializable(package="tf_ner")
class WarmupLinearDecay(schedule_math.WarmupLinearDecayMixin, _Base):
    __doc__ = schedule_math.WarmupLinearDecayMixin.__doc__


@keras.saving.register_keras_serializable(package="tf_ner")
class WarmupConstant(schedule_math.WarmupConstantMixin, _Base):
    __doc__ = schedule_math.WarmupConstantMixin.__doc__
