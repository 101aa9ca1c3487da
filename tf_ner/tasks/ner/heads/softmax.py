"""The softmax head: a tag per word, read on each word's first sub-token."""

from tf_ner.tasks.ner.heads.base import TagHead


class SoftmaxHead(TagHead):
    """A `TokenClassifier` over the tags; the first sub-token of each word carries its
    word's tag (the rest are ignored by the loss, as in BERT's paper).

    Outputs: tag logits `[batch, length, tags]`. Loss: masked token cross-entropy.
    SavedModel: `tags` (argmax, 0 on padding).
    """

    name = "softmax"
    first_subtoken_only = True
    loss_over_windows = False  # a mean over the batch's labelled tokens, as Hugging Face's

    def build_model(self, inputs, hidden, settings, dropout):
        import keras

        from tf_ner.layers import TokenClassifier

        num_tags = self.labeler(settings).num_tags
        logits = TokenClassifier(num_tags, dropout=dropout, name="classifier")(hidden)
        return keras.Model(inputs, logits, name="ner_softmax")

    def loss(self, settings):
        from tf_ner.losses import masked_token_crossentropy

        return masked_token_crossentropy

    def serving_outputs(self, outputs, token_ids):
        import tensorflow as tf

        tags = tf.argmax(outputs, axis=-1, output_type=tf.int32)
        return {"tags": tf.where(tf.not_equal(token_ids, 0), tags, 0)}


HEAD = SoftmaxHead()
