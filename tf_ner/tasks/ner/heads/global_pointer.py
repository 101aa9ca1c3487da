"""The GlobalPointer head: a logit per (type, first token, last token), nested spans."""

import numpy as np

from tf_ner.data.encoding import SpanLabeler
from tf_ner.ground.probabilities import sigmoid
from tf_ner.tasks.ner.heads.base import NerHead, token_positions
from tf_ner.tasks.ner.heads.settings import GlobalPointerSettings


class GlobalPointerHead(NerHead):
    """`GlobalPointer` (RoPE) span logits, [CLS]/[SEP]/padding masked; a span is an
    entity where its logit is > 0, so nested and overlapping entities come out.

    Outputs: logits `[batch, types, length, length]`. Loss: sparse multi-label
    cross-entropy over spans. Confidence: the sigmoid of the span's logit. SavedModel:
    `logits`.
    """

    name = "globalpointer"
    settings_type = GlobalPointerSettings
    nested = True

    def layer_class(self):
        """The Keras layer of the span logits."""
        from tf_ner.layers import GlobalPointer

        return GlobalPointer

    def labeler(self, settings):
        return SpanLabeler(settings.types)

    def build_model(self, inputs, hidden, settings, dropout):
        import keras

        from tf_ner.tasks.ner.masks import SpanMask

        mask = SpanMask(name="span_mask")(inputs["token_ids"])
        hidden = keras.layers.Dropout(dropout, name="head_dropout")(hidden)
        logits = self.layer_class()(
            len(settings.types), head_size=settings.head_settings.head_size, name="global_pointer"
        )(hidden, mask=mask)
        return keras.Model(inputs, logits, name=f"ner_{self.name}")

    def loss(self, settings):
        from tf_ner.losses import sparse_global_pointer_loss

        return sparse_global_pointer_loss

    def metrics(self, settings):
        from tf_ner.metrics import EntityF1

        return [EntityF1()]

    def span_scores(self, settings, decoded, score_row, encoding, spans):
        first, last = token_positions(encoding)
        type_ids = {t: k for k, t in enumerate(settings.types)}
        logits = np.asarray(score_row)
        cells = [logits[type_ids[t], first[s], last[e]] for s, e, t in spans]
        return [float(p) for p in sigmoid(cells)]

    def serving_outputs(self, outputs, token_ids):
        import tensorflow as tf

        return {"logits": tf.cast(outputs, tf.float32)}


HEAD = GlobalPointerHead()
