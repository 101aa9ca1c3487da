"""Scores as a table for people and as JSON for programs."""


def format_scores(scores, encoding_report=None):
    """A per-type precision/recall/F1 table (percent) with support, then the overall row.

    Args:
        scores: `tf_ner.metrics.prf` result.
        encoding_report: optional `EncodingReport` of the gold data; its unrepresentable
            entities (counted in the support, impossible to predict) are listed below.
    """
    lines = [f"{'type':<12}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
    for type_, s in scores["per_type"].items():
        lines.append(
            f"{type_:<12}{100 * s['precision']:>10.2f}{100 * s['recall']:>10.2f}"
            f"{100 * s['f1']:>10.2f}{s['support']:>10}"
        )
    lines.append(
        f"{'overall':<12}{100 * scores['precision']:>10.2f}{100 * scores['recall']:>10.2f}"
        f"{100 * scores['f1']:>10.2f}{scores['support']:>10}"
    )
    if encoding_report is not None:
        lines.append(f"unrepresentable gold entities: {len(encoding_report.unrepresentable)}")
        if encoding_report.unrepresentable:
            lines.append(encoding_report.summary())
    return "\n".join(lines)


def scores_json(scores, encoding_report=None):
    """`{"overall": {...}, "per_type": {TYPE: {...}}, "unrepresentable": N}`."""
    keys = ("precision", "recall", "f1")
    result = {
        "overall": {**{k: scores[k] for k in keys}, "support": scores["support"]},
        "per_type": {
            t: {k: s[k] for k in (*keys, "support")} for t, s in scores["per_type"].items()
        },
        "true_positives": scores["true_positives"],
        "predicted": scores["predicted"],
    }
    if encoding_report is not None:
        result["unrepresentable"] = len(encoding_report.unrepresentable)
    return result
