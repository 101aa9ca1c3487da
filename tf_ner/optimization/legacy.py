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
in bert4keras). Layer-wise decay finds bert4keras's `Transformer-N-` / `Embedding-`
names (and Google's, keras-hub's, Hugging Face's) by itself; for bert4keras pass
`exclude_from_weight_decay=["Norm", "bias"]`, its LayerNorms being `...-Norm`.
"""

import tensorflow as tf
import tf_keras
from tf_keras.api._v2.keras import backend as keras_backend
from tf_keras.src.optimizers.legacy.optimizer_v2 import _var_key

from tf_ner.optimization import hyperparameters, schedule_math, update_rule
from tf_ner.optimization.variable_rules import VariableRules

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
class AdamWeightDecay(tf_keras.optimizers.legacy.Optimizer):
    """AdamWeightDecay for tf-keras (Keras 2); see `tf_ner.optimization.AdamWeightDecay`.

    The update, per variable:

        param = param - lr_var * (c_t * m_t / (sqrt(v_t) + epsilon) + wd * (param - param_0))

    with Adam moments `m_t`, `v_t`, `c_t = sqrt(1 - beta_2**t) / (1 - beta_1**t)` and
    `t = iterations + 1` when `bias_correction` (else 1), `lr_var` the rate of
    `_decayed_lr` times the variable's scale, `wd` 0 for excluded variables and
    `param_0` 0 or the value when the slots were created.

    It is an OptimizerV2 (`tf_keras.optimizers.legacy.Optimizer`), the class Keras-2
    code extends: slots `m`, `v` (and `pretrained`) from `_create_slots`, the rate from
    `_decayed_lr` and the `learning_rate` hyperparameter (`_set_hyper`), the step in
    `_resource_apply_dense`, and every assignment through `keras.backend.update`, looked
    up at each call as Keras-2 optimizers do. So bert4keras's `extend_with_*_v2`
    wrappers, which override those methods or replace `K.update` around the step,
    compose with it. A sparse gradient takes the dense step (every row's moments decay
    anyway), through `self._resource_apply_dense`, once.

    `beta_1`, `beta_2` and `epsilon` are plain floats (not hyperparameter variables),
    so the update rounds its constants exactly as Google's does. tf-keras's `.keras`
    files keep no OptimizerV2 state: resume from a `tf.train.Checkpoint`,
    `model.save_weights` or an `.h5` file.

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
        num_layers: None (infer from the variables) or int.
        lr_multipliers: `{regex: factor}`, first match wins.
        pretrained_weight_decay: bool, decay towards the value when the slots were made.
        layer_pattern, embedding_pattern: None to detect the layer naming, or regexes.
        name: optimizer name.
        include_in_weight_decay: regexes; a match decays even if an exclusion matches.
        **kwargs: OptimizerV2 arguments (`clipnorm`, `clipvalue`, `global_clipnorm`,
            `decay`).

    Example:
        >>> from tf_ner.optimization.legacy import AdamWeightDecay
        >>> optimizer = AdamWeightDecay(2e-5, weight_decay_rate=0.01,
        ...                             layerwise_lr_decay=0.9)
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
        layer_pattern=None,
        embedding_pattern=None,
        name="AdamWeightDecay",
        *,
        include_in_weight_decay=None,
        **kwargs,
    ):
        if kwargs.get("weight_decay"):
            raise ValueError(
                "AdamWeightDecay takes `weight_decay_rate`, not `weight_decay`. "
                f"Received: weight_decay={kwargs['weight_decay']!r}"
            )
        kwargs.pop("weight_decay", None)
        if kwargs.pop("amsgrad", False):
            raise ValueError("AdamWeightDecay does not implement AMSGrad. Received: amsgrad=True")
        # Not `self.weight_decay_rate` / `self.exclude_from_weight_decay`: bert4keras's
        # `extend_with_weight_decay_v2` sets attributes of those names for its own decay.
        self.rules = VariableRules(
            weight_decay_rate=weight_decay_rate,
            exclude_from_weight_decay=exclude_from_weight_decay,
            layerwise_lr_decay=layerwise_lr_decay,
            num_layers=num_layers,
            lr_multipliers=lr_multipliers,
            layer_pattern=layer_pattern,
            embedding_pattern=embedding_pattern,
            include_in_weight_decay=include_in_weight_decay,
        )
        super().__init__(name, **kwargs)
        learning_rate = kwargs.get("lr", learning_rate)
        self._set_hyper("learning_rate", hyperparameters.check_learning_rate(learning_rate))
        self._set_hyper("decay", self._initial_decay)
        self.beta_1 = hyperparameters.check_beta("beta_1", beta_1)
        self.beta_2 = hyperparameters.check_beta("beta_2", beta_2)
        self.epsilon = hyperparameters.check_non_negative("epsilon", epsilon)
        self.bias_correction = bool(bias_correction)
        self.pretrained_weight_decay = bool(pretrained_weight_decay)
        self._rule_table = None
        self._rules_by_key = {}
        self._anchors = {}  # {variable key: (variable, anchor slot)}

    def _create_slots(self, var_list):
        # OptimizerV2 calls this at every `apply_gradients`; resolve only new variables.
        if any(_var_key(v) not in self._rules_by_key for v in var_list):
            self._rule_table = self.rules.resolve(
                hyperparameters.variable_path(v) for v in var_list
            )
            self._rules_by_key = {
                _var_key(v): rule for v, rule in zip(var_list, self._rule_table.rules, strict=True)
            }
        for var in var_list:
            self.add_slot(var, "m")
            self.add_slot(var, "v")
            key = _var_key(var)
            if (
                self.pretrained_weight_decay
                and self._rules_by_key[key].decays
                and (key not in self._anchors)
            ):
                # Called under `tf.init_scope()`: the variable's value now.
                anchor = self.add_slot(var, "pretrained", initializer=var.read_value())
                self._anchors[key] = (var, anchor)

    def snapshot_pretrained_weights(self):
        """Sets the pre-trained anchors to the variables' current values (after loading)."""
        for var, anchor in self._anchors.values():
            anchor.assign(var)

    def variable_rules(self):
        """The `VariableRule` of each variable the optimizer was built on, in order."""
        return list(self._built_rule_table().rules)

    def describe_learning_rates(self):
        """A printable table: the layer naming found, every variable's rate and decay."""
        rate = float(keras_backend.get_value(self._decayed_lr(tf.float32)))
        return self._built_rule_table().describe(rate)

    def _built_rule_table(self):
        if self._rule_table is None:
            raise ValueError(
                "The optimizer has no variables yet: call `apply_gradients` (or `fit`) first."
            )
        return self._rule_table

    def _resource_apply_dense(self, grad, var):
        correction = None
        if self.bias_correction:
            correction = update_rule.correction_at_step(
                self.iterations + 1, self.beta_1, self.beta_2, var.dtype.base_dtype
            )
        m = self.get_slot(var, "m")
        v = self.get_slot(var, "v")
        _, anchor = self._anchors.get(_var_key(var), (None, None))
        next_param, next_m, next_v = update_rule.variable_step(
            var,
            grad,
            m,
            v,
            self._decayed_lr(var.dtype.base_dtype),
            self._rules_by_key[_var_key(var)],
            self,
            correction=correction,
            anchor=anchor,
        )
        return tf.group(
            keras_backend.update(m, next_m),
            keras_backend.update(v, next_v),
            keras_backend.update(var, next_param),
        )

    def _resource_apply_sparse(self, grad, var, indices):
        dense = tf.IndexedSlices(grad, indices, tf.shape(var, out_type=indices.dtype))
        return self._resource_apply_dense(tf.convert_to_tensor(dense), var)

    def _resource_apply_sparse_duplicate_indices(self, grad, handle, indices, **kwargs):
        # Ours, not `self._resource_apply_sparse`: a wrapper that overrides both the
        # sparse and the dense method (bert4keras's EMA) would otherwise run twice.
        return AdamWeightDecay._resource_apply_sparse(self, grad, handle, indices)

    def get_config(self):
        config = super().get_config()
        config.update(self.rules.config())
        config.update(
            {
                "learning_rate": self._serialize_hyperparameter("learning_rate"),
                "decay": self._initial_decay,
                "beta_1": self.beta_1,
                "beta_2": self.beta_2,
                "epsilon": self.epsilon,
                "bias_correction": self.bias_correction,
                "pretrained_weight_decay": self.pretrained_weight_decay,
            }
        )
        return config
