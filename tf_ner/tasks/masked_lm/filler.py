"""MaskFiller: a pre-trained encoder folder, filling in the [MASK] tokens of texts."""

import numpy as np

from tf_ner.ground.probabilities import softmax
from tf_ner.tasks.base import Predictor


class MaskFiller(Predictor):
    """Predicts the tokens behind `[MASK]` with a folder written by `tf-ner pretrain`
    (or any Google-format checkpoint folder with `cls/predictions`): a quick look at
    what pre-training learnt. Get one with `tf_ner.load(folder)`.

    Example:
    >>> filler = tf_ner.load("runs/encoder")  # doctest: +SKIP
    >>> filler.predict(["北[MASK]是中国的首都。"])  # doctest: +SKIP
    [[{'position': 1, 'candidates': [{'token': '京', 'probability': 0.93}, ...]}]]
    """

    def predict(self, texts, top_k=5):
        """Per text, per `[MASK]` in it: its token position and the `top_k` tokens.

        Raises:
            TextTooLongError: a text longer than the encoder's positions.
        """
        mask_id = self.tokenizer.vocab["[MASK]"]
        # The encoder (`bert`) or an ELECTRA folder's generator: the first with a config.
        config = next(layer.config for layer in self.model.layers if hasattr(layer, "config"))
        max_length = config.max_position_embeddings
        results = []
        for text in texts:
            ids = np.asarray([self.tokenizer.encode(text, max_length=max_length).ids], np.int32)
            positions = np.flatnonzero(ids[0] == mask_id).astype(np.int32)
            if not len(positions):
                results.append([])
                continue
            features = {"token_ids": ids, "segment_ids": np.zeros_like(ids),
                        "masked_positions": positions[None]}  # fmt: skip
            probabilities = softmax(np.asarray(self.model(features, training=False))[0])
            masks = []
            for position, row in zip(positions, probabilities, strict=True):
                best = np.argsort(-row)[:top_k]
                token = self.tokenizer.id_to_token
                candidates = [
                    {"token": token(int(i)), "probability": round(float(row[i]), 4)} for i in best
                ]
                masks.append({"position": int(position), "candidates": candidates})
            results.append(masks)
        return results

    def records(self, texts, batch_size=None):
        """One JSON-ready record per text: `{"text", "masks": [...]}` (`predict`'s)."""
        texts = list(texts)
        return [{"text": t, "masks": m} for t, m in zip(texts, self.predict(texts), strict=True)]
