"""Checks and normalises the hyperparameters that every AdamWeightDecay front end takes.

Every check runs at construction and raises `ValueError` naming the argument, the value
received and what was expected, so a bad value fails before any graph is built.
"""

import numbers
import re

from tf_ner.ground.errors import SettingsError

# Google's `create_optimizer` passes these to `AdamWeightDecayOptimizer`; they keep
# LayerNorm scales/offsets and every bias out of weight decay.
DEFAULT_EXCLUDE_FROM_WEIGHT_DECAY = ("LayerNorm", "layer_norm", "bias")


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_learning_rate(learning_rate):
    """Rejects a negative number; tensors, schedules and callables pass unchecked.

    Args:
        learning_rate: a Python number, a tensor, a `LearningRateSchedule` or a callable.

    Returns:
        `learning_rate`, as `float` when it was a Python number.

    Raises:
        ValueError: a negative (or NaN) number.
    """
    if _is_number(learning_rate):
        if not learning_rate >= 0:
            raise SettingsError(
                f"Argument `learning_rate` must be a number >= 0 (or a schedule). "
                f"Received: learning_rate={learning_rate!r}"
            )
        return float(learning_rate)
    return learning_rate


def check_beta(name, value):
    """Returns `value` as float after checking it lies in [0, 1)."""
    if not _is_number(value) or not 0.0 <= value < 1.0:
        raise SettingsError(
            f"Argument `{name}` must be a float in [0, 1). Received: {name}={value!r}"
        )
    return float(value)


def check_non_negative(name, value):
    """Returns `value` as float after checking it is a number >= 0."""
    if not _is_number(value) or not value >= 0.0:
        raise SettingsError(f"Argument `{name}` must be a number >= 0. Received: {name}={value!r}")
    return float(value)


def check_layerwise_lr_decay(value):
    """Returns None (no layer-wise decay) or a float in (0, 1]."""
    if value is None:
        return None
    if not _is_number(value) or not 0.0 < value <= 1.0:
        raise SettingsError(
            "Argument `layerwise_lr_decay` must be None or a float in (0, 1]. "
            f"Received: layerwise_lr_decay={value!r}"
        )
    return float(value)


def check_num_layers(value):
    """Returns None (infer from variable paths at build time) or an int >= 1."""
    if value is None:
        return None
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise SettingsError(
            "Argument `num_layers` must be None (infer from the variable paths) or an "
            f"int >= 1. Received: num_layers={value!r}"
        )
    return int(value)


def compile_pattern(argument, pattern):
    """Compiles one regular expression, naming `argument` when it is not valid."""
    if not isinstance(pattern, str):
        raise SettingsError(
            f"Argument `{argument}` must hold regular expressions as strings. "
            f"Received: {pattern!r} of type {type(pattern).__name__}"
        )
    try:
        return re.compile(pattern)
    except re.error as error:
        raise SettingsError(
            f"Argument `{argument}` holds an invalid regular expression {pattern!r}: {error}. "
            "Expected a pattern for `re.search` against variable paths such as "
            "'bert/encoder/layer_0/output/LayerNorm/gamma'."
        ) from None


def normalise_patterns(argument, patterns):
    """Returns `patterns` (one regex or an iterable of them) as a tuple, each checked to compile.

    Args:
        argument: the argument's name, for the error message.
        patterns: a single pattern, or an iterable of patterns.
    """
    patterns = (patterns,) if isinstance(patterns, str) else tuple(patterns)
    for pattern in patterns:
        compile_pattern(argument, pattern)
    return patterns


def normalise_exclusions(exclude_from_weight_decay):
    """Returns the exclusion patterns as a tuple of strings, each checked to compile.

    Args:
        exclude_from_weight_decay: None for the defaults (`LayerNorm`, `layer_norm`,
            `bias`), a single pattern, or an iterable of patterns; `()` excludes nothing.
    """
    if exclude_from_weight_decay is None:
        return DEFAULT_EXCLUDE_FROM_WEIGHT_DECAY
    return normalise_patterns("exclude_from_weight_decay", exclude_from_weight_decay)


def normalise_multipliers(lr_multipliers):
    """Returns `{pattern: float}` with every pattern compiled and every factor >= 0.

    Args:
        lr_multipliers: None, a mapping, or a sequence of `(pattern, factor)` pairs; the
            order is kept because the first matching pattern wins.
    """
    if lr_multipliers is None:
        return {}
    items = lr_multipliers.items() if hasattr(lr_multipliers, "items") else lr_multipliers
    result = {}
    for item in items:
        try:
            pattern, factor = item
        except (TypeError, ValueError):
            raise SettingsError(
                "Argument `lr_multipliers` must be a mapping {regex: factor} or a sequence "
                f"of (regex, factor) pairs. Received the item {item!r}"
            ) from None
        compile_pattern("lr_multipliers", pattern)
        if not _is_number(factor) or not factor >= 0:
            raise SettingsError(
                f"Argument `lr_multipliers` must map each pattern to a number >= 0. "
                f"Received: {pattern!r}: {factor!r}"
            )
        result[pattern] = float(factor)
    return result


def variable_path(variable):
    """The name that patterns match: Keras 3 `variable.path`, else the name without `:0`.

    Keras 3 `variable.name` is only the short name (`gamma`); its `path` is
    `bert/encoder/layer_0/output/LayerNorm/gamma`. A `tf.Variable` (TF1 graphs, tf-keras)
    carries the full scope in `name`, with a `:<output>` suffix that is dropped here.
    """
    path = getattr(variable, "path", None)
    if isinstance(path, str) and path:
        return path
    return re.sub(r":\d+$", "", variable.name)
