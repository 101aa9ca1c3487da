"""The CRF head: per-token emissions and a linear-chain CRF over the window's tokens."""

import logging

import numpy as np

from tf_ner.tasks.ner.heads.base import TagHead
from tf_ner.tasks.ner.heads.settings import CrfSettings

logger = logging.getLogger(__name__)


class CrfHead(TagHead):
    """Emissions from a `TokenClassifier`, a `CRF` over the text's tokens ([CLS], [SEP]
    and padding outside the chain); Viterbi decoding in the graph.

    Outputs (`CRFModel`): a dict with `"tags"` int32 `[batch, length]` (0 outside the
    chain), `"emissions"` `[batch, length, tags]` and `"mask"`. Loss: the CRF's
    negative log-likelihood, computed by the model. SavedModel: `tags`.
    """

    name = "crf"
    settings_type = CrfSettings

    def build_model(self, inputs, hidden, settings, dropout):
        import keras

        from tf_ner.layers import CRF, CRFModel, TokenClassifier
        from tf_ner.tasks.ner.masks import SpanMask

        labeler = self.labeler(settings)
        emissions = TokenClassifier(labeler.num_tags, dropout=dropout, name="emissions")(hidden)
        mask = SpanMask(name="span_mask")(inputs["token_ids"])
        emission_model = keras.Model(inputs, (emissions, mask), name="emission_model")
        multiplier = settings.head_settings.crf_lr_multiplier
        crf = CRF(labeler.num_tags, lr_multiplier=multiplier, name="crf")
        return CRFModel(emission_model, crf, name="ner_crf")

    def loss(self, settings):
        return None

    def compile(self, model, optimizer, settings, jit_compile=False):
        if jit_compile:
            logger.warning(
                "jit_compile=True with the CRF head: XLA runs the CRF's tf.foldl one step "
                "at a time; on CPU a training step was 7x slower than without XLA "
                "(benchmarks/results/throughput.md)"
            )
        model.compile(optimizer=optimizer, jit_compile=jit_compile)

    def evaluation_loss(self, model, settings):
        import tensorflow as tf

        def negative_log_likelihood(labels, outputs):
            likelihood = model.crf.log_likelihood(outputs["emissions"], labels, outputs["mask"])
            return -tf.reduce_mean(likelihood)

        return negative_log_likelihood

    def metric_outputs(self, outputs):
        return outputs["tags"]

    def decodable(self, outputs):
        return np.asarray(outputs["tags"])

    def score_rows(self, outputs):
        return np.asarray(outputs["emissions"])

    def serving_outputs(self, outputs, token_ids):
        import tensorflow as tf

        return {"tags": tf.cast(outputs["tags"], tf.int32)}


HEAD = CrfHead()
