"""Keras 3 front end: `AdamWeightDecay`, a `keras.optimizers.Adam` with our update rule."""

import dataclasses
import functools

import keras
import tensorflow as tf

from tf_ner.optimization import hyperparameters, update_rule
from tf_ner.optimization.variable_rules import VariableRules


@keras.saving.register_keras_serializable(package="tf_ner")
class AdamWeightDecay(keras.optimizers.Adam):
    """Adam with decoupled weight decay, optional bias correction and per-variable rates.

    The update, per variable (see `tf_ner.optimization.update_rule`):

        m_t   = beta_1 * m + (1 - beta_1) * g
        v_t   = beta_2 * v + (1 - beta_2) * g**2
        param = param - lr_var * (c_t * m_t / (sqrt(v_t) + epsilon) + wd * (param - param_0))

    `c_t = sqrt(1 - beta_2**t) / (1 - beta_1**t)` with `t = iterations + 1` when
    `bias_correction`, else 1 (Google BERT's formula). `lr_var` is the scheduled learning
    rate times the variable's scale (layer-wise decay x multiplier); the decay term uses
    `lr_var` too but never `c_t`. `wd` is `weight_decay_rate`, or 0 for a variable whose
    **path** (`variable.path`, e.g. `bert/encoder/layer_0/output/LayerNorm/gamma`, not
    the short `variable.name`) matches an exclusion pattern. `param_0` is 0, or with
    `pretrained_weight_decay` the value captured when the optimizer was built.

    It reuses `keras.optimizers.Adam` for the moments, the Keras optimizer for
    iterations, schedules, clipping, loss scaling, gradient accumulation, EMA and
    `tf.distribute`; only the per-variable step is ours. Keras's own `weight_decay`
    (matched against short names, applied before the step) is not used: pass
    `weight_decay_rate`.

    Gradient accumulation (`gradient_accumulation_steps=N`): each update applies the
    mean gradient of N batches (clipped after averaging), and counts as one step for
    bias correction and for a learning-rate schedule (Keras's own optimizers evaluate a
    schedule at the batch count instead); so N x K batches follow K steps of the
    schedule, each with its mean gradient.

    Pre-trained weight decay: the anchors `param_0` are optimizer variables (saved with
    the optimizer, so a resumed run keeps them) initialised in `build` to the variables'
    values at that moment. `model.compile` does not build the optimizer, `model.fit`
    does before its first step (under the default strategy, while tracing that step: the
    anchors are initialisers, so they still take the values of then); so load the
    checkpoint before the first `fit` (or before an explicit
    `optimizer.build(model.trainable_variables)`), or call `snapshot_pretrained_weights()`
    after loading. Anchors exist only for variables that decay.

    Args:
        learning_rate: float >= 0, a `LearningRateSchedule` (e.g. `WarmupLinearDecay`)
            or a callable.
        weight_decay_rate: float >= 0 (0 disables decay).
        beta_1: float in [0, 1).
        beta_2: float in [0, 1).
        epsilon: float >= 0, added to `sqrt(v_t)` (Google's default 1e-6).
        exclude_from_weight_decay: regexes searched in variable paths; None means
            `("LayerNorm", "layer_norm", "bias")`, `()` decays everything.
        bias_correction: bool.
        layerwise_lr_decay: None, or a float in (0, 1]: encoder layer `l` of `L` gets
            `lr * decay**(L - l)`, embeddings `lr * decay**(L + 1)`, anything else `lr`.
        num_layers: `L`; None infers it at build time as 1 + the largest layer index
            among the variables the optimizer is built on.
        lr_multipliers: `{regex: factor}` multiplying the learning rate of variables
            whose path matches (first match wins), e.g. `{"crf": 100.0}`.
        pretrained_weight_decay: bool, decay towards the build-time value instead of 0.
        layer_pattern: None to detect the model's layer naming (Google's
            `bert/encoder/layer_N/`, bert4keras's `Transformer-N-`, keras-hub's
            `transformer_layer_N/`, Hugging Face's `layer_._N/`; see `layer_naming`),
            or a regex with a group capturing the layer index in a path.
        embedding_pattern: None to take the detected convention's, or a regex
            matching embedding variable paths.
        name: optimizer name.
        include_in_weight_decay: regexes; a matching variable decays even if an
            exclusion matches it.
        compile_update: bool, run the per-variable steps as one XLA-compiled function
            (traced once per list of variables): the same numbers to float32 rounding,
            several times faster on CPU (`benchmarks/optimizer_step.py`). Under a
            strategy of several replicas the steps run uncompiled, each in
            `strategy.extended.update` as Keras runs them.
        **kwargs: the Keras optimizer arguments (`clipnorm`, `global_clipnorm`,
            `use_ema`, `loss_scale_factor`, `gradient_accumulation_steps`, ...).

    Example:
        >>> import keras
        >>> from tf_ner.optimization import AdamWeightDecay, WarmupLinearDecay
        >>> optimizer = AdamWeightDecay(
        ...     WarmupLinearDecay(2e-5, decay_steps=1000, warmup_steps=100),
        ...     weight_decay_rate=0.01, layerwise_lr_decay=0.9)
        >>> model = keras.Sequential([keras.layers.Dense(2)])
        >>> model.compile(optimizer=optimizer, loss="mse")

    References:
        - Loshchilov and Hutter, "Decoupled Weight Decay Regularization", 2019.
        - Zhang et al., "Revisiting Few-sample BERT Fine-tuning", 2021 (bias correction,
          re-initialisation, layer-wise decay).
        - Clark et al., "ELECTRA", 2020 (layer-wise learning-rate decay).
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
        name=None,
        *,
        include_in_weight_decay=None,
        compile_update=False,
        **kwargs,
    ):
        if kwargs.get("weight_decay") is not None:
            raise ValueError(
                "AdamWeightDecay takes `weight_decay_rate` (decoupled, matched on variable "
                "paths), not Keras's `weight_decay`. "
                f"Received: weight_decay={kwargs['weight_decay']!r}"
            )
        kwargs.pop("weight_decay", None)
        if kwargs.pop("amsgrad", False):
            raise ValueError("AdamWeightDecay does not implement AMSGrad. Received: amsgrad=True")
        rules = VariableRules(
            weight_decay_rate=weight_decay_rate,
            exclude_from_weight_decay=exclude_from_weight_decay,
            layerwise_lr_decay=layerwise_lr_decay,
            num_layers=num_layers,
            lr_multipliers=lr_multipliers,
            layer_pattern=layer_pattern,
            embedding_pattern=embedding_pattern,
            include_in_weight_decay=include_in_weight_decay,
        )
        super().__init__(
            learning_rate=hyperparameters.check_learning_rate(learning_rate),
            beta_1=hyperparameters.check_beta("beta_1", beta_1),
            beta_2=hyperparameters.check_beta("beta_2", beta_2),
            epsilon=hyperparameters.check_non_negative("epsilon", epsilon),
            amsgrad=False,
            weight_decay=None,
            name=name,
            **kwargs,
        )
        self.rules = rules
        self.weight_decay_rate = rules.weight_decay_rate
        self.bias_correction = bool(bias_correction)
        self.pretrained_weight_decay = bool(pretrained_weight_decay)
        self.compile_update = bool(compile_update)
        self._compiled_updates = {}
        self._excluded_ids = set()
        self._variable_rules = []

    # Keras's base class has a method of this name; ours adds to the path patterns.
    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Excludes variables (by object) or path patterns (regexes); call before `build`."""
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` must be called before `build`.")
        if var_list:
            self._excluded_ids.update(self._var_key(v) for v in var_list)
        if var_names:
            self.rules = VariableRules(
                **{
                    **self.rules.config(),
                    "exclude_from_weight_decay": [
                        *self.rules.exclude_from_weight_decay,
                        *hyperparameters.normalise_exclusions(var_names),
                    ],
                }
            )

    def build(self, var_list):
        """Creates the moments (and anchors) and fixes each variable's rule."""
        if self.built:
            return
        super().build(var_list)
        table = self.rules.resolve(hyperparameters.variable_path(v) for v in var_list)
        self._rule_table = dataclasses.replace(
            table,
            rules=tuple(
                rule
                if self._var_key(v) not in self._excluded_ids
                else dataclasses.replace(rule, weight_decay_rate=0.0)
                for v, rule in zip(var_list, table.rules, strict=True)
            ),
        )
        self._variable_rules = list(self._rule_table.rules)
        self._anchors = []
        if self.pretrained_weight_decay:
            for variable, rule in zip(var_list, self._variable_rules, strict=True):
                if not rule.decays:
                    self._anchors.append(None)
                    continue
                anchor = self.add_variable_from_reference(
                    variable, name="pretrained", initializer=_value_of(variable)
                )
                self._anchors.append(anchor)

    def snapshot_pretrained_weights(self):
        """Sets the pre-trained anchors to the variables' current values (after loading)."""
        self._check_built()
        if not self.pretrained_weight_decay:
            return
        for variable, anchor in zip(self._trainable_variables, self._anchors, strict=True):
            if anchor is not None:
                anchor.assign(variable)

    def pretrained_weights(self):
        """`{path: anchor}`: the value each decaying variable decays towards (with
        `pretrained_weight_decay`; else `{}`), as optimizer variables."""
        self._check_built()
        if not self.pretrained_weight_decay:
            return {}
        return {
            rule.path: anchor
            for rule, anchor in zip(self._variable_rules, self._anchors, strict=True)
            if anchor is not None
        }

    def variable_rules(self):
        """The `VariableRule` of each variable the optimizer was built on, in order."""
        return list(self._variable_rules)

    def effective_learning_rates(self):
        """`{path: learning rate}` at the current iteration, after per-variable scaling."""
        rate = float(keras.ops.convert_to_numpy(self.learning_rate))
        return {rule.path: rate * rule.lr_scale for rule in self._variable_rules}

    def describe_learning_rates(self):
        """A printable table: the layer naming found, every variable's rate and decay."""
        self._check_built()
        rate = float(keras.ops.convert_to_numpy(self.learning_rate))
        return self._rule_table.describe(rate)

    def _check_built(self):
        if not self.built:
            raise ValueError(
                "Build the optimizer first: optimizer.build(model.trainable_variables) "
                "(`fit` builds it at its start)."
            )

    def _get_current_learning_rate(self):
        # Under gradient accumulation Keras evaluates a schedule at the count of
        # batches; ours at the optimizer step, the count bias correction uses too, so
        # that N accumulated batches make one step of the schedule (a run of K x N
        # batches follows the schedule of N steps on their mean gradients).
        schedule = keras.optimizers.schedules.LearningRateSchedule
        if self.gradient_accumulation_steps and isinstance(self._learning_rate, schedule):
            return self._learning_rate(self.iterations)
        return super()._get_current_learning_rate()

    def update_step(self, gradient, variable, learning_rate):
        index = self._get_variable_index(variable)
        correction = None
        if self.bias_correction:
            correction = update_rule.correction_at_step(
                self.iterations + 1, self.beta_1, self.beta_2, variable.dtype
            )
        anchor = self._anchors[index] if self.pretrained_weight_decay else None
        m = self._momentums[index]
        v = self._velocities[index]
        next_param, next_m, next_v = update_rule.variable_step(
            variable,
            gradient,
            m,
            v,
            learning_rate,
            self._variable_rules[index],
            self,
            correction=correction,
            anchor=anchor,
        )
        self.assign(m, next_m)
        self.assign(v, next_v)
        self.assign(variable, next_param)

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        # The per-variable steps as one XLA cluster (many small element-wise ops fused);
        # under several replicas each variable's update runs in `strategy.extended.update`
        # as Keras does it, uncompiled.
        if not self.compile_update or _replicated():
            return super()._backend_update_step(grads, trainable_variables, learning_rate)
        variables = [v.value if isinstance(v, keras.Variable) else v for v in trainable_variables]
        key = tuple(id(v) for v in variables)
        if key not in self._compiled_updates:
            self._compiled_updates[key] = tf.function(
                functools.partial(self._update_all, variables), jit_compile=True
            )
        grads = [tf.convert_to_tensor(g) for g in grads]
        self._compiled_updates[key](grads, tf.convert_to_tensor(learning_rate))

    def _update_all(self, variables, grads, learning_rate):
        for gradient, variable in zip(grads, variables, strict=True):
            self.update_step(gradient, variable, learning_rate)

    def _clip_after_all_reduce(self):
        """True when `global_clipnorm` must wait for the sum over replicas."""
        if not self.global_clipnorm or not tf.distribute.has_strategy():
            return False
        return tf.distribute.get_strategy().num_replicas_in_sync > 1

    def _clip_gradients(self, grads):
        # Keras clips each replica's gradient before summing them: under several
        # replicas the global norm would be that of a part of the batch. Clip the sum.
        if self._clip_after_all_reduce():
            return grads
        return super()._clip_gradients(grads)

    def _all_reduce_sum_gradients(self, grads_and_vars):
        grads_and_vars = super()._all_reduce_sum_gradients(grads_and_vars)
        if not self._clip_after_all_reduce():
            return grads_and_vars
        grads, variables = zip(*grads_and_vars, strict=True)
        clipped, _ = tf.clip_by_global_norm(list(grads), self.global_clipnorm)
        return list(zip(clipped, variables, strict=True))

    def get_config(self):
        config = super().get_config()
        for key in ("weight_decay", "amsgrad"):
            config.pop(key, None)
        config.update(self.rules.config())
        config.update(
            {
                "bias_correction": self.bias_correction,
                "pretrained_weight_decay": self.pretrained_weight_decay,
                "compile_update": self.compile_update,
            }
        )
        return config


def _replicated():
    """True under a strategy of several replicas."""
    return tf.distribute.has_strategy() and (
        tf.distribute.get_strategy().num_replicas_in_sync > 1
    )


def _value_of(variable):
    """An initializer that gives `variable`'s value at the time the anchor is created.

    Not `anchor.assign(variable)` after creating it: under the default strategy `fit`
    builds the optimizer while tracing its first step, where an assign lands in a trace
    that `tf.function` discards (it traces again once the variables exist), leaving the
    anchors at 0. A variable's initializer is lifted out of the trace and runs once.
    """

    def initializer(shape, dtype=None):
        return tf.cast(tf.identity(variable), dtype or variable.dtype)

    return initializer
