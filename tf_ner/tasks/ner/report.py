"""NER scores as a table for people and as JSON for programs."""

_KEYS = ("precision", "recall", "f1")


def format_scores(scores):
    """A per-type precision/recall/F1 table (percent) with support, the overall row, then
    the loss and metrics over the labelled windows and the unrepresentable gold entities.

    Args:
        scores: `NerTask.evaluate` result (`tf_ner.metrics.prf` keys, optionally
            `"labelled"` and `"report"`).
    """
    lines = [f"{'type':<12}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
    rows = [*scores["per_type"].items(), ("overall", scores)]
    for type_, s in rows:
        percent = "".join(f"{100 * s[k]:>10.2f}" for k in _KEYS)
        lines.append(f"{type_:<12}{percent}{s['support']:>10}")
    labelled = scores.get("labelled")
    if labelled:
        lines.append(", ".join(f"{name} {value:.4f}" for name, value in labelled.items()))
    report = scores.get("report")
    if report is not None:
        lines.append(f"unrepresentable gold entities: {len(report.unrepresentable)}")
        if report.unrepresentable:
            lines.append(report.summary())
    return "\n".join(lines)


def scores_json(scores):
    """`{"overall": {...}, "per_type": {TYPE: {...}}, "unrepresentable": N, ...}`."""
    result = {
        "overall": {**{k: scores[k] for k in _KEYS}, "support": scores["support"]},
        "per_type": {
            t: {k: s[k] for k in (*_KEYS, "support")} for t, s in scores["per_type"].items()
        },
        "true_positives": scores["true_positives"],
        "predicted": scores["predicted"],
    }
    if scores.get("labelled"):
        result["labelled_windows"] = dict(scores["labelled"])
    if scores.get("report") is not None:
        result["unrepresentable"] = len(scores["report"].unrepresentable)
    return result
