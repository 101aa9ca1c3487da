"""References and a toy model for the metric tests.

`brute_tag_counts` is the reference of the tag metrics: plain Python over each row,
with `tf_ner.data.tags.tags_to_spans(repair=True)` reading the entities.
`passthrough_model` returns its input unchanged, so that `fit`/`evaluate` feed the
metrics known predictions; its one weight (with a zero loss) gives `fit` something
to train.
"""

import keras
import numpy as np

from tf_ner.data.tags import tags_to_spans
from tf_ner.metrics import prf


def brute_tag_counts(tags, scheme, labels, predictions, position_weights=None):
    """`(true_positives, predicted, gold)` entity counts of tag-id batches.

    Args:
        tags: the tag vocabulary.
        scheme: its scheme.
        labels: int `[batch, length]`, negative where no unit.
        predictions: int `[batch, length]` ids, or logits `[batch, length, tags]`.
        position_weights: optional `[batch, length]`; 0 removes a position.
    """
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    if predictions.ndim == 3:
        predictions = predictions.argmax(-1)
    gold, pred = set(), set()
    for row, (label_row, pred_row) in enumerate(zip(labels, predictions, strict=True)):
        kept = [
            i
            for i, label in enumerate(label_row)
            if label >= 0 and (position_weights is None or position_weights[row][i] > 0)
        ]
        for spans, ids in ((gold, label_row), (pred, pred_row)):
            read = tags_to_spans([tags[ids[i]] for i in kept], scheme, repair=True)
            spans.update((row, *span) for span in read)
    scores = prf(gold, pred)
    return scores["true_positives"], scores["predicted"], scores["support"]


def f1_of(counts):
    tp, predicted, gold = counts
    return 2 * tp / (predicted + gold) if predicted + gold else 0.0


class _Passthrough(keras.layers.Layer):
    def build(self, input_shape):
        self.unused = self.add_weight(shape=(), initializer="zeros", name="unused")

    def call(self, inputs):
        self.add_loss(0.0 * self.unused)
        return inputs


def passthrough_model(shape, dtype):
    """A compiled-ready model whose output is its input (`shape` without the batch)."""
    inputs = keras.Input(shape, dtype=dtype)
    return keras.Model(inputs, _Passthrough()(inputs))


def random_tag_batch(rng, num_tags, rows, length, ignored=0.3, agree=0.5):
    """Random labels (some -100) and predictions that agree with them at `agree`."""
    labels = rng.integers(0, num_tags, (rows, length))
    predictions = np.where(
        rng.random((rows, length)) < agree, labels, rng.integers(0, num_tags, (rows, length))
    )
    labels[rng.random((rows, length)) < ignored] = -100
    return labels.astype("int32"), predictions.astype("int32")
