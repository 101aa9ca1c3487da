"""Classification scores as a table for people and as JSON for programs."""

_KEYS = ("precision", "recall", "f1")


def format_scores(scores):
    """Per-class precision/recall/F1 (percent) with support, then accuracy, macro-F1,
    the loss and the number of truncated texts."""
    lines = [f"{'label':<16}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
    for label, s in scores["per_class"].items():
        percent = "".join(f"{100 * s[k]:>10.2f}" for k in _KEYS)
        lines.append(f"{label:<16}{percent}{s['support']:>10.0f}")
    overall = [f"{name} {100 * scores[name]:.2f}" for name in ("accuracy", "macro_f1")
               if name in scores]  # fmt: skip
    overall.append(f"loss {scores['labelled']['loss']:.4f}")
    lines.append(", ".join(overall))
    lines.append(f"truncated texts: {scores['truncated']}")
    return "\n".join(lines)


def scores_json(scores):
    """`{"overall": {"accuracy", "macro_f1", "loss"}, "per_class": {LABEL: {...}}, ...}`."""
    overall = {k: scores[k] for k in ("accuracy", "macro_f1") if k in scores}
    overall["loss"] = scores["labelled"]["loss"]
    return {
        "overall": overall,
        "per_class": scores["per_class"],
        "truncated": scores["truncated"],
    }
