"""Entity-level precision/recall/F1 over sets of spans, in plain Python.

Convention: every ratio with a zero denominator is 0 (no prediction: precision 0; no
gold entity: recall 0; both zero: F1 0).
"""

from collections import Counter


def _ratio(numerator, denominator):
    return numerator / denominator if denominator else 0.0


def _scores(true_positives, predicted, gold):
    precision = _ratio(true_positives, predicted)
    recall = _ratio(true_positives, gold)
    return {
        "precision": precision,
        "recall": recall,
        "f1": _ratio(2 * true_positives, predicted + gold),
        "support": gold,
    }


def prf(gold, pred):
    """Micro and per-type precision, recall and F1 over sets of entities.

    Args:
        gold: iterable of hashable tuples whose last element is the entity type, e.g.
            `(doc_id, start, end, type)`; duplicates count once.
        pred: iterable of tuples of the same form.

    Returns:
        A dict: `"precision"`, `"recall"`, `"f1"` (micro, floats), `"support"` (number
        of gold entities), `"true_positives"`, `"predicted"`, and `"per_type"`: a dict
        from each type seen in gold or pred to `{"precision", "recall", "f1",
        "support"}`. Ratios with a zero denominator are 0.

    Raises:
        ValueError: an element that is not a tuple of at least two items.

    Example:
    >>> prf({(0, 0, 2, "PER"), (0, 5, 7, "LOC")}, {(0, 0, 2, "PER")})["recall"]
    0.5
    """
    gold, pred = _as_span_set(gold, "gold"), _as_span_set(pred, "pred")
    hits = gold & pred
    result = _scores(len(hits), len(pred), len(gold))
    result.update({"true_positives": len(hits), "predicted": len(pred)})
    by_type = [Counter(span[-1] for span in spans) for spans in (hits, pred, gold)]
    result["per_type"] = {
        type_: _scores(by_type[0][type_], by_type[1][type_], by_type[2][type_])
        for type_ in sorted(set(by_type[1]) | set(by_type[2]), key=str)
    }
    return result


def _as_span_set(spans, name):
    spans = set(spans)
    for span in spans:
        if not isinstance(span, tuple) or len(span) < 2:
            raise ValueError(
                f"prf: every element of `{name}` must be a tuple whose last item is the "
                f"type, e.g. (doc, start, end, type), received {span!r}."
            )
    return spans
