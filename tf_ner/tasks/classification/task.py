"""Text classification as a task: the encoder, a pooled vector, a dense layer over labels.

Keras and TensorFlow are imported by the methods that build, train, evaluate and export
the model: a folder's ONNX graph predicts labels without them.
"""

import dataclasses

import numpy as np

from tf_ner.data.classification import label_counts, read_classification, write_classification
from tf_ner.data.classification.prediction_batches import prediction_batches
from tf_ner.data.classification.truncation import encode_texts
from tf_ner.ground.errors import InputError
from tf_ner.ground.probabilities import sigmoid, softmax
from tf_ner.ground.settings import resolved
from tf_ner.metrics import prf
from tf_ner.tasks.base import Task, forward_function
from tf_ner.tasks.classification.classifier import TextClassifier
from tf_ner.tasks.classification.report import format_scores, scores_json
from tf_ner.tasks.classification.settings import ClassificationSettings


class ClassificationTask(Task):
    """A label (or labels) per text. Scores: accuracy, macro-F1 and per-class P/R/F1
    over the texts; the loss over them. The best epoch has the highest dev macro-F1."""

    name = "classification"
    settings_type = ClassificationSettings
    selection_metric = "macro_f1"
    summary_metrics = ("accuracy",)
    predictor_class = TextClassifier

    @classmethod
    def read(cls, path, format="auto", repair=False):
        """Classification files hold no tags: `repair` changes nothing."""
        examples, info = read_classification(path, format=format, return_info=True)
        return examples, info.format

    @classmethod
    def write(cls, examples, path, format="auto"):
        """Writes with `write_classification`; `"auto"` writes jsonl."""
        write_classification(examples, path, "jsonl" if format == "auto" else format)

    @classmethod
    def trivial_scores(cls, train_examples, examples, settings):
        """The majority prediction, from the training examples' label counts.

        Single-label: every text gets the most frequent training label (a tie goes to
        the first in sorted order). Multi-label: every text gets each label that more
        than half the training texts carry. Scored as `evaluate` scores: macro-F1 over
        the labels that occur in the gold labels or the predictions, and accuracy
        (single-label).
        """
        counts = label_counts(train_examples)
        multi_label = settings.multi_label or any(len(e.labels) > 1 for e in train_examples)
        if multi_label:
            predicted = [label for label, n in counts.items() if n > len(train_examples) / 2]
            description = (
                f"every text labelled with the labels of more than half the training texts "
                f"({', '.join(predicted) or 'none'})"
            )
        else:
            majority = max(counts, key=counts.get)  # counts are sorted: ties go to the first
            predicted = [majority]
            description = (
                f"every text labelled {majority!r}, the majority class of the training data "
                f"({counts[majority]} of {len(train_examples)} texts)"
            )
        gold = {(i, label) for i, e in enumerate(examples) for label in e.labels}
        pred = {(i, label) for i in range(len(examples)) for label in predicted}
        result = prf(gold, pred)
        per_label = [s["f1"] for s in result["per_type"].values()]
        scores = {"macro_f1": sum(per_label) / len(per_label) if per_label else 0.0}
        if not multi_label:
            scores["accuracy"] = result["true_positives"] / len(examples) if examples else 0.0
        return description, scores

    @classmethod
    def from_training(cls, settings, examples, tokenizer, situation):
        labels = {label for example in examples for label in example.labels}
        multi_label = settings.multi_label or any(len(e.labels) > 1 for e in examples)
        if len(labels) < 2 and not multi_label:
            raise InputError(
                f"labels {sorted(labels)}: a classifier needs at least two in its training data"
            )
        settings = resolved(settings, situation)
        head_tokens = settings.head_tokens
        if head_tokens is None:
            head_tokens = settings.max_length // 4
        return cls(
            dataclasses.replace(
                settings, labels=tuple(labels), multi_label=multi_label,
                head_tokens=head_tokens, do_lower_case=tokenizer.do_lower_case,
                fold_width=tokenizer.fold_width,
            )  # fmt: skip
        )

    def check(self, examples, path):
        known = set(self.settings.labels)
        for example in examples:
            unknown = [label for label in example.labels if label not in known]
            if unknown:
                raise InputError(
                    f"{path} ({example.source or 'an example'}): label(s) {unknown} never occur "
                    f"in the training data (the model knows {', '.join(self.settings.labels)}); "
                    f"it cannot predict them"
                )
            if len(example.labels) > 1 and not self.settings.multi_label:
                raise InputError(
                    f"{path} ({example.source or 'an example'}): {len(example.labels)} labels, "
                    f"but the model predicts one per text (train with --multi-label)"
                )

    def describe(self):
        s = self.settings
        kind = "multi-label" if s.multi_label else "single-label"
        return (
            f"{len(s.labels)} labels ({', '.join(s.labels)}), {kind}, pooling {s.pooling}, "
            f"truncation {s.truncation}"
            + (f" (head {s.head_tokens} tokens)" if s.truncation == "head+tail" else "")
        )

    def labelled_data(
        self, examples, tokenizer, batch_size, shuffle=False, seed=0, buckets=None,
        batch_tokens=None, multiple=1,
    ):  # fmt: skip
        from tf_ner.data.classification.batches import make_classification_dataset

        s = self.settings
        data = make_classification_dataset(
            examples, tokenizer, s.labels, s.max_length, s.truncation, s.head_tokens,
            batch_size, shuffle=shuffle, seed=seed, buckets=buckets, multi_label=s.multi_label,
            batch_tokens=batch_tokens, multiple=multiple,
        )  # fmt: skip
        print(f"  {data.report.summary()}", flush=True)
        return data

    def build_model(self, bert_config):
        import keras

        from tf_ner.bert.modeling import BertEncoder
        from tf_ner.tasks.classification.pooling import TextPooling

        s = self.settings
        if s.pooling == "concat-last-4" and bert_config.num_hidden_layers < 4:
            raise InputError(
                f"pooling concat-last-4 needs an encoder of 4 layers or more, this one has "
                f"{bert_config.num_hidden_layers}"
            )
        token_ids = keras.Input((None,), dtype="int32", name="token_ids")
        segment_ids = keras.Input((None,), dtype="int32", name="segment_ids")
        encoder = BertEncoder(
            bert_config,
            with_pooler=s.pooling == "pooler",
            return_all_layers=s.pooling == "concat-last-4",
        )
        encoded = encoder((token_ids, segment_ids))
        pooled = TextPooling(s.pooling, name="pooling")(encoded, token_ids)
        pooled = keras.layers.Dropout(bert_config.hidden_dropout_prob, name="head_dropout")(pooled)
        initializer = keras.initializers.TruncatedNormal(stddev=bert_config.initializer_range)
        logits = keras.layers.Dense(
            len(s.labels), kernel_initializer=initializer, name="classifier"
        )(pooled)
        inputs = {"token_ids": token_ids, "segment_ids": segment_ids}
        return keras.Model(inputs, logits, name="text_classifier")

    def loss(self):
        import keras

        if self.settings.multi_label:
            return keras.losses.BinaryCrossentropy(from_logits=True)
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def metrics(self):
        import keras

        from tf_ner.metrics import MacroF1

        s = self.settings
        macro = MacroF1(len(s.labels), s.multi_label, s.threshold, from_logits=True)
        if s.multi_label:
            return [macro]
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy"), macro]

    def compile(self, model, optimizer, jit_compile=False):
        model.compile(optimizer=optimizer, loss=self.loss(), jit_compile=jit_compile)
        return model

    def probabilities(self, model, tokenizer, texts, batch_size=64):
        """`[texts, labels]` float32 probabilities (softmax, or a sigmoid per label)."""
        s = self.settings
        token_ids, _ = encode_texts(texts, tokenizer, s.max_length, s.truncation, s.head_tokens)
        forward = forward_function(model)
        result = np.zeros((len(token_ids), len(s.labels)), np.float32)
        for rows, features in prediction_batches(token_ids, batch_size):
            result[rows] = label_probabilities(forward(features), s.multi_label)
        return result

    def predicted(self, probabilities):
        """Per text: its label, or the labels over the threshold (multi-label)."""
        s = self.settings
        if s.multi_label:
            return [
                tuple(label for label, p in zip(s.labels, row, strict=True) if p > s.threshold)
                for row in probabilities
            ]
        return [(s.labels[i],) for i in probabilities.argmax(-1)]

    def evaluate(self, model, tokenizer, examples, batch_size=64, data=None):
        """Accuracy (single-label), macro-F1 and per-class P/R/F1 over the texts, and
        the loss: one pass of the Keras metrics (`MacroF1`) over the labelled texts."""
        from tf_ner.tasks.keras_forward import labelled_scores

        data = data or self.labelled_data(list(examples), tokenizer, batch_size)
        metrics = self.metrics()
        values = labelled_scores(model, data, self.loss(), metrics)
        per_class = {k: v.numpy() for k, v in metrics[-1].per_class_scores().items()}
        scores = {k: values[k] for k in ("accuracy", "macro_f1") if k in values}
        scores["per_class"] = {
            label: {k: float(per_class[k][i]) for k in ("precision", "recall", "f1", "support")}
            for i, label in enumerate(self.settings.labels)
        }
        scores["labelled"] = {"loss": values["loss"]}
        scores["truncated"] = data.report.truncated
        return scores

    format_scores = staticmethod(format_scores)
    scores_json = staticmethod(scores_json)

    def serving_outputs(self, outputs, features):
        import tensorflow as tf

        activation = tf.sigmoid if self.settings.multi_label else tf.nn.softmax
        return {"probabilities": activation(tf.cast(outputs, tf.float32))}


def label_probabilities(logits, multi_label):
    """float32 probabilities of logits `[texts, labels]` (numpy, or a tensor of any float
    dtype): a sigmoid per label, or a softmax over them, computed in float64."""
    return (sigmoid if multi_label else softmax)(logits).astype(np.float32)


TASK = ClassificationTask
