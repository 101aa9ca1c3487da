"""A Keras 3 BERT encoder whose variable paths are Google's checkpoint names.

Every weight's `variable.path` is the name it has in Google's `bert_model.ckpt`
(`bert/embeddings/word_embeddings`, `bert/encoder/layer_3/attention/self/query/kernel`,
`cls/predictions/output_bias`, ...), so checkpoints map by name, re-initialisation
selects by name and layer-wise learning rates find a layer's depth by name.
"""

import keras
import tensorflow as tf

from tf_ner.bert.config import BertConfig
from tf_ner.bert.primitives import FlatDense, LayerNorm
from tf_ner.ground.masking import large_negative

SQRT_2 = 1.4142135623730951


def gelu(x):
    """Exact GELU, `x Φ(x)`, in the form of Google's BERT code: `x/2 (1 + erf(x/√2))`.

    Keras's exact GELU (`0.5 x erfc(-x/√2)`) differs from it by float32 rounding (at
    most 2.4e-7 |x| on [-12, 12], measured); this form exports to the ONNX pattern that
    ONNX Runtime fuses into one Gelu kernel (`tf_ner.tasks.onnx`), which the erfc form,
    an op ONNX lacks, does not.
    """
    return x * 0.5 * (1.0 + tf.math.erf(x / SQRT_2))


def activation(name):
    """The Keras activation for a `BertConfig.hidden_act`."""
    if name == "gelu":
        return gelu
    if name in ("gelu_approximate", "gelu_new"):
        return lambda x: keras.activations.gelu(x, approximate=True)
    return {"relu": keras.activations.relu, "tanh": keras.activations.tanh}.get(
        name, keras.activations.silu
    )


def attention_bias(token_ids, dtype):
    """`[batch, 1, 1, length]`: 0 over tokens, a large negative over padding (id 0)."""
    keep = tf.cast(tf.not_equal(token_ids, 0), dtype)[:, tf.newaxis, tf.newaxis, :]
    return (1.0 - keep) * large_negative(dtype)


def _config_from(config):
    return config if isinstance(config, BertConfig) else BertConfig.from_dict(config)


@keras.saving.register_keras_serializable(package="tf_ner")
class _BertSublayer(keras.layers.Layer):
    """A named part of the encoder that holds the shared `BertConfig`."""

    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.config = _config_from(config)

    def initializer(self):
        return keras.initializers.TruncatedNormal(stddev=self.config.initializer_range)

    def dense(self, units, name, activation_fn=None):
        return FlatDense(
            units,
            activation=activation_fn,
            kernel_initializer=self.initializer(),
            name=name,
            dtype=self.dtype_policy,
        )

    def dropout_layer(self, rate):
        # With the parent's dtype policy: a Dropout under another policy would cast a
        # mixed-precision model's activations (a model saved under mixed_bfloat16 and
        # loaded where the global policy is float32 broke on exactly that).
        return keras.layers.Dropout(rate, name="dropout", dtype=self.dtype_policy)

    def layer_norm(self):
        # Google's modeling.py: LayerNorm over the last axis with epsilon 1e-12.
        return LayerNorm(epsilon=1e-12, name="LayerNorm", dtype=self.dtype_policy)

    def get_config(self):
        return {**super().get_config(), "config": self.config.to_dict()}


@keras.saving.register_keras_serializable(package="tf_ner")
class _DenseLayerNorm(_BertSublayer):
    """`LayerNorm(residual + dropout(dense(x)))`, named `dense` and `LayerNorm`."""

    def build(self, input_shape):
        hidden_shape, _ = input_shape
        self.dense_layer = self.dense(self.config.hidden_size, "dense")
        self.dense_layer.build(hidden_shape)
        self.norm = self.layer_norm()
        self.norm.build(hidden_shape[:-1] + (self.config.hidden_size,))
        self.dropout = self.dropout_layer(self.config.hidden_dropout_prob)
        self.built = True

    def call(self, inputs, training=None):
        hidden, residual = inputs
        return self.norm(residual + self.dropout(self.dense_layer(hidden), training=training))


@keras.saving.register_keras_serializable(package="tf_ner")
class BertEmbeddings(_BertSublayer):
    """Word + position + segment embeddings, LayerNorm and dropout (`bert/embeddings`)."""

    def build(self, input_shape):
        c = self.config
        self.word_embeddings = self.add_weight(
            name="word_embeddings",
            shape=(c.vocab_size, c.hidden_size),
            initializer=self.initializer(),
        )
        self.token_type_embeddings = self.add_weight(
            name="token_type_embeddings",
            shape=(c.type_vocab_size, c.hidden_size),
            initializer=self.initializer(),
        )
        self.position_embeddings = self.add_weight(
            name="position_embeddings",
            shape=(c.max_position_embeddings, c.hidden_size),
            initializer=self.initializer(),
        )
        self.norm = self.layer_norm()
        self.norm.build(tuple(input_shape[0]) + (c.hidden_size,))
        self.dropout = self.dropout_layer(c.hidden_dropout_prob)
        self.built = True

    def call(self, token_ids, segment_ids, training=None):
        length = tf.shape(token_ids)[1]
        tf.debugging.assert_less_equal(
            length,
            self.config.max_position_embeddings,
            message="sequence longer than max_position_embeddings of the BERT config",
        )
        embedded = (
            tf.gather(self.word_embeddings, token_ids)
            + tf.gather(self.token_type_embeddings, segment_ids)
            + self.position_embeddings[tf.newaxis, :length]
        )
        return self.dropout(self.norm(embedded), training=training)


@keras.saving.register_keras_serializable(package="tf_ner")
class BertSelfAttention(_BertSublayer):
    """Multi-head scaled dot-product attention: `query`, `key`, `value` (`attention/self`)."""

    def build(self, input_shape):
        self.query = self.dense(self.config.hidden_size, "query")
        self.key = self.dense(self.config.hidden_size, "key")
        self.value = self.dense(self.config.hidden_size, "value")
        for layer in (self.query, self.key, self.value):
            layer.build(input_shape)
        self.dropout = self.dropout_layer(self.config.attention_probs_dropout_prob)
        self.built = True

    def call(self, hidden, attention_bias, training=None):
        """hidden `[batch, length, H]`, bias `[batch, 1, 1, length]` -> `[batch, length, H]`."""
        heads, size = self.config.num_attention_heads, self.config.head_size
        batch, length = tf.shape(hidden)[0], tf.shape(hidden)[1]

        def split_heads(x):  # [batch, length, H] -> [batch, heads, length, size]
            return tf.transpose(tf.reshape(x, [batch, length, heads, size]), [0, 2, 1, 3])

        query = split_heads(self.query(hidden))
        key = split_heads(self.key(hidden))
        value = split_heads(self.value(hidden))
        scores = tf.matmul(query, key, transpose_b=True) * tf.cast(size**-0.5, query.dtype)
        scores = scores + tf.cast(attention_bias, scores.dtype)
        # Softmax in float32: under mixed precision the sum over keys loses digits.
        probs = tf.cast(tf.nn.softmax(tf.cast(scores, tf.float32)), value.dtype)
        context = tf.matmul(self.dropout(probs, training=training), value)
        return tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [batch, length, heads * size])


@keras.saving.register_keras_serializable(package="tf_ner")
class BertAttention(_BertSublayer):
    """Self-attention then `output/dense` + residual + `output/LayerNorm` (`attention`)."""

    def build(self, input_shape):
        self.self_attention = BertSelfAttention(self.config, name="self", dtype=self.dtype_policy)
        self.self_attention.build(input_shape)
        self.attention_output = _DenseLayerNorm(self.config, name="output", dtype=self.dtype_policy)
        self.attention_output.build((input_shape, input_shape))
        self.built = True

    def call(self, hidden, attention_bias, training=None):
        context = self.self_attention(hidden, attention_bias, training=training)
        return self.attention_output((context, hidden), training=training)


@keras.saving.register_keras_serializable(package="tf_ner")
class BertLayer(_BertSublayer):
    """One Transformer layer: attention, `intermediate/dense`, `output` (`encoder/layer_i`)."""

    def build(self, input_shape):
        c = self.config
        self.attention = BertAttention(c, name="attention", dtype=self.dtype_policy)
        self.attention.build(input_shape)
        self.intermediate = _Intermediate(c, name="intermediate", dtype=self.dtype_policy)
        self.intermediate.build(input_shape)
        self.layer_output = _DenseLayerNorm(c, name="output", dtype=self.dtype_policy)
        self.layer_output.build((input_shape[:-1] + (c.intermediate_size,), input_shape))
        self.built = True

    def call(self, hidden, attention_bias, training=None):
        attended = self.attention(hidden, attention_bias, training=training)
        return self.layer_output((self.intermediate(attended), attended), training=training)


@keras.saving.register_keras_serializable(package="tf_ner")
class _Intermediate(_BertSublayer):
    """The feed-forward expansion `intermediate/dense` with the config's activation."""

    def build(self, input_shape):
        self.dense_layer = self.dense(
            self.config.intermediate_size, "dense", activation(self.config.hidden_act)
        )
        self.dense_layer.build(input_shape)
        self.built = True

    def call(self, hidden):
        return self.dense_layer(hidden)


@keras.saving.register_keras_serializable(package="tf_ner")
class BertEncoder(_BertSublayer):
    """The BERT encoder as one Keras layer named `bert` (Google's variable scope).

    Args:
        config: `BertConfig` (or its dict).
        with_pooler: bool, build `bert/pooler/dense` (tanh of the [CLS] vector).
        return_all_layers: bool, also return every layer's hidden states.

    Call arguments:
        inputs: `(token_ids, segment_ids)`, int32 `[batch, length]`; id 0 is padding
            and is masked out of attention.
        training: bool, enables dropout.

    Returns:
        A dict: `"sequence_output"` `[batch, length, H]`, `"pooled_output"` `[batch, H]`
        (with the pooler), `"all_layers"` (when asked): a list of L + 1 tensors
        `[batch, length, H]`, the embeddings' output then each layer's (as Hugging
        Face's `hidden_states`), and `"word_embeddings"` `[vocab_size, H]` for a tied
        MLM head.

    Example:
    >>> config = BertConfig(vocab_size=30, hidden_size=16, num_hidden_layers=2,
    ...                     num_attention_heads=2, intermediate_size=32)
    >>> encoder = BertEncoder(config)
    >>> out = encoder((tf.constant([[2, 5, 3, 0]]), tf.zeros([1, 4], tf.int32)))
    >>> out["sequence_output"].shape, out["pooled_output"].shape
    (TensorShape([1, 4, 16]), TensorShape([1, 16]))
    """

    def __init__(self, config, with_pooler=True, return_all_layers=False, name="bert", **kwargs):
        super().__init__(config, name=name, **kwargs)
        self.with_pooler = with_pooler
        self.return_all_layers = return_all_layers

    def build(self, input_shape):
        c = self.config
        token_shape = tuple(input_shape[0])
        hidden_shape = token_shape + (c.hidden_size,)
        self.embeddings = BertEmbeddings(c, name="embeddings", dtype=self.dtype_policy)
        self.embeddings.build(input_shape)
        self.encoder = _LayerStack(c, name="encoder", dtype=self.dtype_policy)
        self.encoder.build(hidden_shape)
        if self.with_pooler:
            self.pooler = _Pooler(c, name="pooler", dtype=self.dtype_policy)
            self.pooler.build((token_shape[0], c.hidden_size))
        self.built = True

    def call(self, inputs, training=None):
        token_ids, segment_ids = inputs
        token_ids = tf.cast(token_ids, tf.int32)
        segment_ids = tf.cast(segment_ids, tf.int32)
        hidden = self.embeddings(token_ids, segment_ids, training=training)
        all_layers = self.encoder(
            hidden, attention_bias(token_ids, hidden.dtype), training=training
        )
        outputs = {
            "sequence_output": all_layers[-1],
            "word_embeddings": tf.convert_to_tensor(self.embeddings.word_embeddings),
        }
        if self.with_pooler:
            outputs["pooled_output"] = self.pooler(all_layers[-1][:, 0])
        if self.return_all_layers:
            outputs["all_layers"] = all_layers
        return outputs

    def compute_output_spec(self, inputs, training=None):
        """`call`'s outputs as `KerasTensor`s, without tracing `call`: building (or
        loading) a functional model on the encoder then skips a symbolic pass through
        every layer."""
        batch, length = inputs[0].shape[:2]
        c = self.config

        def spec(*shape):
            return keras.KerasTensor(shape, dtype=self.compute_dtype)

        outputs = {
            "sequence_output": spec(batch, length, c.hidden_size),
            "word_embeddings": spec(c.vocab_size, c.hidden_size),
        }
        if self.with_pooler:
            outputs["pooled_output"] = spec(batch, c.hidden_size)
        if self.return_all_layers:
            layers = c.num_hidden_layers + 1
            outputs["all_layers"] = [spec(batch, length, c.hidden_size) for _ in range(layers)]
        return outputs

    def get_config(self):
        return {
            **super().get_config(),
            "with_pooler": self.with_pooler,
            "return_all_layers": self.return_all_layers,
        }


@keras.saving.register_keras_serializable(package="tf_ner")
class _LayerStack(_BertSublayer):
    """`encoder/layer_0` ... `encoder/layer_{L-1}`; returns every hidden state."""

    def build(self, input_shape):
        self.layers = []
        for index in range(self.config.num_hidden_layers):
            layer = BertLayer(self.config, name=f"layer_{index}", dtype=self.dtype_policy)
            layer.build(input_shape)
            self.layers.append(layer)
        self.built = True

    def call(self, hidden, attention_bias, training=None):
        states = [hidden]
        for layer in self.layers:
            states.append(layer(states[-1], attention_bias, training=training))
        return states


@keras.saving.register_keras_serializable(package="tf_ner")
class _Pooler(_BertSublayer):
    """`pooler/dense`: tanh(W · h_[CLS] + b)."""

    def build(self, input_shape):
        self.dense_layer = self.dense(self.config.hidden_size, "dense", keras.activations.tanh)
        self.dense_layer.build(input_shape)
        self.built = True

    def call(self, cls_hidden):
        return self.dense_layer(cls_hidden)


@keras.saving.register_keras_serializable(package="tf_ner")
class BertMLMHead(_BertSublayer):
    """Google's masked-LM head `cls/predictions`, its decoder tied to the word embeddings.

    Call arguments:
        inputs: `(sequence_output [batch, length, H], word_embeddings [vocab, H])`.

    Returns:
        Logits `[batch, length, vocab]`.
    """

    def __init__(self, config, name="cls", **kwargs):
        super().__init__(config, name=name, **kwargs)

    def build(self, input_shape):
        self.predictions = _MLMPredictions(self.config, name="predictions", dtype=self.dtype_policy)
        self.predictions.build(input_shape)
        self.built = True

    def call(self, inputs):
        return self.predictions(inputs)


@keras.saving.register_keras_serializable(package="tf_ner")
class _MLMPredictions(_BertSublayer):
    def build(self, input_shape):
        c = self.config
        hidden_shape = tuple(input_shape[0])
        self.transform = _MLMTransform(c, name="transform", dtype=self.dtype_policy)
        self.transform.build(hidden_shape)
        self.output_bias = self.add_weight(
            name="output_bias", shape=(c.vocab_size,), initializer="zeros"
        )
        self.built = True

    def call(self, inputs):
        hidden, word_embeddings = inputs
        hidden = self.transform(hidden)
        logits = tf.matmul(hidden, tf.cast(word_embeddings, hidden.dtype), transpose_b=True)
        return logits + tf.cast(self.output_bias, logits.dtype)


@keras.saving.register_keras_serializable(package="tf_ner")
class _MLMTransform(_BertSublayer):
    def build(self, input_shape):
        c = self.config
        self.dense_layer = self.dense(c.hidden_size, "dense", activation(c.hidden_act))
        self.dense_layer.build(input_shape)
        self.norm = self.layer_norm()
        self.norm.build(tuple(input_shape[:-1]) + (c.hidden_size,))
        self.built = True

    def call(self, hidden):
        return self.norm(self.dense_layer(hidden))


def build_bert(
    config, with_pooler=True, with_mlm=False, return_all_layers=False, name="bert_model"
):
    """Builds the BERT encoder as a functional `keras.Model`.

    Args:
        config: `BertConfig`, or a path to `bert_config.json`.
        with_pooler: bool, add `bert/pooler` and the `"pooled_output"` output.
        with_mlm: bool, add Google's `cls/predictions` head and an `"mlm_logits"`
            output `[batch, length, vocab]` (decoder tied to the word embeddings).
        return_all_layers: bool, add `"all_layers"`: L + 1 tensors `[batch, length, H]`.
        name: the model's name (variable paths do not depend on it).

    Returns:
        A `keras.Model` with inputs `[token_ids, segment_ids]` (int32 `[batch, length]`)
        and a dict of outputs: `"sequence_output"` `[batch, length, H]`,
        `"pooled_output"` `[batch, H]`, and the optional ones above.
    """
    if not isinstance(config, BertConfig):
        config = BertConfig.from_json_file(config)
    token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    segment_ids = keras.Input(shape=(None,), dtype="int32", name="segment_ids")
    encoder = BertEncoder(config, with_pooler=with_pooler, return_all_layers=return_all_layers)
    encoded = encoder((token_ids, segment_ids))
    outputs = {"sequence_output": encoded["sequence_output"]}
    if with_pooler:
        outputs["pooled_output"] = encoded["pooled_output"]
    if return_all_layers:
        outputs["all_layers"] = encoded["all_layers"]
    if with_mlm:
        outputs["mlm_logits"] = BertMLMHead(config)(
            (encoded["sequence_output"], encoded["word_embeddings"])
        )
    return keras.Model([token_ids, segment_ids], outputs, name=name)
