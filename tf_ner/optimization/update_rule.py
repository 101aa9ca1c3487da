"""The one AdamWeightDecay update rule, in TensorFlow ops, shared by every front end.

For a variable `param` with gradient `g`, moments `m`, `v` (started at 0), step `t`
counted from 1, learning rate `lr` (already scaled for this variable) and `wd` the
weight-decay rate (0 for excluded variables):

    m_t   = beta_1 * m + (1 - beta_1) * g
    v_t   = beta_2 * v + (1 - beta_2) * g**2
    c_t   = sqrt(1 - beta_2**t) / (1 - beta_1**t)     if bias_correction, else 1
    param = param - lr * (c_t * m_t / (sqrt(v_t) + epsilon) + wd * (param - param_0))

i.e. `param - lr_t * m_t / (sqrt(v_t) + eps) - lr * wd * (param - param_0)` with
`lr_t = lr * c_t`: epsilon is added to `sqrt(v_t)` of the *uncorrected* `v_t`
("epsilon hat", as in `tf.compat.v1.train.AdamOptimizer` and `keras.optimizers.Adam`),
and the decay term uses the plain `lr`, never `lr_t`. `param_0` is 0 (classic decoupled
weight decay) or the pre-trained value (pre-trained weight decay). Every term reads the
variable's value before this step.

Without bias correction the ops below are Google BERT's `AdamWeightDecayOptimizer`
op for op (`next_m`, `next_v`, `update = next_m / (sqrt(next_v) + eps)`,
`update += wd * param`, `param - lr * update`), so float32 results match it bit for bit.
With it they are grouped as `param - ((lr * c_t) * update + (lr * wd) * (param - param_0))`
so that the scalar factors are multiplied first (one full-size multiply per term).
The `(1 - beta)` coefficients are computed in Python double precision and then rounded to
the variable's dtype, as Google's `1.0 - self.beta_1` is.

References:
    - Kingma and Ba, "Adam: A Method for Stochastic Optimization", 2015.
    - Loshchilov and Hutter, "Decoupled Weight Decay Regularization", 2019.
    - Zhang et al., "Revisiting Few-sample BERT Fine-tuning", 2021 (why bias correction).
"""

import numbers

import tensorflow as tf


def as_dtype(value, dtype):
    """`value` as a tensor of `dtype`; Python numbers are converted without a float32 detour."""
    if isinstance(value, numbers.Real):
        return tf.constant(value, dtype=dtype)
    return tf.cast(value, dtype)


def first_moment(m, grad, beta_1):
    """`m_t = beta_1 * m + (1 - beta_1) * g`. `beta_1` is a Python float. [same shape as m]"""
    return tf.multiply(as_dtype(beta_1, m.dtype), m) + tf.multiply(
        as_dtype(1.0 - beta_1, grad.dtype), grad
    )


def second_moment(v, grad, beta_2):
    """`v_t = beta_2 * v + (1 - beta_2) * g**2`. `beta_2` is a Python float."""
    return tf.multiply(as_dtype(beta_2, v.dtype), v) + tf.multiply(
        as_dtype(1.0 - beta_2, grad.dtype), tf.square(grad)
    )


def sparse_moment_increments(values, beta_1, beta_2):
    """The gradient terms of `m_t` and `v_t` for the rows of an IndexedSlices gradient.

    With `m.assign(beta_1 * m)` followed by a scatter-add of the first returned tensor at
    the gradient's (deduplicated) indices, each row of `m` equals `first_moment` of the
    dense gradient exactly: untouched rows get `beta_1 * m + 0`.

    Args:
        values: gradient rows, deduplicated [num_indices, ...].

    Returns:
        `((1 - beta_1) * values, (1 - beta_2) * values**2)`.
    """
    dtype = values.dtype
    return (
        tf.multiply(as_dtype(1.0 - beta_1, dtype), values),
        tf.multiply(as_dtype(1.0 - beta_2, dtype), tf.square(values)),
    )


def bias_correction_factor(beta_1_power, beta_2_power):
    """`c_t = sqrt(1 - beta_2**t) / (1 - beta_1**t)` from the beta powers at step t (scalars)."""
    return tf.sqrt(1.0 - beta_2_power) / (1.0 - beta_1_power)


def parameter_step(
    param,
    m_t,
    v_t,
    learning_rate,
    epsilon,
    weight_decay_rate=0.0,
    correction=None,
    anchor=None,
):
    """Returns the next value of `param` (see the module docstring).

    Args:
        param: the variable's current value [any shape].
        m_t, v_t: this step's moments [same shape].
        learning_rate: scalar (tensor or number), this variable's scheduled learning rate.
        epsilon: Python float added to `sqrt(v_t)`.
        weight_decay_rate: Python float; 0 means no decay term at all.
        correction: None, or the scalar `bias_correction_factor` for this step.
        anchor: None to decay towards 0, or the pre-trained value [same shape as param].

    Returns:
        Tensor [same shape as param].
    """
    dtype = param.dtype
    learning_rate = as_dtype(learning_rate, dtype)
    update = m_t / (tf.sqrt(v_t) + epsilon)
    decay_from = None
    if weight_decay_rate:
        decay_from = param if anchor is None else param - anchor
    if correction is None:
        # Google's grouping, op for op: param - lr * (update + wd * param).
        if decay_from is not None:
            update += weight_decay_rate * decay_from
        return param - learning_rate * update
    # Scalars first, so the full-size tensors see one multiply per term.
    step = (learning_rate * as_dtype(correction, dtype)) * update
    if decay_from is not None:
        step += (learning_rate * weight_decay_rate) * decay_from
    return param - step


def adam_weight_decay_step(
    param,
    grad,
    m,
    v,
    learning_rate,
    beta_1,
    beta_2,
    epsilon,
    weight_decay_rate=0.0,
    correction=None,
    anchor=None,
):
    """One dense step; returns `(next_param, next_m, next_v)` for the caller to assign.

    Args:
        param, m, v: current values (tensors or variables) [any shape, all the same].
        grad: dense gradient [same shape], already in `param`'s dtype.
        learning_rate, epsilon, weight_decay_rate, correction, anchor: see
            `parameter_step`.
        beta_1, beta_2: Python floats in [0, 1).
    """
    param = tf.convert_to_tensor(param)
    m_t = first_moment(tf.convert_to_tensor(m), grad, beta_1)
    v_t = second_moment(tf.convert_to_tensor(v), grad, beta_2)
    next_param = parameter_step(
        param, m_t, v_t, learning_rate, epsilon, weight_decay_rate, correction, anchor
    )
    return next_param, m_t, v_t


def correction_at_step(step, beta_1, beta_2, dtype):
    """`bias_correction_factor` at step `step` (counted from 1), from powers of the betas.

    Used by the Keras front ends, whose `iterations` counter (saved with the optimizer)
    gives `t = iterations + 1`; the TF1 front end keeps beta-power accumulators instead.
    """
    step = tf.cast(step, dtype)
    return bias_correction_factor(
        tf.pow(tf.constant(beta_1, dtype), step), tf.pow(tf.constant(beta_2, dtype), step)
    )


def variable_step(
    variable, gradient, m, v, learning_rate, rule, hyper, correction=None, anchor=None
):
    """One step for a variable under its `VariableRule`; returns `(param, m, v)` values.

    The common body of the Keras 3 and Keras 2 `update_step`s: densifies an
    IndexedSlices gradient (every row's moments decay, so the step is dense anyway),
    casts to the variable's dtype, scales the learning rate by `rule.lr_scale` and takes
    the decay rate from `rule.weight_decay_rate` (0 for excluded variables).

    Args:
        variable: the model variable (tf.Variable) [any shape].
        gradient: Tensor or IndexedSlices for it.
        m, v: its moment variables.
        learning_rate: scalar, the scheduled rate before per-variable scaling.
        rule: its `VariableRule`.
        hyper: object with `beta_1`, `beta_2`, `epsilon` floats.
        correction: None or the scalar bias-correction factor.
        anchor: None or the pre-trained value.
    """
    dtype = variable.dtype
    if isinstance(gradient, tf.IndexedSlices):
        gradient = tf.convert_to_tensor(gradient)
    gradient = tf.cast(gradient, dtype)
    learning_rate = tf.cast(learning_rate, dtype)
    if rule.lr_scale != 1.0:
        learning_rate = learning_rate * rule.lr_scale
    return adam_weight_decay_step(
        variable,
        gradient,
        m,
        v,
        learning_rate,
        hyper.beta_1,
        hyper.beta_2,
        hyper.epsilon,
        weight_decay_rate=rule.weight_decay_rate,
        correction=correction,
        anchor=None if anchor is None else tf.convert_to_tensor(anchor),
    )
