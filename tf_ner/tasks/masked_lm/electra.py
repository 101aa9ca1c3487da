"""Replaced-token detection (ELECTRA, Clark et al. 2020) on the BERT encoder.

A small masked-LM *generator* fills the masked positions of a row with tokens sampled
from its predictions; the *discriminator*, the BERT encoder `bert/` that fine-tuning
keeps, tells for every token of the row whether it is the original or a replacement.
Its loss covers every token, not the 15% a masked LM predicts, which is why ELECTRA
learns more per step than BERT at a small size.

Here the generator is the discriminator's width with fewer layers (`generator/encoder/
layer_N/`), and shares the discriminator's whole embedding layer (`bert/embeddings`:
tokens, positions, segments): its masked-LM head `generator_predictions/` is tied to
the shared word embeddings. The written checkpoint is a Google-format BERT folder
(`bert/` names), plus the generator and the discriminator's head.

Loss: `L_mlm(generator) + discriminator_weight * L_disc`, where `L_disc` is the mean
sigmoid cross-entropy over the real tokens of the batch (not padding) and a sample
that happens to be the original token counts as original (the paper's weight: 50).
No gradient flows through the sampling.
"""

import dataclasses
import math

import keras
import tensorflow as tf

from tf_ner.bert.modeling import BertEncoder, BertMLMHead, _LayerStack, activation, attention_bias
from tf_ner.data.masked_lm import WITH_ORIGINAL_SPEC
from tf_ner.losses import masked_token_crossentropy, replaced_token_detection_loss
from tf_ner.metrics import TokenAccuracy
from tf_ner.tasks.base import forward_function

# The label of the padding of a row's predictions (as the masked-LM task's).
NO_PREDICTION = -1
SAMPLE_SEED_AT_INFERENCE = 1234


def replace_at_positions(original, positions, valid, replacements):
    """`original` with `replacements` written at `positions` where `valid`.

    Args:
        original: int32 `[batch, length]`.
        positions: int32 `[batch, P]`, positions in their row.
        valid: bool `[batch, P]`, which of them to write.
        replacements: int32 `[batch, P]`.

    Returns:
        int32 `[batch, length]`.
    """
    batch = tf.shape(positions)[0]
    rows = tf.broadcast_to(tf.range(batch)[:, tf.newaxis], tf.shape(positions))
    index = tf.stack([rows, positions], axis=-1)
    return tf.tensor_scatter_nd_update(
        original, tf.boolean_mask(index, valid), tf.boolean_mask(replacements, valid)
    )


@keras.saving.register_keras_serializable(package="tf_ner")
class Generator(keras.layers.Layer):
    """The masked-LM generator: shared embeddings, its own layers and tied head.

    Args:
        embeddings: the discriminator's `BertEmbeddings` (built).
        config: the generator's `BertConfig` (the discriminator's, fewer layers).

    Call arguments:
        token_ids, segment_ids: int32 `[batch, length]`.
        positions: int32 `[batch, P]`, the masked positions.

    Returns:
        Logits `[batch, P, vocab_size]`.
    """

    def __init__(self, embeddings, config, **kwargs):
        super().__init__(**kwargs)
        self.embeddings = embeddings
        self.config = config

    def build(self, input_shape):
        hidden = (None, None, self.config.hidden_size)
        self.stack = _LayerStack(self.config, name="encoder", dtype=self.dtype_policy)
        self.stack.build(hidden)
        self.head = BertMLMHead(self.config, name="predictions", dtype=self.dtype_policy)
        self.head.build((hidden, (self.config.vocab_size, self.config.hidden_size)))
        self.built = True

    def call(self, token_ids, segment_ids, positions, training=None):
        hidden = self.embeddings(token_ids, segment_ids, training=training)
        states = self.stack(hidden, attention_bias(token_ids, hidden.dtype), training=training)
        gathered = tf.gather(states[-1], positions, batch_dims=1)
        return self.head((gathered, self.embeddings.word_embeddings))


@keras.saving.register_keras_serializable(package="tf_ner")
class DiscriminatorHead(keras.layers.Layer):
    """`discriminator_predictions`: dense + activation, then one logit per token."""

    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.config = config

    def build(self, input_shape):
        initializer = keras.initializers.TruncatedNormal(stddev=self.config.initializer_range)
        self.dense = keras.layers.Dense(
            self.config.hidden_size, activation=activation(self.config.hidden_act),
            kernel_initializer=initializer, name="dense", dtype=self.dtype_policy,
        )  # fmt: skip
        self.dense.build(input_shape)
        self.prediction = keras.layers.Dense(
            1, kernel_initializer=initializer, name="dense_prediction", dtype=self.dtype_policy
        )
        self.prediction.build(tuple(input_shape[:-1]) + (self.config.hidden_size,))
        self.built = True

    def call(self, hidden):
        return self.prediction(self.dense(hidden))[..., 0]


class ReplacedTokenDetection(keras.Model):
    """ELECTRA pre-training: generator and discriminator trained together (see module).

    Args:
        bert_config: the discriminator's `BertConfig` (the encoder fine-tuning keeps).
        generator_layers: int, the generator's layers (of the discriminator's width).
        discriminator_weight: float, the weight of the discriminator's loss (50).
        seed: int, of the samples drawn in training.

    Call arguments:
        inputs: dict of int32 tensors: `token_ids` (masked) and `segment_ids` `[batch,
            length]`, `masked_positions` `[batch, P]` (0 where no prediction: position 0
            is always `[CLS]`), `original_ids` `[batch, length]` (the row unmasked).

    Returns:
        dict: `"generator"` logits `[batch, P, vocab]`, `"discriminator_input"` int32
        `[batch, length]` (the row with the samples), `"discriminator"` logits
        `[batch, length]`, `"replaced"` float 0/1 `[batch, length]` (the discriminator's
        labels), `"real"` float 0/1 `[batch, length]` (not padding).

    `fit` takes the masked-LM labels `[batch, P]` (original ids, -1 where no
    prediction) as its targets; the loss is the module's.
    """

    def __init__(self, bert_config, generator_layers=1, discriminator_weight=50.0, seed=0,
                 **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        self.bert_config = bert_config
        self.generator_layers = generator_layers
        self.discriminator_weight = discriminator_weight
        tokens = (None, None)
        # Built here, outside the model's name scope: the variable paths are the
        # checkpoint's names (`bert/...`, `generator/...`, `discriminator_predictions/...`).
        self.encoder = BertEncoder(bert_config, with_pooler=False)
        self.encoder.build((tokens, tokens))
        generator_config = dataclasses.replace(bert_config, num_hidden_layers=generator_layers)
        self.generator = Generator(self.encoder.embeddings, generator_config, name="generator")
        self.generator.build(tokens)
        self.discriminator_head = DiscriminatorHead(bert_config, name="discriminator_predictions")
        self.discriminator_head.build((None, None, bert_config.hidden_size))
        self.sampler = keras.random.SeedGenerator(seed, name="sampler")
        self.generator_accuracy = TokenAccuracy(name="accuracy")
        self.discriminator_accuracy = keras.metrics.Mean(name="discriminator_accuracy")
        self.built = True

    def call(self, inputs, training=False):
        token_ids = tf.cast(inputs["token_ids"], tf.int32)
        segment_ids = tf.cast(inputs["segment_ids"], tf.int32)
        positions = tf.cast(inputs["masked_positions"], tf.int32)
        original = tf.cast(inputs["original_ids"], tf.int32)
        generated = self.generator(token_ids, segment_ids, positions, training=training)
        flat = tf.reshape(tf.cast(generated, tf.float32), [-1, tf.shape(generated)[-1]])
        seed = self.sampler if training else SAMPLE_SEED_AT_INFERENCE
        samples = keras.random.categorical(flat, 1, seed=seed, dtype="int32")
        samples = tf.stop_gradient(tf.reshape(samples, tf.shape(positions)))
        replaced_ids = replace_at_positions(original, positions, positions > 0, samples)
        encoded = self.encoder((replaced_ids, segment_ids), training=training)
        real = tf.cast(tf.not_equal(original, 0), tf.float32)
        return {
            "generator": generated,
            "discriminator_input": replaced_ids,
            "discriminator": self.discriminator_head(encoded["sequence_output"]),
            "replaced": tf.cast(tf.not_equal(replaced_ids, original), tf.float32) * real,
            "real": real,
        }

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = rtd_loss(y, y_pred, self.discriminator_weight)
        # As Keras's compiled losses: each of N replicas contributes 1/N of the mean.
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        return loss / replicas if replicas > 1 else loss

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        self.generator_accuracy.update_state(y, y_pred["generator"])
        self.discriminator_accuracy.update_state(
            discriminator_right(y_pred), sample_weight=y_pred["real"]
        )
        return self.get_metrics_result()

    def get_config(self):
        return {
            **super().get_config(),
            "bert_config": self.bert_config.to_dict(),
            "generator_layers": self.generator_layers,
            "discriminator_weight": self.discriminator_weight,
        }


def rtd_loss(labels, outputs, discriminator_weight):
    """The generator's masked-LM loss plus the weighted discriminator loss."""
    return replaced_token_detection_loss(
        labels, outputs["generator"], outputs["discriminator"], outputs["replaced"],
        outputs["real"], discriminator_weight=discriminator_weight,
        ignore_label=NO_PREDICTION,
    )  # fmt: skip


def discriminator_right(outputs):
    """1.0 where the discriminator's logit (> 0: replaced) is right, per token."""
    said_replaced = tf.cast(outputs["discriminator"] > 0, tf.float32)
    return tf.cast(tf.equal(said_replaced, outputs["replaced"]), tf.float32)


def electra_scores(model, data):
    """Held-out scores of a `ReplacedTokenDetection` over `MaskedLmData` (with original
    ids), in inference mode (samples drawn with a fixed seed, so evaluations compare).

    Returns:
        dict: `"accuracy"` (the generator's masked-token accuracy), `"perplexity"`
        (the generator's), `"discriminator_accuracy"` (over every real token),
        `"labelled": {"loss"}` (ELECTRA's loss, the mean over rows).
    """
    forward = forward_function(model, WITH_ORIGINAL_SPEC)
    accuracy = TokenAccuracy(name="accuracy")
    sums = {"loss": 0.0, "rows": 0, "nll": 0.0, "predictions": 0.0, "right": 0.0, "real": 0.0}
    for features, labels in data.dataset:
        outputs = forward(features)
        rows = int(features["token_ids"].shape[0])
        sums["loss"] += float(rtd_loss(labels, outputs, model.discriminator_weight)) * rows
        sums["rows"] += rows
        predicted = float(tf.reduce_sum(tf.cast(labels != NO_PREDICTION, tf.float32)))
        nll = masked_token_crossentropy(labels, outputs["generator"], ignore_label=NO_PREDICTION)
        sums["nll"] += float(nll) * predicted
        sums["predictions"] += predicted
        sums["right"] += float(tf.reduce_sum(discriminator_right(outputs) * outputs["real"]))
        sums["real"] += float(tf.reduce_sum(outputs["real"]))
        accuracy.update_state(labels, outputs["generator"])
    generator_loss = sums["nll"] / max(sums["predictions"], 1.0)
    return {
        "accuracy": float(accuracy.result()),
        "perplexity": math.exp(min(generator_loss, 700.0)),
        "discriminator_accuracy": sums["right"] / max(sums["real"], 1.0),
        "labelled": {"loss": sums["loss"] / max(sums["rows"], 1)},
    }


def generator_model(electra):
    """The generator of a (loaded) `ReplacedTokenDetection` as a masked-LM model: inputs
    `token_ids`, `segment_ids`, `masked_positions`, output the logits `[batch, P,
    vocab]` (what `MaskFiller` reads)."""
    token_ids = keras.Input((None,), dtype="int32", name="token_ids")
    segment_ids = keras.Input((None,), dtype="int32", name="segment_ids")
    positions = keras.Input((None,), dtype="int32", name="masked_positions")
    logits = electra.generator(token_ids, segment_ids, positions)
    inputs = {"token_ids": token_ids, "segment_ids": segment_ids, "masked_positions": positions}
    return keras.Model(inputs, logits, name="electra_generator")
