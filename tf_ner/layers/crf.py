"""Linear-chain conditional random field: likelihood and Viterbi as graph code."""

import keras
import tensorflow as tf

from tf_ner.layers._checks import check_in_range, check_positive_int, check_rank

# The log of zero in the log semiring, finite so that no gradient is NaN.
_LOG_ZERO = -1e30


def _compact(mask, *tensors):
    """Moves the unmasked positions of each example to the front, in order.

    Returns the inverse permutation `[batch, length]`, the compacted prefix mask and
    the compacted tensors (gathered along axis 1).
    """
    order = tf.argsort(tf.cast(tf.logical_not(mask), tf.int32), axis=1, stable=True)
    inverse = tf.argsort(order, axis=1)
    compacted = [tf.gather(t, order, axis=1, batch_dims=1) for t in (mask, *tensors)]
    return (inverse, *compacted)


@keras.saving.register_keras_serializable(package="tf_ner")
class CRF(keras.layers.Layer):
    """Linear-chain CRF over per-token tag scores (emissions).

    A tag path `y` over the unmasked positions `p_1 < ... < p_n` of an example scores
    `start[y_1] + sum_k E[p_k, y_k] + sum_k T[y_{k-1}, y_k] + end[y_n]`;
    `log_likelihood` is that score minus the log partition (forward algorithm in log
    space), `decode` the Viterbi path. Both are TensorFlow graph code (`tf.scan`):
    they run inside `tf.function`, `model.predict` and an exported SavedModel, with a
    dynamic length, and math is done in float32 whatever the compute dtype (the layer
    does not autocast its variables).

    Masks: positions where `mask` is 0 are not part of the chain: they are skipped
    (the chain links the neighbouring unmasked positions), ignored in the likelihood
    whatever their tag (use -100 for them), and decoded as tag 0. So padding,
    `[CLS]`/`[SEP]` and non-first sub-tokens can all be masked out. An example with
    no unmasked position has log-likelihood 0.

    `lr_multiplier` (bert4keras's trick): each variable stores its value divided by
    `lr_multiplier` and the layer multiplies it back when reading it. The gradient
    with respect to the stored variable is then `lr_multiplier` times larger and its
    value `lr_multiplier` times smaller, so Adam-type optimizers (whose steps do not
    scale with the gradient) move the effective value `lr_multiplier` times faster;
    plain SGD moves it `lr_multiplier**2` times faster. Use the effective values
    through `effective_transitions()` / `set_effective_transitions(...)`; the
    variables themselves hold the scaled-down numbers.

    Weights (float32 variables, paths `<name>/transitions` etc.):
        transitions: `[num_tags, num_tags]`, `T[previous, next]`.
        start_transitions: `[num_tags]`, score of the first tag.
        end_transitions: `[num_tags]`, score of the last tag.

    For training with `model.fit`, wrap a model that outputs emissions in
    `tf_ner.layers.CRFModel`, which uses `log_likelihood` as its loss.

    Args:
        num_tags: int >= 1, number of tags (the last axis of the emissions).
        lr_multiplier: float > 0, scale of the transitions' effective learning rate
            (bert4keras uses 100-1000 on top of BERT). Defaults to 1.
        transitions_initializer: initializer of the effective transition matrix.
            Defaults to `"glorot_uniform"`; start/end transitions start at zero.
        **kwargs: standard `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        emissions: float tensor `[batch, length, num_tags]`.
        mask: optional bool or 0/1 tensor `[batch, length]`; see above. Defaults to
            all positions (or the Keras mask the emissions carry).

    Returns:
        The Viterbi tags, int32 `[batch, length]`, 0 where masked.

    Example:
    >>> crf = CRF(num_tags=5)
    >>> emissions = keras.random.normal((2, 7, 5))
    >>> mask = tf.sequence_mask([7, 4], 7)
    >>> tags = crf(emissions, mask=mask)                         # [2, 7] int32
    >>> nll = -crf.log_likelihood(emissions, tags, mask)          # [2]

    References:
        Lafferty et al., "Conditional Random Fields", ICML 2001; bert4keras
        `ConditionalRandomField` (transitions only, no start/end scores).
    """

    def __init__(
        self, num_tags, lr_multiplier=1.0, transitions_initializer="glorot_uniform", **kwargs
    ):
        # Variables are read in float32 under mixed precision (no autocast).
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        check_positive_int(num_tags, "num_tags", "CRF")
        if isinstance(lr_multiplier, bool) or not lr_multiplier > 0:
            raise ValueError(f"CRF: `lr_multiplier` must be > 0, received {lr_multiplier!r}.")
        self.num_tags = num_tags
        self.lr_multiplier = float(lr_multiplier)
        self.transitions_initializer = keras.initializers.get(transitions_initializer)

    def _scaled(self, initializer):
        def init(shape, dtype=None):
            return initializer(shape, dtype=dtype) / self.lr_multiplier

        return init

    def build(self, input_shape=None):
        if input_shape is not None and input_shape[-1] not in (None, self.num_tags):
            raise ValueError(
                f"CRF: the last axis of `emissions` must be num_tags={self.num_tags}, "
                f"received shape {tuple(input_shape)}."
            )
        tags = self.num_tags
        self.transitions = self.add_weight(
            shape=(tags, tags),
            initializer=self._scaled(self.transitions_initializer),
            dtype="float32",
            name="transitions",
        )
        self.start_transitions = self.add_weight(
            shape=(tags,), initializer="zeros", dtype="float32", name="start_transitions"
        )
        self.end_transitions = self.add_weight(
            shape=(tags,), initializer="zeros", dtype="float32", name="end_transitions"
        )
        self.built = True

    def effective_transitions(self):
        """Returns `(transitions, start_transitions, end_transitions)` float32 tensors,
        the values the model uses (stored variables times `lr_multiplier`)."""
        if not self.built:
            self.build()
        return tuple(
            tf.cast(tf.convert_to_tensor(v), tf.float32) * self.lr_multiplier
            for v in (self.transitions, self.start_transitions, self.end_transitions)
        )

    def set_effective_transitions(self, transitions, start_transitions=None, end_transitions=None):
        """Sets the values the model uses (stores them divided by `lr_multiplier`);
        omitted start/end transitions are set to zero."""
        if not self.built:
            self.build()
        tags = self.num_tags
        values = (
            transitions,
            tf.zeros([tags]) if start_transitions is None else start_transitions,
            tf.zeros([tags]) if end_transitions is None else end_transitions,
        )
        for variable, value in zip(
            (self.transitions, self.start_transitions, self.end_transitions), values, strict=True
        ):
            value = tf.convert_to_tensor(value, tf.float32)
            if tuple(value.shape) != tuple(variable.shape):
                raise ValueError(
                    f"CRF.set_effective_transitions: `{variable.name}` must have shape "
                    f"{tuple(variable.shape)}, received {tuple(value.shape)}."
                )
            variable.assign(value / self.lr_multiplier)

    def _prepare(self, emissions, mask, method):
        emissions = tf.convert_to_tensor(emissions)
        check_rank(emissions, (3,), "emissions", f"CRF.{method}")
        if emissions.shape[-1] not in (None, self.num_tags):
            raise ValueError(
                f"CRF.{method}: the last axis of `emissions` must be "
                f"num_tags={self.num_tags}, received shape {emissions.shape}."
            )
        emissions = tf.cast(emissions, tf.float32)
        if mask is None:
            mask = tf.ones(tf.shape(emissions)[:2], tf.bool)
        else:
            mask = tf.cast(mask, tf.bool)
            check_rank(mask, (2,), "mask", f"CRF.{method}")
        return emissions, mask

    def log_likelihood(self, emissions, tags, mask=None):
        """Log-probability of `tags` under the CRF, per example.

        Args:
            emissions: float `[batch, length, num_tags]`.
            tags: int `[batch, length]`, in `[0, num_tags)` where `mask` is 1 (any
                value, e.g. -100, elsewhere).
            mask: optional bool or 0/1 `[batch, length]`; see the class docstring.

        Returns:
            float32 `[batch]`, `score(tags) - log Z`; the loss is its negative mean.

        Raises:
            ValueError: wrong ranks or tag axis; eagerly, tags outside `[0, num_tags)`
                at unmasked positions.
        """
        emissions, mask = self._prepare(emissions, mask, "log_likelihood")
        tags = tf.cast(tags, tf.int32)
        check_rank(tags, (2,), "tags", "CRF.log_likelihood")
        tags = check_in_range(tags, 0, self.num_tags, "tags", "CRF.log_likelihood", mask)
        transitions, start, end = self.effective_transitions()
        _, mask, emissions, tags = _compact(mask, emissions, tags)
        tags = tf.where(mask, tags, 0)
        weights = tf.cast(mask, tf.float32)
        lengths = tf.reduce_sum(tf.cast(mask, tf.int32), axis=1)
        nonempty = tf.cast(lengths > 0, tf.float32)

        unary = tf.gather(emissions, tags, axis=2, batch_dims=2)  # [batch, length]
        pair = tf.gather(tf.reshape(transitions, [-1]), tags[:, :-1] * self.num_tags + tags[:, 1:])
        last = tf.gather(tags, tf.maximum(lengths - 1, 0), axis=1, batch_dims=1)
        score = (
            tf.reduce_sum(unary * weights, axis=1)
            + tf.reduce_sum(pair * weights[:, 1:], axis=1)
            + (tf.gather(start, tags[:, 0]) + tf.gather(end, last)) * nonempty
        )
        return score - self._log_partition(emissions, mask, transitions, start, end) * nonempty

    def _step_matrices(self, emissions, mask, transitions):
        """Time-major `[length, batch, tags, tags]` steps of a prefix-masked chain.

        `M_t[i, j] = T[i, j] + E[t, j]` moves from the tag at `t - 1` to the tag at
        `t` (`t >= 1`); a masked position is the identity (0 on the diagonal,
        `_LOG_ZERO` elsewhere), which changes neither a score nor a path. Built for all
        positions at once, so each sequential step of the recursions is a few ops. One
        identity step is appended: the loops never run over an empty sequence.
        """
        identity = tf.where(tf.eye(self.num_tags, dtype=tf.bool), 0.0, _LOG_ZERO)
        steps = transitions + emissions[:, 1:, None, :]  # [batch, length - 1, tags, tags]
        steps = tf.where(mask[:, 1:, None, None], steps, identity)
        shape = tf.shape(steps)
        steps = tf.concat([steps, tf.broadcast_to(identity, [shape[0], 1, *identity.shape])], 1)
        return tf.transpose(steps, [1, 0, 2, 3])

    def _log_partition(self, emissions, mask, transitions, start, end):
        """Forward algorithm over prefix-masked (compacted) emissions -> `[batch]`."""

        def step(alpha, matrix):
            return tf.reduce_logsumexp(alpha[:, :, None] + matrix, axis=1)

        steps = self._step_matrices(emissions, mask, transitions)
        alpha = tf.foldl(step, steps, initializer=start + emissions[:, 0])
        return tf.reduce_logsumexp(alpha + end, axis=1)

    def decode(self, emissions, mask=None):
        """Viterbi decoding.

        Args:
            emissions: float `[batch, length, num_tags]`.
            mask: optional bool or 0/1 `[batch, length]`; see the class docstring.

        Returns:
            int32 `[batch, length]`: the highest-scoring tag path on unmasked
            positions, 0 elsewhere.
        """
        emissions, mask = self._prepare(emissions, mask, "decode")
        original_mask = mask
        transitions, start, end = self.effective_transitions()
        inverse, mask, emissions = _compact(mask, emissions)

        def forward(carry, matrix):
            candidate = carry[0][:, :, None] + matrix  # [batch, previous, next]
            best_previous = tf.argmax(candidate, axis=1, output_type=tf.int32)
            return tf.reduce_max(candidate, axis=1), best_previous

        first = start + emissions[:, 0]
        scores, back_pointers = tf.scan(
            forward,
            self._step_matrices(emissions, mask, transitions),
            initializer=(first, tf.zeros_like(first, tf.int32)),
        )
        last_tag = tf.argmax(scores[-1] + end, axis=1, output_type=tf.int32)

        def backward(tag, back_pointer):
            return tf.gather(back_pointer, tag, axis=1, batch_dims=1)

        # Backwards over time, written as a forward scan over reversed steps (the ONNX
        # converter writes `tf.scan(reverse=True)` with its outputs in the wrong order).
        earlier = tf.reverse(
            tf.scan(backward, tf.reverse(back_pointers, [0]), initializer=last_tag), [0]
        )
        # `last_tag` sits on the appended identity step; `earlier` covers the real ones.
        path = tf.transpose(earlier)  # compacted order
        path = tf.gather(path, inverse, axis=1, batch_dims=1)
        return tf.where(original_mask, path, 0)

    def call(self, emissions, mask=None):
        return self.decode(emissions, mask)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_spec(self, emissions, mask=None):
        return keras.KerasTensor(emissions.shape[:-1], dtype="int32")

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_tags": self.num_tags,
                "lr_multiplier": self.lr_multiplier,
                "transitions_initializer": keras.initializers.serialize(
                    self.transitions_initializer
                ),
            }
        )
        return config
