"""Model Garden's `official.nlp.optimization` API on our optimizer (tf-keras, Keras 2).

A Model Garden project changes one import line:

    # from official.nlp import optimization
    from tf_ner.optimization import model_garden as optimization
    optimizer = optimization.create_optimizer(2e-5, num_train_steps, num_warmup_steps)

`AdamWeightDecay`, `WarmUp` and `create_optimizer` take Model Garden's parameters, in
its order, with its defaults (tf-models-official 2.20); ours (bias correction,
layer-wise decay, pre-trained weight decay, ...) are keyword-only after them. Model
Garden's `AdamWeightDecay` subclasses Keras Adam, so it is bias-corrected already: with
no extras ours follows it step for step. Two differences: `optimizer_type="lamb"` is
not provided, and under several replicas `gradient_clip_norm` clips the summed gradient
(Model Garden clips each replica's before summing).

Import it in a tf-keras process (`TF_USE_LEGACY_KERAS=1`), like `legacy`.
"""

import tensorflow as tf
import tf_keras

from tf_ner.optimization import hyperparameters, legacy, schedule_math

_register = tf_keras.saving.register_keras_serializable(package="tf_ner_model_garden")


@_register
class AdamWeightDecay(legacy.AdamWeightDecay):
    """Model Garden's `AdamWeightDecay` signature on `tf_ner.optimization.legacy.AdamWeightDecay`.

    The update is `legacy.AdamWeightDecay`'s (bias-corrected Adam plus decoupled decay
    `lr * wd * param`, as Model Garden's); gradients are first clipped to the global
    norm `gradient_clip_norm` (OptimizerV2's `global_clipnorm`).

    Args:
        learning_rate: float >= 0 or a tf-keras schedule.
        beta_1, beta_2: floats in [0, 1).
        epsilon: float >= 0 (Model Garden's default 1e-7).
        amsgrad: must be False (AMSGrad is not implemented).
        weight_decay_rate: float >= 0.
        include_in_weight_decay: regexes; a matching variable decays even if excluded.
        exclude_from_weight_decay: regexes; None excludes nothing (Model Garden's meaning).
        gradient_clip_norm: float >= 0; 0 disables clipping.
        name: optimizer name.
        bias_correction, layerwise_lr_decay, num_layers, lr_multipliers,
            pretrained_weight_decay, layer_pattern, embedding_pattern: keyword-only,
            see `legacy.AdamWeightDecay`.
        **kwargs: OptimizerV2 arguments (`clipnorm`, `clipvalue`, `decay`).

    Example:
        >>> from tf_ner.optimization.model_garden import AdamWeightDecay
        >>> optimizer = AdamWeightDecay(2e-5, weight_decay_rate=0.01,
        ...                             exclude_from_weight_decay=["LayerNorm", "bias"],
        ...                             layerwise_lr_decay=0.9)
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        weight_decay_rate=0.0,
        include_in_weight_decay=None,
        exclude_from_weight_decay=None,
        gradient_clip_norm=1.0,
        name="AdamWeightDecay",
        *,
        bias_correction=True,
        layerwise_lr_decay=None,
        num_layers=None,
        lr_multipliers=None,
        pretrained_weight_decay=False,
        layer_pattern=None,
        embedding_pattern=None,
        **kwargs,
    ):
        gradient_clip_norm = hyperparameters.check_non_negative(
            "gradient_clip_norm", gradient_clip_norm
        )
        if gradient_clip_norm and kwargs.get("global_clipnorm") is not None:
            raise ValueError(
                "Pass one of `gradient_clip_norm` (Model Garden's) and `global_clipnorm`, "
                f"not both. Received: gradient_clip_norm={gradient_clip_norm}, "
                f"global_clipnorm={kwargs['global_clipnorm']}"
            )
        if gradient_clip_norm:
            kwargs["global_clipnorm"] = gradient_clip_norm
        super().__init__(
            learning_rate,
            weight_decay_rate=weight_decay_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            exclude_from_weight_decay=(
                () if exclude_from_weight_decay is None else exclude_from_weight_decay
            ),
            bias_correction=bias_correction,
            layerwise_lr_decay=layerwise_lr_decay,
            num_layers=num_layers,
            lr_multipliers=lr_multipliers,
            pretrained_weight_decay=pretrained_weight_decay,
            layer_pattern=layer_pattern,
            embedding_pattern=embedding_pattern,
            name=name,
            include_in_weight_decay=include_in_weight_decay,
            amsgrad=amsgrad,
            **kwargs,
        )
        self.gradient_clip_norm = gradient_clip_norm

    def get_config(self):
        config = super().get_config()
        if self.gradient_clip_norm:
            del config["global_clipnorm"]
        config.update({"gradient_clip_norm": self.gradient_clip_norm, "amsgrad": False})
        return config


@_register
class WarmUp(tf_keras.optimizers.schedules.LearningRateSchedule):
    """Model Garden's `WarmUp`: `init * (step / warmup_steps)**power`, then `decay_schedule_fn`.

    Args:
        initial_learning_rate: float >= 0, the rate reached at the end of warmup.
        decay_schedule_fn: the schedule (a callable of the step) used from
            `warmup_steps` on, called with the global step (not the step after warmup).
        warmup_steps: int >= 0.
        power: float >= 0, the warmup's polynomial power.
        name: optional name.

    Example:
        >>> import tf_keras
        >>> decay = tf_keras.optimizers.schedules.PolynomialDecay(1e-4, 1000, 0.0)
        >>> schedule = WarmUp(1e-4, decay, warmup_steps=100)
    """

    def __init__(
        self, initial_learning_rate, decay_schedule_fn, warmup_steps, power=1.0, name=None
    ):
        super().__init__()
        self.initial_learning_rate = schedule_math.check_rate(
            "initial_learning_rate", initial_learning_rate
        )
        self.decay_schedule_fn = decay_schedule_fn
        self.warmup_steps = schedule_math.check_steps("warmup_steps", warmup_steps, 0)
        self.power = hyperparameters.check_non_negative("power", power)
        self.name = name

    def __call__(self, step):
        with tf.name_scope(self.name or "WarmUp"):
            init = tf.constant(self.initial_learning_rate, dtype=tf.float32)
            return schedule_math.warmup(
                step, self.decay_schedule_fn(step), self.warmup_steps, init, self.power
            )

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_schedule_fn": tf_keras.optimizers.schedules.serialize(self.decay_schedule_fn),
            "warmup_steps": self.warmup_steps,
            "power": self.power,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["decay_schedule_fn"] = tf_keras.optimizers.schedules.deserialize(
            config["decay_schedule_fn"]
        )
        return cls(**config)


def create_optimizer(
    init_lr,
    num_train_steps,
    num_warmup_steps,
    end_lr=0.0,
    optimizer_type="adamw",
    beta_1=0.9,
    poly_power=1.0,
    **kwargs,
):
    """Model Garden's `create_optimizer`: warmup, polynomial decay, `AdamWeightDecay`.

    As Model Garden: linear warmup over `num_warmup_steps` to `init_lr`, polynomial
    decay (power `poly_power`) from step 0 to `end_lr` at `num_train_steps`, weight decay
    0.01 except LayerNorm and biases, `beta_2=0.999`, `epsilon=1e-6`, gradients clipped
    to global norm 1.

    Args:
        init_lr: float >= 0, the peak learning rate.
        num_train_steps: int >= 1.
        num_warmup_steps: int >= 0 (0 or None: no warmup).
        end_lr: float >= 0.
        optimizer_type: "adamw" (Model Garden's "lamb" is not provided).
        beta_1: float in [0, 1).
        poly_power: float >= 0.
        **kwargs: keyword arguments of `AdamWeightDecay`, e.g. `bias_correction`,
            `layerwise_lr_decay`, or `weight_decay_rate` in place of 0.01.

    Returns:
        `AdamWeightDecay`.
    """
    if optimizer_type != "adamw":
        raise ValueError(
            "Argument `optimizer_type` must be 'adamw': tf_ner provides AdamWeightDecay "
            f"only. Received: optimizer_type={optimizer_type!r}"
        )
    schedule = legacy.WarmupPolynomialDecay(
        init_lr,
        decay_steps=num_train_steps,
        warmup_steps=num_warmup_steps or 0,
        end_learning_rate=end_lr,
        power=poly_power,
    )
    options = {
        "weight_decay_rate": 0.01,
        "beta_2": 0.999,
        "epsilon": 1e-6,
        "exclude_from_weight_decay": list(hyperparameters.DEFAULT_EXCLUDE_FROM_WEIGHT_DECAY),
        **kwargs,
    }
    return AdamWeightDecay(learning_rate=schedule, beta_1=beta_1, **options)
