"""Recognizer: a trained NER model, finding entities in raw texts."""

from tf_ner.ground.errors import InputError
from tf_ner.tasks.base import Predictor
from tf_ner.tasks.folder import load


class Recognizer(Predictor):
    """Finds entities in texts with a model folder written by `tf-ner train`.

    Long texts are split into overlapping windows and their predictions merged;
    entities are character spans of the texts as given. Get one with
    `tf_ner.load(folder)` or `Recognizer.load(folder)`.

    Example:
    >>> recognizer = Recognizer.load("runs/msra_crf")  # doctest: +SKIP
    >>> recognizer.predict(["我爱北京天安门"])  # doctest: +SKIP
    [[{'start': 2, 'end': 4, 'type': 'NS', 'text': '北京', 'score': 0.98}]]
    """

    @classmethod
    def load(cls, model_dir):
        """The recognizer of an NER model folder (see `tf_ner.load`).

        Raises:
            MissingFileError: a file of the folder is missing (named).
            InputError: the folder holds a model of another task.
        """
        predictor = load(model_dir)
        if not isinstance(predictor, cls):
            raise InputError(f"{model_dir} holds a {predictor.task.name} model, not an NER one")
        return predictor

    def predict_spans(self, texts, batch_size=None):
        """list (one per text) of sorted `(start, end, type)` character spans."""
        return self.task.predict_spans(
            self.model, self.tokenizer, list(texts), self.resolved_batch_size(batch_size)
        )

    def predict(self, texts, batch_size=None):
        """list (one per text) of `{"start", "end", "type", "text", "score"}` dicts.

        `end` is exclusive; `score` is a confidence in [0, 1] (see `NerHead.span_scores`).
        """
        texts = list(texts)
        batch_size = self.resolved_batch_size(batch_size)
        scored = self.task.predict_spans(
            self.model, self.tokenizer, texts, batch_size, with_scores=True
        )
        return [
            [
                {"start": s, "end": e, "type": t, "text": text[s:e], "score": round(score, 4)}
                for s, e, t, score in spans
            ]
            for text, spans in zip(texts, scored, strict=True)
        ]

    def records(self, texts, batch_size=None):
        """One JSON-ready record per text: `{"text", "entities": [...]}` (`predict`'s)."""
        texts = list(texts)
        predictions = self.predict(texts, batch_size)
        return [{"text": t, "entities": p} for t, p in zip(texts, predictions, strict=True)]

    def evaluate(self, examples, batch_size=64):
        """Scores over `Example`s (see `NerTask.evaluate`); unknown entity types refused."""
        examples = list(examples)
        self.task.check(examples, "the examples")
        model = self.tensorflow_model("evaluate")
        return self.task.evaluate(model, self.tokenizer, examples, batch_size)
