"""`NerHead`: what one NER head owns, and the parts tag heads share.

A head turns the encoder's hidden states into outputs, says how they are trained
(labels, loss, Keras metrics), and how they are read back: the per-window rows that
its labeler decodes into character spans, a confidence for each span, and the
outputs of the exported SavedModel.

A head's module imports Keras and TensorFlow inside the methods that build, train and
export the model: reading outputs into spans and scores needs neither, so an ONNX
predictor runs without them.
"""

import numpy as np

from tf_ner.data.encoding import TagLabeler
from tf_ner.ground.probabilities import softmax
from tf_ner.tasks.ner.heads.settings import TagSettings


class NerHead:
    """Base of the NER heads; a subclass is registered with `register_head`.

    A head's own settings are a frozen dataclass, its `settings_type` (fields made by
    `tf_ner.ground.settings.setting` become `tf-ner train` flags); every method that
    takes `settings` gets the task's `NerSettings`, the head's own in
    `settings.head_settings`.

    Attributes:
        name: str, the `--head` value.
        settings_type: the dataclass of the head's own settings.
        nested: bool, whether the head holds nested and overlapping entities.
        loss_over_windows: bool, whether the loss is a mean over a batch's windows
            (then batches of varying window counts, `--batch-tokens`, are weighted so
            that every window weighs the same); False for a mean over tokens.
    """

    name = None
    settings_type = None
    nested = False
    loss_over_windows = True

    def labeler(self, settings):
        """The labeler (`tf_ner.data.encoding`) that maps spans to this head's labels."""
        raise NotImplementedError

    def build_model(self, inputs, hidden, settings, dropout):
        """The model on the encoder.

        Args:
            inputs: dict of `keras.Input`s, `{"token_ids", "segment_ids"}`.
            hidden: the encoder's sequence output `[batch, length, H]`.
            settings: `NerSettings`.
            dropout: float, dropout rate before the head.

        Returns:
            A `keras.Model` over `inputs`.
        """
        raise NotImplementedError

    def loss(self, settings):
        """The Keras loss for `compile` (None when the model computes its own)."""
        raise NotImplementedError

    def compile(self, model, optimizer, settings, jit_compile=False):
        model.compile(optimizer=optimizer, loss=self.loss(settings), jit_compile=jit_compile)

    def evaluation_loss(self, model, settings):
        """`(labels, outputs) -> mean loss` of a batch, the training loss in inference mode."""
        return self.loss(settings)

    def metric_outputs(self, outputs):
        """What the head's Keras metrics read from the model's outputs."""
        return outputs

    def metrics(self, settings):
        """Fresh Keras metrics over (labels, outputs) for evaluation: entity F1 at least."""
        raise NotImplementedError

    def decodable(self, outputs):
        """The per-window rows (numpy, one per batch row) that the labeler decodes."""
        return np.asarray(outputs)

    def score_rows(self, outputs):
        """The per-window rows (numpy) that `span_scores` reads."""
        return np.asarray(outputs)

    def span_scores(self, settings, decoded, score_row, encoding, spans):
        """Confidence in [0, 1] of each decoded span of one window (not calibrated).

        Args:
            settings: `NerSettings`.
            decoded: the window's decodable row.
            score_row: the window's score row.
            encoding: the window's `Encoding`.
            spans: its decoded `(start, end, type)` spans.

        Returns:
            list of float, one per span.
        """
        raise NotImplementedError

    def serving_outputs(self, outputs, token_ids):
        """The SavedModel's outputs: a dict of tensors (documented by each head)."""
        raise NotImplementedError


def token_positions(encoding):
    """`(first, last)`: dicts from a character start/end to its first/last token."""
    first, last = {}, {}
    for i, (start, end) in enumerate(encoding.offsets):
        if end > start:
            first.setdefault(start, i)
            last[end] = i
    return first, last


class TagHead(NerHead):
    """A head that predicts one tag per position (CRF, softmax).

    Confidence of a span: the mean, over its tokens, of the probability of the decoded
    tag under a softmax of the token's scores.
    """

    first_subtoken_only = False

    settings_type = TagSettings

    def labeler(self, settings):
        scheme = settings.head_settings.scheme
        return TagLabeler(settings.types, scheme, self.first_subtoken_only)

    def metrics(self, settings):
        from tf_ner.metrics import EntityF1, TokenAccuracy

        tags = self.labeler(settings).tags
        return [EntityF1(tags=tags, scheme=settings.head_settings.scheme), TokenAccuracy()]

    def decodable(self, outputs):
        """Tag ids `[batch, length]`; tag logits `[batch, length, tags]` are read by their
        argmax, once for the whole batch (so `span_scores` always gets ids)."""
        outputs = np.asarray(outputs)
        return outputs.argmax(axis=-1) if outputs.ndim == 3 else outputs

    def span_scores(self, settings, decoded, score_row, encoding, spans):
        if not spans:
            return []
        first, last = token_positions(encoding)
        probabilities = softmax(score_row)
        tags = np.asarray(decoded)
        chosen = probabilities[np.arange(len(tags)), tags]
        return [float(chosen[first[s] : last[e] + 1].mean()) for s, e, _ in spans]
