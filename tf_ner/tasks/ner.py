"""NER as a task: the BERT encoder plus one head, its loss, and decoding to character spans."""

import collections
import dataclasses
import json
import logging
import pathlib
import weakref

import keras
import numpy as np
import tensorflow as tf

from tf_ner.bert.modeling import BertEncoder
from tf_ner.data.encoding import HEADS, make_labeler
from tf_ner.data.pipeline import FEATURES_SPEC, make_prediction_batches
from tf_ner.data.windows import window_capacity
from tf_ner.layers import CRF, CRFModel, EfficientGlobalPointer, GlobalPointer, TokenClassifier
from tf_ner.losses import masked_token_crossentropy, sparse_global_pointer_loss
from tf_ner.metrics import prf

SETTINGS_FILE = "ner_settings.json"

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class NerSettings:
    """Everything besides the encoder that a trained NER model needs to run again.

    Args:
        head: one of `"crf"`, `"softmax"`, `"globalpointer"`, `"efficient_globalpointer"`.
        types: entity types (sorted; a type's id is its index).
        scheme: tag scheme of the tag heads, `"BIO"` or `"BIOES"`.
        max_length: tokens per window, [CLS] and [SEP] included.
        stride: tokens shared by consecutive windows of a long text.
        head_size: query/key size of the GlobalPointer heads.
        crf_lr_multiplier: learning-rate multiplier of the CRF transitions.
        do_lower_case: the tokenizer's casing.
    """

    head: str
    types: tuple
    scheme: str = "BIO"
    max_length: int = 128
    stride: int = 32
    head_size: int = 64
    crf_lr_multiplier: float = 1.0
    do_lower_case: bool = True

    def __post_init__(self):
        if self.head not in HEADS:
            raise ValueError(f"head {self.head!r} is unknown; expected one of {', '.join(HEADS)}")
        object.__setattr__(self, "types", tuple(sorted(set(self.types))))
        if not self.types:
            raise ValueError("types is empty: the training data holds no entity")
        if self.scheme not in ("BIO", "BIOES"):
            raise ValueError(f"scheme {self.scheme!r}: expected 'BIO' or 'BIOES'")
        window_capacity(self.max_length, self.stride)

    def labeler(self):
        return make_labeler(self.head, self.types, self.scheme)

    def save(self, folder):
        path = pathlib.Path(folder) / SETTINGS_FILE
        path.write_text(json.dumps(dataclasses.asdict(self), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder):
        path = pathlib.Path(folder) / SETTINGS_FILE
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: is {folder} a tf_ner model folder?")
        values = json.loads(path.read_text(encoding="utf-8"))
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - fields)
        if unknown:
            raise ValueError(f"{path}: unknown key(s) {unknown}; expected {sorted(fields)}")
        return cls(**values)


def span_mask(token_ids):
    """Positions that may hold an entity: not padding, not [CLS] (first), not [SEP] (last).

    Args:
        token_ids: int `[batch, length]`, [CLS] first and [SEP] last of each row.

    Returns:
        bool `[batch, length]`.
    """
    valid = tf.not_equal(token_ids, 0)
    lengths = tf.reduce_sum(tf.cast(valid, tf.int32), axis=1, keepdims=True)
    positions = tf.range(tf.shape(token_ids)[1])[tf.newaxis, :]
    return valid & (positions > 0) & (positions < lengths - 1)


@keras.saving.register_keras_serializable(package="tf_ner")
class TokenMask(keras.layers.Layer):
    """bool `[batch, length]`: the tokens that are not padding (id 0)."""

    def call(self, token_ids):
        return tf.not_equal(token_ids, 0)


@keras.saving.register_keras_serializable(package="tf_ner")
class SpanMask(keras.layers.Layer):
    """bool `[batch, length]`: `span_mask` of the token ids."""

    def call(self, token_ids):
        return span_mask(token_ids)


def build_ner_model(bert_config, settings):
    """The encoder and the head of `settings` as a Keras model, ready to compile.

    Args:
        bert_config: `BertConfig` of the encoder.
        settings: `NerSettings`.

    Returns:
        A `keras.Model` over inputs `{"token_ids", "segment_ids"}` (int32
        `[batch, length]`). CRF: a `CRFModel` whose outputs hold `"tags"`; softmax:
        tag logits `[batch, length, tags]`; GlobalPointer heads: span logits
        `[batch, types, length, length]`. The encoder is the layer named `bert`.
    """
    token_ids = keras.Input((None,), dtype="int32", name="token_ids")
    segment_ids = keras.Input((None,), dtype="int32", name="segment_ids")
    inputs = {"token_ids": token_ids, "segment_ids": segment_ids}
    encoder = BertEncoder(bert_config, with_pooler=False)
    hidden = encoder((token_ids, segment_ids))["sequence_output"]
    labeler = settings.labeler()
    dropout = bert_config.hidden_dropout_prob
    if settings.head == "crf":
        emissions = TokenClassifier(labeler.num_tags, dropout=dropout, name="emissions")(hidden)
        mask = TokenMask(name="token_mask")(token_ids)
        emission_model = keras.Model(inputs, (emissions, mask), name="emission_model")
        crf = CRF(labeler.num_tags, lr_multiplier=settings.crf_lr_multiplier, name="crf")
        return CRFModel(emission_model, crf, name="ner_crf")
    if settings.head == "softmax":
        logits = TokenClassifier(labeler.num_tags, dropout=dropout, name="classifier")(hidden)
        return keras.Model(inputs, logits, name="ner_softmax")
    head_class = GlobalPointer if settings.head == "globalpointer" else EfficientGlobalPointer
    mask = SpanMask(name="span_mask")(token_ids)
    hidden = keras.layers.Dropout(dropout)(hidden)
    logits = head_class(len(settings.types), head_size=settings.head_size, name="global_pointer")(
        hidden, mask=mask
    )
    return keras.Model(inputs, logits, name=f"ner_{settings.head}")


def compile_ner_model(model, settings, optimizer, jit_compile=False):
    """Compiles `model` with the loss of its head."""
    if settings.head == "crf":
        if jit_compile:
            logger.warning(
                "jit_compile=True with the CRF head: XLA runs the CRF's tf.foldl one step "
                "at a time; on CPU a training step was 7x slower than without XLA "
                "(benchmarks/results/throughput.md)"
            )
        model.compile(optimizer=optimizer, jit_compile=jit_compile)
    elif settings.head == "softmax":
        model.compile(optimizer=optimizer, loss=masked_token_crossentropy, jit_compile=jit_compile)
    else:
        model.compile(optimizer=optimizer, loss=sparse_global_pointer_loss, jit_compile=jit_compile)
    return model


_INFERENCE = weakref.WeakKeyDictionary()


def inference_function(model):
    """`model(features, training=False)` as a `tf.function`, one per model.

    Not `predict_on_batch`: under a distribution strategy that runs the whole batch on
    every replica (and across workers), where inference needs no collective at all.
    Its input signature has any batch size and length, so it traces once for all
    bucket lengths.
    """
    if model not in _INFERENCE:
        _INFERENCE[model] = tf.function(
            lambda features: model(features, training=False), input_signature=[FEATURES_SPEC]
        )
    return _INFERENCE[model]


def predict_spans(model, settings, tokenizer, texts, batch_size=32, with_scores=False):
    """Character spans of each text, long texts through overlapping windows.

    Args:
        with_scores: bool, add each span's confidence in [0, 1] (see `span_scores`); a
            span predicted by several overlapping windows gets its highest score.

    Returns:
        list (one per text) of sorted `(start, end, type)` spans, or of
        `(start, end, type, score)` with scores.
    """
    batches = make_prediction_batches(
        texts, tokenizer, settings.max_length, settings.stride, batch_size
    )
    score_rows = collections.deque()  # per window: what its scores are computed from

    forward = inference_function(model)

    def decodable():
        for features in batches.dataset:
            outputs = forward(features)
            if settings.head == "crf":
                score_rows.extend(np.asarray(outputs["emissions"]))
                yield np.asarray(outputs["tags"])
            else:
                score_rows.extend(np.asarray(outputs))
                yield np.asarray(outputs)

    best = [{} for _ in batches.texts]

    def keep_scores(text_index, output, encoding, spans):
        row = score_rows.popleft()
        if with_scores:
            scores = span_scores(settings, output, row, encoding, spans)
            for span, score in zip(spans, scores, strict=True):
                best[text_index][span] = max(score, best[text_index].get(span, 0.0))

    merged = batches.decode(decodable(), settings.labeler(), on_window=keep_scores)
    if not with_scores:
        return merged
    return [[(*span, best[t][span]) for span in spans] for t, spans in enumerate(merged)]


def span_scores(settings, output, score_row, encoding, spans):
    """Confidence of each decoded span of one window, in [0, 1].

    GlobalPointer heads: the sigmoid of the span's logit. Tag heads: the mean, over the
    span's tokens, of the probability of the decoded tag under a softmax of the token's
    scores (the CRF's emissions, or the softmax head's logits). A confidence to rank
    and threshold by, not a calibrated probability.

    Args:
        settings: `NerSettings`.
        output: the window's decoded output (GlobalPointer logits `[types, L, L]`,
            tag ids `[L]` or tag logits `[L, tags]`).
        score_row: GlobalPointer logits, or the per-token scores `[L, tags]`.
        encoding: the window's `Encoding`.
        spans: its decoded `(start, end, type)` spans.

    Returns:
        list of float, one per span.
    """
    first, last = {}, {}
    for i, (start, end) in enumerate(encoding.offsets):
        if end > start:
            first.setdefault(start, i)
            last[end] = i
    if settings.head in ("globalpointer", "efficient_globalpointer"):
        type_ids = {t: k for k, t in enumerate(settings.types)}
        logits = np.asarray(score_row, np.float64)
        cells = [logits[type_ids[t], first[s], last[e]] for s, e, t in spans]
        return [float(1 / (1 + np.exp(-cell))) for cell in cells]
    scores = np.asarray(score_row, np.float64)
    probabilities = np.exp(scores - scores.max(-1, keepdims=True))
    probabilities /= probabilities.sum(-1, keepdims=True)
    tags = np.asarray(output)
    if tags.ndim == 2:
        tags = tags.argmax(-1)
    chosen = probabilities[np.arange(len(tags)), tags]
    return [float(chosen[first[s] : last[e] + 1].mean()) for s, e, _ in spans]


def evaluate_spans(model, settings, tokenizer, examples, batch_size=32):
    """Corpus-level precision/recall/F1 over character spans (see `tf_ner.metrics.prf`)."""
    examples = list(examples)
    predicted = predict_spans(model, settings, tokenizer, [e.text for e in examples], batch_size)
    gold = {(i, *span) for i, e in enumerate(examples) for span in e.entities}
    pred = {(i, *span) for i, spans in enumerate(predicted) for span in spans}
    return prf(gold, pred)
