"""EfficientGlobalPointer: GlobalPointer with one shared query/key projection."""

import keras
import tensorflow as tf

from tf_ner.layers.global_pointer import GlobalPointer, query_key_scores


@keras.saving.register_keras_serializable(package="tf_ner")
class EfficientGlobalPointer(GlobalPointer):
    """GlobalPointer whose types share the query/key projection.

    Tokens are projected once to `h_i = [q_i; k_i]` (size `2 * head_size`), rotated
    with RoPE, and each type adds a start and an end bias read from `h`:
    `s[t, i, j] = q_i . k_j / sqrt(head_size) + (a_t(h_i) + b_t(h_j)) / 2`,
    with `[a; b] = Dense(2 * num_types)(h)` (the biases are read from the
    unrotated `h`). Parameters: about `2 * hidden * head_size + 4 * head_size * num_types`
    instead of GlobalPointer's `2 * hidden * head_size * num_types`.

    Weights: `query_key` (`Dense(2 * head_size)`, output `[q; k]`, the query first)
    and `type_bias` (`Dense(2 * num_types)` on `[q; k]`, output: the start biases of
    every type, then the end biases). Masking and decoding as in `GlobalPointer`.

    Args:
        num_types: int >= 1, number of entity types.
        head_size: int >= 1, size of the shared query and key; even when `rope=True`.
            Defaults to 64.
        rope: bool, apply rotary position embedding to queries and keys.
            Defaults to True.
        tril_mask: bool, mask cells with `end < start`. Defaults to True.
        use_bias: bool, whether both projections have a bias. Defaults to True.
        kernel_initializer: initializer of the projection kernels.
        bias_initializer: initializer of the projection biases.
        **kwargs: standard `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: float tensor `[batch, length, hidden]`.
        mask: optional bool or 0/1 tensor `[batch, length]`, 1 for tokens that may
            begin or end an entity (0 for padding, `[CLS]`, `[SEP]`); see
            `GlobalPointer`.

    Returns:
        Logits `[batch, num_types, length, length]` in the compute dtype.

    Example:
    >>> hidden = keras.random.normal((2, 6, 16))
    >>> EfficientGlobalPointer(num_types=3, head_size=8)(hidden).shape
    TensorShape([2, 3, 6, 6])

    References:
        Su, "Efficient GlobalPointer: fewer parameters, better results", 2022,
        https://kexue.fm/archives/8877.
    """

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        self.query_key_dense = self._dense(2 * self.head_size, "query_key")
        self.query_key_dense.build(input_shape)
        self.type_bias_dense = self._dense(2 * self.num_types, "type_bias")
        self.type_bias_dense.build((*input_shape[:-1], 2 * self.head_size))
        self._build_rotary_embedding((None, None, 2, self.head_size))
        self.built = True

    def _scores(self, inputs):
        projected = self.query_key_dense(inputs)  # [batch, length, 2 * head_size]
        shape = tf.shape(projected)
        pairs = tf.reshape(projected, [shape[0], shape[1], 2, self.head_size])
        rotated = tf.transpose(self._rotate(pairs), [2, 0, 1, 3])  # [2, batch, length, size]
        query, key = tf.unstack(rotated)  # as in GlobalPointer: no inner-axis slices
        scores = query_key_scores(query, key, self.head_size)
        bias = self.type_bias_dense(projected) / tf.cast(2, projected.dtype)
        bias = tf.transpose(bias, [0, 2, 1])  # [batch, 2 * types, length]
        start_bias = bias[:, : self.num_types, :, None]  # varies with the start (rows)
        end_bias = bias[:, self.num_types :, None, :]  # varies with the end (columns)
        return scores[:, None] + start_bias + end_bias
