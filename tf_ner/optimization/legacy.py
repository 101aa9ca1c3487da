"""Keras 2 front end (the `tf-keras` package) for projects such as bert4keras or Model Garden.

Import this module only in a tf-keras project: it imports `tf_keras` and never Keras 3
(run with `TF_USE_LEGACY_KERAS=1`, and `TF_KERAS=1` for bert4keras, so that `tf.keras`
is tf-keras and `tf_ner.optimization` does not load its Keras 3 classes):

    from tf_ner.optimization.legacy import AdamWeightDecay, WarmupLinearDecay
    optimizer = AdamWeightDecay(WarmupLinearDecay(2e-5, decay_steps=1000, warmup_steps=100),
                                weight_decay_rate=0.01)
    model.compile(optimizer=optimizer, loss=...)

Same options and update as the Keras 3 `tf_ner.optimization.AdamWeightDecay`, and the
same schedules as tf-keras `LearningRateSchedule`s. Patterns match `variable.name`
without `:0`, which in tf-keras is the full scope (`Transformer-0-FeedForward-Norm/gamma`
in bert4keras): pass patterns that fit your model's names (for bert4keras
`exclude_from_weight_decay=["Norm", "bias"]`, `layer_pattern=r"Transformer-(\\d+)-"`,
`embedding_pattern="Embedding-"`).
"""

import tf_keras

from tf_ner.optimization import hyperparameters, schedule_math, update_rule
from tf_ner.optimization.variable_rules import (
    DEFAULT_EMBEDDING_PATTERN,
    DEFAULT_LAYER_PATTERN,
    VariableRules,
    format_rules,
)

_register = tf_keras.saving.register_keras_serializable(package="tf_ner")
_Schedule = tf_keras.optimizers.schedules.LearningRateSchedule


@_register
class WarmupPolynomialDecay(schedule_math.WarmupPolynomialDecayMixin, _Schedule):
    __doc__ = schedule_math.WarmupPolynomialDecayMixin.__doc__


@_register
class WarmupLinearDecay(schedule_math.WarmupLinearDecayMixin, _Schedule):
    __doc__ = schedule_math.WarmupLinearDecayMixin.__doc__


@_register
class WarmupConstant(schedule_math.WarmupConstantMixin, _Schedule):
    __doc__ = schedule_math.WarmupConstantMixin.__doc__


@_register
class AdamWeightDecay(tf_keras.optimizers.Adam):
    """AdamWeightDecay for tf-keras (Keras 2); see `tf_ner.optimization.AdamWeightDecay`.

    The update, per variable:

        param = param - lr_var * (c_t * m_t / (sqrt(v_t) + epsilon) + wd * (param - param_0))

    with Adam moments `m_t`, `v_t`, `c_t = sqrt(1 - beta_2**t) / (1 - beta_1**t)` when
    `bias_correction` (else 1), `lr_var` the scheduled rate times the variable's scale,
    `wd` 0 for excluded variables and `param_0` 0 or the build-time value.

    Args:
        learning_rate: float >= 0, or a tf-keras schedule (e.g. this module's
            `WarmupLinearDecay`).
        weight_decay_rate: float >= 0.
        beta_1, beta_2: floats in [0, 1).
        epsilon: float >= 0, added to `sqrt(v_t)`.
        exclude_from_weight_decay: regexes searched in variable names; None means
            `("LayerNorm", "layer_norm", "bias")`.
        bias_correction: bool.
        layerwise_lr_decay: None or float in (0, 1]; see `tf_ner.optimization.variable_rules`.
        num_layers: None (infer at build time) or int.
        lr_multipliers: `{regex: factor}`, first match wins.
        pretrained_weight_decay: bool, decay towards the value at build time.
        layer_pattern, embedding_pattern: regexes locating layers and embeddings.
        name: optimizer name.
        **kwargs: tf-keras optimizer arguments (`clipnorm`, `global_clipnorm`, `use_ema`,
            `jit_compile`, ...).
    """

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay_rate=0.0,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-6,
        exclude_from_weight_decay=None,
        bias_correction=True,
        layerwise_lr_decay=None,
        num_layers=None,
        lr_multipliers=None,
        pretrained_weight_decay=False,
        layer_pattern=DEFAULT_LAYER_PATTERN,
        embedding_pattern=DEFAULT_EMBEDDING_PATTERN,
        name="AdamWeightDecay",
        **kwargs,
    ):
        if kwargs.get("weight_decay"):
            raise ValueError(
                "AdamWeightDecay takes `weight_decay_rate`, not `weight_decay`. "
                f"Received: weight_decay={kwargs['weight_decay']!r}"
            )
        kwargs.pop("weight_decay", None)
        if kwargs.pop("amsgrad", False) or kwargs.pop("adaptive_epsilon", False):
            raise ValueError("AdamWeightDecay implements neither AMSGrad nor adaptive epsilon.")
        rules = VariableRules(
            weight_decay_rate=weight_decay_rate,
            exclude_from_weight_decay=exclude_from_weight_decay,
            layerwise_lr_decay=layerwise_lr_decay,
            num_layers=num_layers,
            lr_multipliers=lr_multipliers,
            layer_pattern=layer_pattern,
            embedding_pattern=embedding_pattern,
        )
        super().__init__(
            learning_rate=hyperparameters.check_learning_rate(learning_rate),
            beta_1=hyperparameters.check_beta("beta_1", beta_1),
            beta_2=hyperparameters.check_beta("beta_2", beta_2),
            epsilon=hyperparameters.check_non_negative("epsilon", epsilon),
            weight_decay=None,
            name=name,
            **kwargs,
        )
        self.rules = rules
        self.weight_decay_rate = rules.weight_decay_rate
        self.bias_correction = bool(bias_correction)
        self.pretrained_weight_decay = bool(pretrained_weight_decay)

    def build(self, var_list):
        """Creates moments (and anchors) and fixes each variable's rule."""
        if getattr(self, "_built", False):
            return
        super().build(var_list)
        rules = self.rules.resolve(hyperparameters.variable_path(v) for v in var_list)
        anchors = []
        for variable, rule in zip(var_list, rules, strict=True):
            if self.pretrained_weight_decay and rule.decays:
                # Tracked through `self._variables`, so checkpoints hold it.
                anchors.append(
                    self.add_variable_from_reference(variable, "pretrained", initial_value=variable)
                )
            else:
                anchors.append(None)
        # Plain lists, not checkpoint dependencies (the model owns its variables).
        self._variable_rules = self._no_dependency(rules)
        self._anchors = self._no_dependency(anchors)
        self._built_variables = self._no_dependency(list(var_list))

    def snapshot_pretrained_weights(self):
        """Sets the pre-trained anchors to the variables' current values (after loading)."""
        for variable, anchor in zip(self._built_variables, self._anchors, strict=True):
            if anchor is not None:
                anchor.assign(variable)

    def variable_rules(self):
        """The `VariableRule` of each variable the optimizer was built on, in order."""
        return list(self._variable_rules)

    def describe_learning_rates(self):
        """A printable table of every variable's effective learning rate and decay."""
        return format_rules(self._variable_rules, float(self.learning_rate))

    def update_step(self, gradient, variable):
        index = self._index_dict[self._var_key(variable)]
        correction = None
        if self.bias_correction:
            correction = update_rule.correction_at_step(
                self.iterations + 1, self.beta_1, self.beta_2, variable.dtype
            )
        next_param, next_m, next_v = update_rule.variable_step(
            variable,
            gradient,
            self._momentums[index],
            self._velocities[index],
            self.learning_rate,
            self._variable_rules[index],
            self,
            correction=correction,
            anchor=self._anchors[index],
        )
        self._momentums[index].assign(next_m)
        self._velocities[index].assign(next_v)
        variable.assign(next_param)

    def get_config(self):
        config = super().get_config()
        for key in ("weight_decay", "amsgrad", "adaptive_epsilon"):
            config.pop(key, None)
        config.update(self.rules.config())
        config.update(
            {
                "bias_correction": self.bias_correction,
                "pretrained_weight_decay": self.pretrained_weight_decay,
            }
        )
        return config
