"""TokenClassifier: the softmax tagging head (dropout, then Dense over tags)."""

import keras

from tf_ner.layers._checks import check_positive_int


@keras.saving.register_keras_serializable(package="tf_ner")
class TokenClassifier(keras.layers.Layer):
    """Per-token tag logits for softmax tagging (BIO, BIOES, ...).

    Train with `tf_ner.losses.masked_token_crossentropy` (labels -100 are ignored,
    e.g. non-first sub-tokens, `[CLS]`/`[SEP]`, padding); decode with an argmax over
    the last axis, then turn tag ids into spans in the data layer.

    Weights: one `Dense` named `classifier` (`hidden x num_tags` kernel, bias).

    Args:
        num_tags: int >= 1, number of tags.
        dropout: float in [0, 1), dropout on the inputs during training. Defaults to 0.
        kernel_initializer: initializer of the kernel. Defaults to a truncated normal
            with stddev 0.02 (BERT's initializer).
        **kwargs: standard `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: float tensor `[batch, length, hidden]`.
        training: bool, whether dropout is active.

    Returns:
        Logits `[batch, length, num_tags]` in the compute dtype.

    Example:
    >>> hidden = keras.random.normal((2, 6, 16))
    >>> TokenClassifier(num_tags=5)(hidden).shape
    TensorShape([2, 6, 5])
    """

    def __init__(
        self,
        num_tags,
        dropout=0.0,
        kernel_initializer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_positive_int(num_tags, "num_tags", "TokenClassifier")
        if not 0 <= dropout < 1:
            raise ValueError(f"TokenClassifier: `dropout` must be in [0, 1), received {dropout!r}.")
        self.num_tags = num_tags
        self.dropout = dropout
        # Like Dense: a padding mask from upstream flows on (e.g. to a CRF).
        self.supports_masking = True
        self.kernel_initializer = keras.initializers.get(
            kernel_initializer or keras.initializers.TruncatedNormal(stddev=0.02)
        )

    def build(self, input_shape):
        self.dropout_layer = keras.layers.Dropout(
            self.dropout, dtype=self.dtype_policy, name="dropout"
        )
        self.classifier_dense = keras.layers.Dense(
            self.num_tags,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name="classifier",
        )
        self.classifier_dense.build(input_shape)
        self.built = True

    def call(self, inputs, training=None):
        return self.classifier_dense(self.dropout_layer(inputs, training=training))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.num_tags)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_tags": self.num_tags,
                "dropout": self.dropout,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            }
        )
        return config
