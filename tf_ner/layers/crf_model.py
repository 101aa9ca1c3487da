"""CRFModel: trains a CRF head with `model.fit` and decodes in `predict`."""

import keras
import tensorflow as tf

from tf_ner.layers.crf import CRF


@keras.saving.register_keras_serializable(package="tf_ner")
class CRFModel(keras.Model):
    """Puts a `CRF` on a model that outputs emissions, for `fit`/`evaluate`/`predict`.

    A CRF's loss needs its own transitions and the mask, which a Keras loss
    `(y_true, y_pred)` does not see; this model computes the loss itself: the mean
    over examples of `-crf.log_likelihood(emissions, y, mask)` (weighted by
    `sample_weight` when given), plus any regularisation losses. Compile it with an
    optimizer and no `loss`.

    Args:
        emission_model: a `keras.Model` (or layer) mapping the inputs to either the
            emissions `[batch, length, num_tags]` or a pair `(emissions, mask)` with
            `mask` bool or 0/1 `[batch, length]`, 0 for positions outside the chain
            (padding, `[CLS]`/`[SEP]`, non-first sub-tokens). Without a mask every
            position is in the chain.
        crf: a `CRF` layer whose `num_tags` matches the emissions.
        **kwargs: standard `keras.Model` arguments (`name`, ...).

    Call returns:
        A dict: `"tags"` int32 `[batch, length]` (Viterbi, 0 where masked; left out
        with `training=True`, where the loss needs no decoding),
        `"emissions"` float32 `[batch, length, num_tags]`, `"mask"` bool
        `[batch, length]`. `predict` returns the same dict of arrays.

    Labels (`y` in `fit`): int `[batch, length]` tags; positions outside the chain
    are ignored (use -100 there). Metrics given to `compile` receive `y` and the
    decoded `"tags"`, with the mask as sample weight.

    Example:
    ```python
    token_ids = keras.Input((None,), dtype="int32")
    hidden = keras.layers.Embedding(vocab_size, 32)(token_ids)
    emissions = keras.layers.Dense(num_tags)(hidden)
    mask = keras.ops.not_equal(token_ids, 0)
    model = CRFModel(keras.Model(token_ids, (emissions, mask)), CRF(num_tags, lr_multiplier=100))
    model.compile(optimizer="adam")
    model.fit(token_ids_array, tags_array, epochs=3)
    tags = model.predict(token_ids_array)["tags"]
    ```
    """

    def __init__(self, emission_model, crf, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(crf, CRF):
            raise ValueError(f"CRFModel: `crf` must be a tf_ner.layers.CRF, received {crf!r}.")
        self.emission_model = emission_model
        self.crf = crf
        if not crf.built:
            crf.build((None, None, crf.num_tags))
        # Both parts are built, so the model is too (BackupAndRestore and
        # `count_params` need a built model before the first batch).
        self.built = True

    def build(self, input_shape=None):
        # The emission model is built by construction, the CRF in __init__.
        self.built = True

    def call(self, inputs, training=None):
        outputs = self.emission_model(inputs, training=training)
        if isinstance(outputs, list | tuple):
            emissions, mask = outputs
            mask = tf.cast(mask, tf.bool)
        else:
            emissions = outputs
            mask = tf.ones(tf.shape(emissions)[:2], tf.bool)
        outputs = {"emissions": tf.cast(emissions, tf.float32), "mask": mask}
        if not training:
            outputs["tags"] = self.crf(emissions, mask=mask)
        return outputs

    def compile(self, optimizer="rmsprop", loss=None, **kwargs):
        if loss is not None:
            raise ValueError(
                "CRFModel computes its own loss (the CRF negative log-likelihood); "
                f"compile it without `loss`, received loss={loss!r}."
            )
        super().compile(optimizer=optimizer, **kwargs)

    def compile_from_config(self, config):
        # Keras skips this for models that override `compile`; restore it on load.
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        nll = -self.crf.log_likelihood(y_pred["emissions"], y, y_pred["mask"])
        if sample_weight is None:
            loss = tf.reduce_mean(nll)
        else:
            weights = tf.reshape(tf.cast(sample_weight, tf.float32), [-1])
            loss = tf.reduce_sum(nll * weights) / tf.cast(tf.size(nll), tf.float32)
        for extra in self.losses:
            loss += tf.cast(tf.reduce_sum(extra), tf.float32)
        # Like Keras's compiled losses: each replica's share of the global mean, so the
        # sum of the replicas' gradients is the gradient of the global batch.
        return loss / tf.distribute.get_strategy().num_replicas_in_sync

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        if self._compile_metrics is None:
            # No metric reads the tags: skip Viterbi (a training step leaves it out).
            return self.get_metrics_result()
        weights = tf.cast(y_pred["mask"], tf.float32)
        if sample_weight is not None:
            weights *= tf.reshape(tf.cast(sample_weight, tf.float32), [-1, 1])
        tags = (
            y_pred["tags"]
            if "tags" in y_pred
            else self.crf.decode(y_pred["emissions"], y_pred["mask"])
        )
        return super().compute_metrics(x, y, tags, sample_weight=weights)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "emission_model": keras.saving.serialize_keras_object(self.emission_model),
                "crf": keras.saving.serialize_keras_object(self.crf),
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["emission_model"] = keras.saving.deserialize_keras_object(config["emission_model"])
        config["crf"] = keras.saving.deserialize_keras_object(config["crf"])
        return cls(**config)
