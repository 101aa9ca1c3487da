"""Recognizer: a trained model folder, loaded to find entities in raw texts."""

import pathlib

from tf_ner.bert.tokenization import Tokenizer
from tf_ner.tasks.ner import NerSettings, evaluate_spans, predict_spans
from tf_ner.train.output import load_model_file


class Recognizer:
    """Finds entities in texts with a model folder written by `tf-ner train`.

    Long texts are split into overlapping windows and their predictions merged;
    entities are character spans of the texts as given.

    Example:
    >>> recognizer = Recognizer.load("runs/msra_crf")  # doctest: +SKIP
    >>> recognizer.predict(["我爱北京天安门"])  # doctest: +SKIP
    [[{'start': 2, 'end': 4, 'type': 'NS', 'text': '北京'}, ...]]
    """

    def __init__(self, model, settings, tokenizer):
        self.model = model
        self.settings = settings
        self.tokenizer = tokenizer

    @classmethod
    def load(cls, model_dir):
        """Loads `model.keras`, `ner_settings.json` and `vocab.txt` from `model_dir`.

        Raises:
            FileNotFoundError: a file of the folder is missing (named).
        """
        model_dir = pathlib.Path(model_dir)
        settings = NerSettings.load(model_dir)
        tokenizer = Tokenizer(model_dir / "vocab.txt", do_lower_case=settings.do_lower_case)
        return cls(load_model_file(model_dir), settings, tokenizer)

    def predict_spans(self, texts, batch_size=32):
        """list (one per text) of sorted `(start, end, type)` character spans."""
        return predict_spans(self.model, self.settings, self.tokenizer, list(texts), batch_size)

    def predict(self, texts, batch_size=32):
        """list (one per text) of `{"start", "end", "type", "text", "score"}` dicts.

        `end` is exclusive; `score` is a confidence in [0, 1] (see
        `tf_ner.tasks.ner.span_scores`).
        """
        texts = list(texts)
        scored = predict_spans(
            self.model, self.settings, self.tokenizer, texts, batch_size, with_scores=True
        )
        return [
            [
                {"start": s, "end": e, "type": t, "text": text[s:e], "score": round(score, 4)}
                for s, e, t, score in spans
            ]
            for text, spans in zip(texts, scored, strict=True)
        ]

    def evaluate(self, examples, batch_size=32):
        """Corpus-level scores over `Example`s (see `tf_ner.metrics.prf`)."""
        return evaluate_spans(self.model, self.settings, self.tokenizer, examples, batch_size)
