"""TF1 graph front end: `AdamWeightDecayOptimizer` and Google's `create_optimizer`.

Drops into code written for Google BERT's `optimization.py` (`run_classifier.py` and
friends) with one import line changed. The update is `update_rule`'s; with
`bias_correction=False` it is Google's to the last bit. Imports no Keras.
"""

import numpy as np
import tensorflow as tf

from tf_ner.optimization import hyperparameters, schedule_math, update_rule
from tf_ner.optimization.variable_rules import VariableRules


def _initialized_value(variable):
    """The variable's value once its initializer has run (TF1's `initialized_value`).

    In a graph, the initial value while the variable is uninitialised (so the anchor
    and the variable, initialised in one `global_variables_initializer` run, get the
    same draw or checkpoint value), else its value; eagerly, its value.
    """
    if tf.executing_eagerly():
        return variable.read_value()
    return tf.cond(
        tf.compat.v1.is_variable_initialized(variable),
        variable.read_value,
        lambda: tf.convert_to_tensor(variable.initial_value),
    )


class AdamWeightDecayOptimizer(tf.compat.v1.train.Optimizer):
    """Adam with decoupled weight decay and optional bias correction, for TF1 graphs.

    The update, per variable (see `tf_ner.optimization.update_rule`):

        m_t   = beta_1 * m + (1 - beta_1) * g
        v_t   = beta_2 * v + (1 - beta_2) * g**2
        param = param - lr * (c_t * m_t / (sqrt(v_t) + epsilon) + wd * (param - param_0))

    with `c_t = sqrt(1 - beta_2**t) / (1 - beta_1**t)` when `bias_correction` (t from 1)
    and `c_t = 1` otherwise, which with `param_0 = 0` is Google BERT's
    `AdamWeightDecayOptimizer` exactly. `wd` is `weight_decay_rate` for variables whose
    name matches no exclusion pattern, else 0. Epsilon is added to `sqrt(v_t)`; decay uses
    the scheduled `lr`, not `lr * c_t`. `param_0` is 0, or with `pretrained_weight_decay`
    the variable's value when the optimizer created its slots (its initial value, which
    `tf.compat.v1.train.init_from_checkpoint` sets to the checkpoint's), or whatever
    `snapshot_pretrained_weights()` last copied.

    Google's parameters come first, in Google's order, with Google's defaults and
    meanings (so `exclude_from_weight_decay=None` excludes nothing, and a positional
    `name` is the name); every parameter of ours is keyword-only after them.

    State: slots `<variable>/adam_m` and `<variable>/adam_v` (Google's names, so a
    checkpoint of a Google run restores), `<variable>/pretrained` for the anchors, and,
    with bias correction, the non-slot variables `beta1_power` and `beta2_power` (float64
    if any variable is float64, else float32). They are global variables, so
    `tf.compat.v1.train.Saver` saves and restores them and a resumed run continues the
    same trajectory.

    Gradients may be dense tensors or `tf.IndexedSlices` (embedding lookups), for
    resource and reference variables; duplicate indices are summed first, and the
    result equals the dense update (moments decay on every row, as in TF1 Adam).

    Global step: like Google's optimizer, `apply_gradients(grads_and_vars, global_step)`
    accepts `global_step` but does not increment it (Google's `create_optimizer`
    increments it itself); pass `increment_global_step=True` to get the standard
    `tf.compat.v1.train.Optimizer` behaviour instead. Bias correction counts steps with
    its own beta powers, so it is right either way.

    Args:
        learning_rate: float >= 0 or a scalar tensor (e.g. a schedule's output).
        weight_decay_rate: float >= 0, Google's decoupled decay (0 disables it).
        beta_1: float in [0, 1).
        beta_2: float in [0, 1).
        epsilon: float >= 0, added to `sqrt(v_t)`.
        exclude_from_weight_decay: regexes searched in variable names (without `:0`);
            None excludes nothing, as in Google's code (its `create_optimizer` passes
            `["LayerNorm", "layer_norm", "bias"]`, and so does ours).
        name: name of the optimizer's ops and non-slot variables.
        bias_correction: bool, scale the Adam step by `c_t` (keyword-only, default on).
        layerwise_lr_decay: None, or float in (0, 1]: layer `l` of `L` gets
            `lr * decay**(L - l)`, embeddings `decay**(L + 1)` (see `variable_rules`).
        num_layers: `L`; None infers it from the variables passed to `apply_gradients`.
        lr_multipliers: `{regex: factor}` on the learning rate, first match wins.
        pretrained_weight_decay: bool, decay towards `param_0` instead of 0.
        layer_pattern, embedding_pattern: None to detect the model's layer naming
            (Google, bert4keras, keras-hub, Hugging Face), or regexes of your own.
        increment_global_step: bool, see above.
        use_locking: bool, use locks for the update ops.

    Example:
        >>> import tensorflow as tf
        >>> from tf_ner.optimization import AdamWeightDecayOptimizer
        >>> with tf.Graph().as_default():
        ...     w = tf.compat.v1.get_variable("w", initializer=[1.0, 2.0])
        ...     loss = tf.reduce_sum(w * w)
        ...     opt = AdamWeightDecayOptimizer(1e-3, weight_decay_rate=0.01)
        ...     train_op = opt.minimize(loss)

    References:
        - google-research/bert `optimization.py` (the formula without bias correction).
        - Zhang et al., "Revisiting Few-sample BERT Fine-tuning", 2021.
    """

    def __init__(
        self,
        learning_rate,
        weight_decay_rate=0.0,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-6,
        exclude_from_weight_decay=None,
        name="AdamWeightDecayOptimizer",
        *,
        bias_correction=True,
        layerwise_lr_decay=None,
        num_layers=None,
        lr_multipliers=None,
        pretrained_weight_decay=False,
        layer_pattern=None,
        embedding_pattern=None,
        increment_global_step=False,
        use_locking=False,
    ):
        super().__init__(use_locking, name)
        self.learning_rate = hyperparameters.check_learning_rate(learning_rate)
        self.beta_1 = hyperparameters.check_beta("beta_1", beta_1)
        self.beta_2 = hyperparameters.check_beta("beta_2", beta_2)
        self.epsilon = hyperparameters.check_non_negative("epsilon", epsilon)
        self.bias_correction = bool(bias_correction)
        self.pretrained_weight_decay = bool(pretrained_weight_decay)
        self.increment_global_step = bool(increment_global_step)
        self.rules = VariableRules(
            weight_decay_rate=weight_decay_rate,
            exclude_from_weight_decay=(
                () if exclude_from_weight_decay is None else exclude_from_weight_decay
            ),
            layerwise_lr_decay=layerwise_lr_decay,
            num_layers=num_layers,
            lr_multipliers=lr_multipliers,
            layer_pattern=layer_pattern,
            embedding_pattern=embedding_pattern,
        )
        self.weight_decay_rate = self.rules.weight_decay_rate
        self.exclude_from_weight_decay = list(self.rules.exclude_from_weight_decay)
        self._rule_table = None
        self._rules_by_path = {}
        self._anchors = {}  # {path: (variable, anchor slot)}
        self._lr_t = None

    def apply_gradients(self, grads_and_vars, global_step=None, name=None, **kwargs):
        """Applies one step to every `(gradient, variable)` with a gradient.

        Args:
            grads_and_vars: iterable of `(gradient, variable)`; None gradients are skipped.
            global_step: accepted for Google's contract; incremented only when the
                optimizer was built with `increment_global_step=True`.
            name: name of the returned op.

        Returns:
            The training `Operation`.
        """
        grads_and_vars = tuple(grads_and_vars)
        self._rule_table = self.rules.resolve(
            hyperparameters.variable_path(v) for g, v in grads_and_vars if g is not None
        )
        self._rules_by_path = self._rule_table.by_path()
        if not self.increment_global_step:
            global_step = None
        return super().apply_gradients(grads_and_vars, global_step=global_step, name=name, **kwargs)

    def variable_rules(self, var_list):
        """The `VariableRule` (decay rate, lr scale, layer) of each variable, in order."""
        return list(self.rules.resolve(hyperparameters.variable_path(v) for v in var_list).rules)

    def describe_learning_rates(self):
        """The layer naming found and each variable's lr scale and decay, after `apply_gradients`.

        Shows the effective rates too when `learning_rate` is a number.
        """
        if self._rule_table is None:
            raise ValueError("Call `apply_gradients` (or `minimize`) first.")
        rate = self.learning_rate if isinstance(self.learning_rate, float) else None
        return self._rule_table.describe(rate)

    def snapshot_pretrained_weights(self):
        """Copies every variable's current value into its anchor (`pretrained_weight_decay`).

        Returns:
            An `Operation` to run (in graph mode; in eager mode it has run already).
        """
        return tf.group(
            *[anchor.assign(var, read_value=False) for var, anchor in self._anchors.values()]
        )

    # -- tf.compat.v1.train.Optimizer hooks --------------------------------------------

    def _create_slots(self, var_list):
        if self.bias_correction:
            # As TF1 Adam: colocate with the alphabetically first variable so every
            # worker places the beta powers on the same device.
            first_var = min(var_list, key=lambda x: x.name)
            wide = any(v.dtype.base_dtype == tf.float64 for v in var_list)
            dtype = np.float64 if wide else np.float32
            self._create_non_slot_variable(
                initial_value=np.array(self.beta_1, dtype),
                name="beta1_power",
                colocate_with=first_var,
            )
            self._create_non_slot_variable(
                initial_value=np.array(self.beta_2, dtype),
                name="beta2_power",
                colocate_with=first_var,
            )
        for v in var_list:
            self._zeros_slot(v, "m", "adam_m")
            self._zeros_slot(v, "v", "adam_v")
            path = hyperparameters.variable_path(v)
            if self.pretrained_weight_decay and self._rules_by_path[path].decays:
                # The variable's value once initialised (by its initializer, which
                # `init_from_checkpoint` points at the checkpoint), or as restored.
                anchor = self._get_or_make_slot(
                    v, _initialized_value(v), "pretrained", "pretrained"
                )
                self._anchors[path] = (v, anchor)

    def _prepare(self):
        learning_rate = self._call_if_callable(self.learning_rate)
        self._lr_t = tf.convert_to_tensor(learning_rate, name="learning_rate")

    def _beta_powers(self):
        with tf.init_scope():
            graph = None if tf.executing_eagerly() else tf.compat.v1.get_default_graph()
            return (
                self._get_non_slot_variable("beta1_power", graph=graph),
                self._get_non_slot_variable("beta2_power", graph=graph),
            )

    def _step_arguments(self, var):
        """Learning rate, decay rate, bias-correction factor and anchor for `var`."""
        dtype = var.dtype.base_dtype
        rule = self._rules_by_path[hyperparameters.variable_path(var)]
        learning_rate = tf.cast(self._lr_t, dtype)
        if rule.lr_scale != 1.0:
            learning_rate = learning_rate * rule.lr_scale
        correction = None
        if self.bias_correction:
            beta1_power, beta2_power = self._beta_powers()
            correction = tf.cast(
                update_rule.bias_correction_factor(beta1_power, beta2_power), dtype
            )
        anchor = self.get_slot(var, "pretrained")
        if anchor is not None:
            anchor = tf.convert_to_tensor(anchor)
        return learning_rate, rule.weight_decay_rate, correction, anchor

    def _apply_dense(self, grad, var):
        m = self.get_slot(var, "m")
        v = self.get_slot(var, "v")
        learning_rate, decay, correction, anchor = self._step_arguments(var)
        next_param, next_m, next_v = update_rule.adam_weight_decay_step(
            var,
            grad,
            m,
            v,
            learning_rate,
            self.beta_1,
            self.beta_2,
            self.epsilon,
            weight_decay_rate=decay,
            correction=correction,
            anchor=anchor,
        )
        return tf.group(
            var.assign(next_param, use_locking=self._use_locking, read_value=False),
            m.assign(next_m, use_locking=self._use_locking, read_value=False),
            v.assign(next_v, use_locking=self._use_locking, read_value=False),
        )

    def _resource_apply_dense(self, grad, handle):
        return self._apply_dense(grad, handle)

    def _apply_sparse_shared(self, values, var, indices, scatter_add):
        m = self.get_slot(var, "m")
        v = self.get_slot(var, "v")
        learning_rate, decay, correction, anchor = self._step_arguments(var)
        m_increment, v_increment = update_rule.sparse_moment_increments(
            values, self.beta_1, self.beta_2
        )
        m_decayed = m.assign(
            tf.multiply(update_rule.as_dtype(self.beta_1, m.dtype), m),
            use_locking=self._use_locking,
        )
        with tf.control_dependencies([m_decayed]):
            m_t = scatter_add(m, indices, m_increment)
        v_decayed = v.assign(
            tf.multiply(update_rule.as_dtype(self.beta_2, v.dtype), v),
            use_locking=self._use_locking,
        )
        with tf.control_dependencies([v_decayed]):
            v_t = scatter_add(v, indices, v_increment)
        next_param = update_rule.parameter_step(
            tf.convert_to_tensor(var),
            m_t,
            v_t,
            learning_rate,
            self.epsilon,
            weight_decay_rate=decay,
            correction=correction,
            anchor=anchor,
        )
        return tf.group(
            var.assign(next_param, use_locking=self._use_locking, read_value=False), m_t, v_t
        )

    def _apply_sparse(self, grad, var):
        def scatter_add(ref, indices, updates):
            return tf.compat.v1.scatter_add(ref, indices, updates, use_locking=self._use_locking)

        return self._apply_sparse_shared(grad.values, var, grad.indices, scatter_add)

    def _resource_apply_sparse(self, grad, handle, indices):
        def scatter_add(variable, indices, updates):
            with tf.control_dependencies(
                [variable.scatter_add(tf.IndexedSlices(updates, indices))]
            ):
                return variable.read_value()

        return self._apply_sparse_shared(grad, handle, indices, scatter_add)

    def _finish(self, update_ops, name_scope):
        if not self.bias_correction:
            return tf.group(*update_ops, name=name_scope)
        with tf.control_dependencies(update_ops):
            beta1_power, beta2_power = self._beta_powers()
            update_beta1 = beta1_power.assign(
                beta1_power * self.beta_1, use_locking=self._use_locking
            )
            update_beta2 = beta2_power.assign(
                beta2_power * self.beta_2, use_locking=self._use_locking
            )
        return tf.group(*update_ops, update_beta1, update_beta2, name=name_scope)


def create_optimizer(
    loss,
    init_lr,
    num_train_steps,
    num_warmup_steps,
    use_tpu=False,
    *,
    bias_correction=True,
    weight_decay_rate=0.01,
    exclude_from_weight_decay=hyperparameters.DEFAULT_EXCLUDE_FROM_WEIGHT_DECAY,
    beta_1=0.9,
    beta_2=0.999,
    epsilon=1e-6,
    clip_norm=1.0,
    end_learning_rate=0.0,
    power=1.0,
    layerwise_lr_decay=None,
    num_layers=None,
    lr_multipliers=None,
    pretrained_weight_decay=False,
    var_list=None,
):
    """Builds Google BERT's training op: warmup + polynomial decay, clipping, AdamWeightDecay.

    Google's `optimization.create_optimizer(loss, init_lr, num_train_steps,
    num_warmup_steps, use_tpu)`, same positional arguments (`use_tpu` may be left out
    here); every other argument is keyword-only, and their defaults reproduce Google's
    op except `bias_correction=True` (pass False for Google's exact op). Graph mode only
    (it calls `tf.gradients`).

    Args:
        loss: scalar loss tensor.
        init_lr: float >= 0, peak learning rate.
        num_train_steps: int >= 1, steps over which the rate decays to `end_learning_rate`.
        num_warmup_steps: int >= 0, linear warmup steps (0 or None: no warmup).
        use_tpu: wrap the optimizer in `tf.compat.v1.tpu.CrossShardOptimizer`.
        bias_correction: bool, see `AdamWeightDecayOptimizer`.
        weight_decay_rate, exclude_from_weight_decay, beta_1, beta_2, epsilon,
            layerwise_lr_decay, num_layers, lr_multipliers, pretrained_weight_decay:
            passed to the optimizer (Google's values by default).
        clip_norm: global-norm clipping threshold (None or 0 disables clipping).
        end_learning_rate, power: of the polynomial decay.
        var_list: variables to train; default `tf.compat.v1.trainable_variables()`.

    Returns:
        An `Operation` that applies one step and then increments the global step.
    """
    global_step = tf.compat.v1.train.get_or_create_global_step()
    schedule = schedule_math.WarmupPolynomialDecayMixin(
        init_lr,
        decay_steps=num_train_steps,
        warmup_steps=num_warmup_steps or 0,
        end_learning_rate=end_learning_rate,
        power=power,
    )
    learning_rate = schedule(global_step)
    optimizer = AdamWeightDecayOptimizer(
        learning_rate,
        weight_decay_rate,
        beta_1,
        beta_2,
        epsilon,
        exclude_from_weight_decay,
        bias_correction=bias_correction,
        layerwise_lr_decay=layerwise_lr_decay,
        num_layers=num_layers,
        lr_multipliers=lr_multipliers,
        pretrained_weight_decay=pretrained_weight_decay,
    )
    if use_tpu:
        optimizer = tf.compat.v1.tpu.CrossShardOptimizer(optimizer)
    tvars = list(var_list) if var_list is not None else tf.compat.v1.trainable_variables()
    grads = tf.gradients(loss, tvars)
    if clip_norm:
        grads, _ = tf.clip_by_global_norm(grads, clip_norm=clip_norm)
    train_op = optimizer.apply_gradients(zip(grads, tvars, strict=True), global_step=global_step)
    # Google increments the step beside the update; ordering it after the update keeps
    # the schedule's read of the step deterministic.
    with tf.control_dependencies([train_op]):
        increment = global_step.assign_add(1)
    return tf.group(train_op, increment)
