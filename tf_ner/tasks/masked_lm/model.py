"""The masked-LM model: the encoder, the masked positions gathered, Google's MLM head."""

import keras
import tensorflow as tf

from tf_ner.bert.modeling import BertEncoder, BertMLMHead


@keras.saving.register_keras_serializable(package="tf_ner")
class GatherPositions(keras.layers.Layer):
    """`[batch, length, H]` states at `[batch, P]` positions -> `[batch, P, H]`.

    Only the masked positions go through the MLM head (Google's `gather_indexes`):
    its vocabulary-sized projection is then paid for 15% of the tokens, not all.
    """

    def call(self, states, positions):
        return tf.gather(states, tf.cast(positions, tf.int32), batch_dims=1)


def build_masked_lm_model(bert_config):
    """Inputs `token_ids`, `segment_ids` `[batch, length]`, `masked_positions` `[batch, P]`;
    output: the MLM logits `[batch, P, vocab_size]` at those positions.

    No pooler: without next-sentence prediction nothing would train it, so the written
    checkpoint leaves it out (a task that uses it initialises it, as `--reinit-pooler`).
    """
    token_ids = keras.Input((None,), dtype="int32", name="token_ids")
    segment_ids = keras.Input((None,), dtype="int32", name="segment_ids")
    positions = keras.Input((None,), dtype="int32", name="masked_positions")
    encoded = BertEncoder(bert_config, with_pooler=False)((token_ids, segment_ids))
    gathered = GatherPositions(name="gather_masked")(encoded["sequence_output"], positions)
    logits = BertMLMHead(bert_config)((gathered, encoded["word_embeddings"]))
    inputs = {"token_ids": token_ids, "segment_ids": segment_ids, "masked_positions": positions}
    return keras.Model(inputs, logits, name="masked_lm")
