"""Argument and label checks shared by the heads, their losses and metrics.

Each check raises `ValueError` naming the argument, the value received and what was
expected. Checks on tensor values raise `ValueError` when run eagerly; inside a
`tf.function` (e.g. `model.fit`) the same message is raised by a graph assertion as
`tf.errors.InvalidArgumentError`, since a traced graph cannot raise Python errors on
data it has not seen yet. Under XLA (`jit_compile=True`) graph assertions are
dropped by the compiler, so run one eager or non-XLA step when labels are in doubt.
"""

import tensorflow as tf


def check_positive_int(value, name, owner):
    """Raises `ValueError` unless `value` is an int >= 1 (bools rejected)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{owner}: `{name}` must be an int >= 1, received {value!r}.")


def check_rank(tensor, ranks, name, owner):
    """Raises `ValueError` unless the static rank of `tensor` is in `ranks`."""
    rank = tensor.shape.rank
    if rank is not None and rank not in ranks:
        expected = " or ".join(str(r) for r in ranks)
        raise ValueError(
            f"{owner}: `{name}` must have rank {expected}, received shape {tensor.shape}."
        )


def check_in_range(values, low, high, name, owner, where=None):
    """Checks `low <= values < high` at positions where `where` is True.

    Args:
        values: int tensor.
        low: int, inclusive lower bound.
        high: int or scalar int tensor, exclusive upper bound.
        name: str, the argument's name for the message.
        owner: str, the function or layer for the message.
        where: optional bool tensor like `values`; other positions are not checked.

    Returns:
        `values`, carrying the graph assertion when traced.

    Raises:
        ValueError: eagerly, a checked value outside `[low, high)`.
    """
    high = tf.cast(high, values.dtype)
    bad = tf.logical_or(values < low, values >= high)
    if where is not None:
        bad = tf.logical_and(bad, where)
    if tf.executing_eagerly():
        if bool(tf.reduce_any(bad)):
            received = sorted({int(v) for v in tf.boolean_mask(values, bad).numpy()})
            raise ValueError(
                f"{owner}: `{name}` has values outside [{low}, {int(high)}): received "
                f"{received[:10]}. Expected every value in [{low}, {int(high)}) "
                "(padding marked as documented)."
            )
        return values
    # No boolean_mask here: it has a dynamic shape and would break XLA compilation.
    checked = values if where is None else tf.where(where, values, tf.cast(low, values.dtype))
    assertion = tf.debugging.Assert(
        tf.logical_not(tf.reduce_any(bad)),
        [
            f"{owner}: `{name}` has values outside [{low}, high); min/max received, high:",
            tf.reduce_min(checked),
            tf.reduce_max(checked),
            high,
        ],
    )
    with tf.control_dependencies([assertion]):
        return tf.identity(values)
