"""GlobalPointer: scores every (start, end) token pair per entity type."""

import keras
import tensorflow as tf

from tf_ner.ground.masking import mask_logits
from tf_ner.layers._checks import check_positive_int
from tf_ner.layers.rotary_embedding import RotaryEmbedding


def query_key_scores(query, key, head_size):
    """`query . key / sqrt(head_size)` for every pair of positions.

    Args:
        query, key: float `[..., length, head_size]`.
        head_size: int, the size the scores are scaled by.

    Returns:
        `[..., length, length]`, rows the query positions (span starts), columns the
        key positions (span ends).
    """
    # Scaling the queries costs `length x head_size` products, the scores `length^2`.
    query = query * tf.cast(head_size**-0.5, query.dtype)
    return tf.matmul(query, key, transpose_b=True)


@keras.saving.register_keras_serializable(package="tf_ner")
class GlobalPointer(keras.layers.Layer):
    """Span-scoring head for flat and nested NER.

    For each entity type `t` the layer projects every token to a query `q_i` and a
    key `k_j` of size `head_size`, rotates both with RoPE (so the score sees relative
    distance), and scores the span of tokens `i..j` (inclusive) as
    `s[t, i, j] = q_i . k_j / sqrt(head_size)`. A span is predicted where `s > 0`
    (see `tf_ner.layers.decode_global_pointer`); train it with
    `tf_ner.losses.global_pointer_loss`.

    Masked cells are set to `tf_ner.ground.masking.large_negative(dtype)` (finite in every
    float dtype): rows and columns of masked tokens, and with `tril_mask=True` the
    cells `j < i` (end before start).

    Weights: one `Dense` named `query_key` of `hidden * num_types * 2 * head_size`
    kernel entries (plus bias). Its output is laid out `[num_types, 2, head_size]`
    per token: the query then the key of each type (the bert4keras layout).

    Args:
        num_types: int >= 1, number of entity types.
        head_size: int >= 1, size of each query and key; even when `rope=True`.
            Defaults to 64.
        rope: bool, apply rotary position embedding to queries and keys.
            Defaults to True.
        tril_mask: bool, mask cells with `end < start`. Defaults to True.
        use_bias: bool, whether the projection has a bias. Defaults to True.
        kernel_initializer: initializer of the projection kernel.
        bias_initializer: initializer of the projection bias.
        **kwargs: standard `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: float tensor `[batch, length, hidden]`, e.g. BERT's sequence output.
        mask: optional bool or 0/1 tensor `[batch, length]`, 1 for tokens that may
            begin or end an entity. Pass 0 for padding *and* for `[CLS]`/`[SEP]`,
            e.g. `(token_ids != 0) & (token_ids != cls_id) & (token_ids != sep_id)`.
            Without it no row or column is masked. If the inputs carry a Keras mask
            (an `Embedding(mask_zero=True)` upstream), Keras passes it here; that mask
            covers padding only.

    Returns:
        Logits `[batch, num_types, length, length]` in the compute dtype.

    Example:
    >>> hidden = keras.random.normal((2, 6, 16))
    >>> mask = tf.constant([[0, 1, 1, 1, 0, 0], [0, 1, 1, 1, 1, 0]])
    >>> GlobalPointer(num_types=3, head_size=8)(hidden, mask=mask).shape
    TensorShape([2, 3, 6, 6])

    References:
        Su, "GlobalPointer: handling nested and flat NER in a unified way", 2021,
        https://kexue.fm/archives/8373.
    """

    def __init__(
        self,
        num_types,
        head_size=64,
        rope=True,
        tril_mask=True,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        owner = type(self).__name__
        check_positive_int(num_types, "num_types", owner)
        check_positive_int(head_size, "head_size", owner)
        if rope and head_size % 2:
            raise ValueError(
                f"{owner}: `head_size` must be even when `rope=True` (RoPE rotates pairs "
                f"of features), received head_size={head_size}. Use an even head_size "
                "or rope=False."
            )
        self.num_types = num_types
        self.head_size = head_size
        self.rope = bool(rope)
        self.tril_mask = bool(tril_mask)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def _dense(self, units, name):
        return keras.layers.Dense(
            units,
            use_bias=self.use_bias,
            kernel_initializer=self.kernel_initializer,
            bias_initializer=self.bias_initializer,
            dtype=self.dtype_policy,
            name=name,
        )

    def _check_input_shape(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__}: `inputs` must be [batch, length, hidden] with a "
                f"known hidden size, received shape {tuple(input_shape)}."
            )

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        self.query_key_dense = self._dense(self.num_types * 2 * self.head_size, "query_key")
        self.query_key_dense.build(input_shape)
        self._build_rotary_embedding((None, None, self.num_types, 2, self.head_size))
        self.built = True

    def _build_rotary_embedding(self, shape):
        if self.rope:
            self.rotary_embedding = RotaryEmbedding(
                dtype=self.dtype_policy, name="rotary_embedding"
            )
            self.rotary_embedding.build(shape)

    def _rotate(self, x):
        return self.rotary_embedding(x) if self.rope else x

    def call(self, inputs, mask=None):
        return self._mask_scores(self._scores(inputs), mask)

    def _scores(self, inputs):
        """Unmasked scores `[batch, num_types, length, length]`."""
        return self._scores_of_projection(self.query_key_dense(inputs))

    def _scores_of_projection(self, projected):
        """`_scores` from the projection's output `[batch, length, types * 2 * head_size]`."""
        shape = tf.shape(projected)
        projected = tf.reshape(projected, [shape[0], shape[1], self.num_types, 2, self.head_size])
        # Queries and keys rotated together, then laid out [2, batch, types, length,
        # head_size]: unstacking the first axis is a plain copy whose gradient is a
        # stack (slicing an inner axis costs a gradient of whole zero tensors), and one
        # batched matmul scores (an einsum's gradient would transpose again).
        rotated = tf.transpose(self._rotate(projected), [3, 0, 2, 1, 4])
        query, key = tf.unstack(rotated)
        return query_key_scores(query, key, self.head_size)

    def _mask_scores(self, scores, mask):
        length = tf.shape(scores)[-1]
        keep = None
        if mask is not None:
            mask = tf.cast(mask, tf.bool)
            keep = tf.logical_and(mask[:, None, :, None], mask[:, None, None, :])
        if self.tril_mask:
            positions = tf.range(length)
            upper = positions[:, None] <= positions[None, :]  # start <= end
            keep = upper if keep is None else tf.logical_and(keep, upper)
        return scores if keep is None else mask_logits(scores, keep)

    def compute_mask(self, inputs, mask=None):
        # The output is per span, not per token: no Keras mask to propagate.
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_types, input_shape[1], input_shape[1])

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_types": self.num_types,
                "head_size": self.head_size,
                "rope": self.rope,
                "tril_mask": self.tril_mask,
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            }
        )
        return config
