"""TextClassifier: a trained classification model, labelling raw texts."""

from tf_ner.tasks.base import Predictor


class TextClassifier(Predictor):
    """Labels texts with a model folder written by `tf-ner train --task classification`.

    Get one with `tf_ner.load(folder)`.

    Example:
    >>> classifier = tf_ner.load("runs/reviews")  # doctest: +SKIP
    >>> classifier.predict(["房间很干净，服务也好"])  # doctest: +SKIP
    [{'label': 'pos', 'probabilities': {'neg': 0.03, 'pos': 0.97}}]
    """

    def predict(self, texts, batch_size=None):
        """list (one per text) of `{"label", "probabilities": {LABEL: p}}`; multi-label:
        `{"labels": [...], "probabilities": ...}` (every label over the threshold)."""
        texts = list(texts)
        probabilities = self.task.probabilities(
            self.model, self.tokenizer, texts, self.resolved_batch_size(batch_size)
        )
        results = []
        for row, labels in zip(probabilities, self.task.predicted(probabilities), strict=True):
            labelled = zip(self.settings.labels, row, strict=True)
            shown = {label: round(float(p), 4) for label, p in labelled}
            if self.settings.multi_label:
                results.append({"labels": list(labels), "probabilities": shown})
            else:
                results.append({"label": labels[0], "probabilities": shown})
        return results

    def records(self, texts, batch_size=None):
        """One JSON-ready record per text: `{"text", "label", "probabilities"}`."""
        texts = list(texts)
        predictions = self.predict(texts, batch_size)
        return [{"text": t, **p} for t, p in zip(texts, predictions, strict=True)]
