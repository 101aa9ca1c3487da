"""NER as a task: the encoder plus one registered head, decoded to character spans.

Keras and TensorFlow are imported by the methods that build, train and evaluate the
model (the heads' likewise): a folder's ONNX graph predicts spans without them.
"""

import collections
import dataclasses

from tf_ner.data import read_dataset, write_dataset
from tf_ner.data.prediction_batches import make_prediction_batches
from tf_ner.ground.errors import InputError
from tf_ner.ground.settings import resolved
from tf_ner.metrics import prf
from tf_ner.tasks.base import Task, forward_function, outputs_ahead
from tf_ner.tasks.ner.heads import HEADS
from tf_ner.tasks.ner.recognizer import Recognizer
from tf_ner.tasks.ner.report import format_scores, scores_json
from tf_ner.tasks.ner.settings import NerSettings

# The head's settings that tf_ner 0.1.0 saved among the task's (`upgraded`).
FLAT_HEAD_SETTINGS = ("scheme", "head_size", "crf_lr_multiplier")


class NerTask(Task):
    """Entities as character spans; the head (`settings.head`) sets labels and outputs.

    Scores: corpus-level precision/recall/F1 over the spans predicted for whole texts
    (windows merged), the loss and the head's Keras metrics over the labelled windows,
    and the gold entities no label could hold.
    """

    name = "ner"
    settings_type = NerSettings
    selection_metric = "f1"
    predictor_class = Recognizer

    def __init__(self, settings):
        super().__init__(settings)
        self.head = HEADS.get(settings.head)
        self.labeler = self.head.labeler(settings)

    @classmethod
    def read(cls, path, format="auto", repair=False):
        examples, info = read_dataset(path, format=format, repair=repair, return_info=True)
        return examples, info.format

    @classmethod
    def write(cls, examples, path, format="auto"):
        """Writes with `write_dataset`; `"auto"` writes jsonl (nested entities included)."""
        write_dataset(examples, path, "jsonl" if format == "auto" else format)

    @classmethod
    def trivial_scores(cls, train_examples, examples, settings):
        """The empty prediction: no entity in any text (F1 0 whenever there are entities)."""
        gold = {(i, *span) for i, e in enumerate(examples) for span in e.entities}
        scores = prf(gold, set())
        return "the empty prediction (no entity)", {
            k: scores[k] for k in ("precision", "recall", "f1")
        }

    @classmethod
    def from_training(cls, settings, examples, tokenizer, situation):
        types = {t for e in examples for _, _, t in e.entities}
        if not types:
            raise InputError("the training data holds no entity: nothing to learn")
        settings = resolved(settings, situation)
        return cls(
            dataclasses.replace(
                settings, types=types, do_lower_case=tokenizer.do_lower_case,
                fold_width=tokenizer.fold_width,
            )  # fmt: skip
        )

    @staticmethod
    def upgraded(values):
        """tf_ner 0.1.0 saved the head's settings among the task's (`FLAT_HEAD_SETTINGS`)."""
        if "head_settings" in values:
            return values
        flat = {k: values.pop(k) for k in FLAT_HEAD_SETTINGS if k in values}
        own = {f.name for f in dataclasses.fields(HEADS.settings_type(values["head"]))}
        values["head_settings"] = {k: v for k, v in flat.items() if k in own}
        return values

    def check(self, examples, path):
        known = set(self.settings.types)
        for example in examples:
            for _, _, type_ in example.entities:
                if type_ not in known:
                    raise InputError(
                        f"{path} ({example.source or 'an example'}): entity type {type_!r} is "
                        f"unknown to the model (it knows {', '.join(self.settings.types)}: the "
                        f"types of its training data); it cannot predict it"
                    )

    def describe(self):
        s = self.settings
        return f"{len(s.types)} types ({', '.join(s.types)}), head {s.head}"

    def labelled_data(
        self, examples, tokenizer, batch_size, shuffle=False, seed=0, buckets=None,
        batch_tokens=None, multiple=1,
    ):  # fmt: skip
        from tf_ner.data.pipeline import make_dataset

        s = self.settings
        return make_dataset(
            examples, tokenizer, self.labeler, s.max_length, s.stride, batch_size,
            shuffle=shuffle, seed=seed, buckets=buckets, batch_tokens=batch_tokens,
            multiple=multiple, window_weights=self.head.loss_over_windows,
            sentence_cuts=s.sentence_cuts,
        )  # fmt: skip

    def build_model(self, bert_config):
        """The encoder (the layer named `bert`; no pooler: no head reads it) and the head."""
        import keras

        from tf_ner.bert.modeling import BertEncoder

        token_ids = keras.Input((None,), dtype="int32", name="token_ids")
        segment_ids = keras.Input((None,), dtype="int32", name="segment_ids")
        inputs = {"token_ids": token_ids, "segment_ids": segment_ids}
        encoder = BertEncoder(bert_config, with_pooler=False)
        hidden = encoder((token_ids, segment_ids))["sequence_output"]
        return self.head.build_model(inputs, hidden, self.settings, bert_config.hidden_dropout_prob)

    def compile(self, model, optimizer, jit_compile=False):
        self.head.compile(model, optimizer, self.settings, jit_compile)
        return model

    def predict_spans(self, model, tokenizer, texts, batch_size=64, with_scores=False):
        """Character spans of each text, long texts through overlapping windows.

        Args:
            with_scores: bool, add each span's confidence in [0, 1] (`NerHead.span_scores`);
                a span predicted by several overlapping windows gets its highest score.

        Returns:
            list (one per text) of sorted `(start, end, type)` spans, or of
            `(start, end, type, score)` with scores.
        """
        s = self.settings
        batches = make_prediction_batches(
            texts, tokenizer, s.max_length, s.stride, batch_size, sentence_cuts=s.sentence_cuts
        )
        score_rows = collections.deque()  # per window, what its scores are computed from
        forward = forward_function(model)

        def decodable():
            for outputs in outputs_ahead(forward, batches):
                if with_scores:
                    score_rows.extend(self.head.score_rows(outputs))
                yield self.head.decodable(outputs)

        best = [{} for _ in batches.texts]

        def keep_scores(text_index, decoded, encoding, spans):
            row = score_rows.popleft()
            scores = self.head.span_scores(s, decoded, row, encoding, spans)
            for span, score in zip(spans, scores, strict=True):
                best[text_index][span] = max(score, best[text_index].get(span, 0.0))

        merged = batches.decode(
            decodable(), self.labeler, on_window=keep_scores if with_scores else None
        )
        if not with_scores:
            return merged
        return [[(*span, best[t][span]) for span in spans] for t, spans in enumerate(merged)]

    def evaluate(self, model, tokenizer, examples, batch_size=64, data=None):
        """Span P/R/F1 (`tf_ner.metrics.prf`), with `loss`, the head's metrics and the
        `report` of gold entities no label holds, over the labelled windows, and the
        `predictions` scored (per example, its `(start, end, type)` spans)."""
        from tf_ner.tasks.keras_forward import labelled_scores

        examples = list(examples)
        predicted = self.predict_spans(model, tokenizer, [e.text for e in examples], batch_size)
        gold = {(i, *span) for i, e in enumerate(examples) for span in e.entities}
        pred = {(i, *span) for i, spans in enumerate(predicted) for span in spans}
        scores = prf(gold, pred)
        scores["predictions"] = predicted
        data = data or self.labelled_data(examples, tokenizer, batch_size)
        scores["labelled"] = labelled_scores(
            model, data, self.head.evaluation_loss(model, self.settings),
            self.head.metrics(self.settings), self.head.metric_outputs,
        )  # fmt: skip
        scores["report"] = data.report
        return scores

    format_scores = staticmethod(format_scores)
    scores_json = staticmethod(scores_json)

    def serving_outputs(self, outputs, features):
        return self.head.serving_outputs(outputs, features["token_ids"])


TASK = NerTask
