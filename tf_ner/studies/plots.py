"""A stability study's plots: the scores per setting, and the loss curves per setting."""

from tf_ner.ground.files import atomic_path
from tf_ner.studies.statistics import curve_band


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    return pyplot


def _save(pyplot, figure, path):
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png")
    pyplot.close(figure)
    return str(path)


def plot_scores(results, path):
    """A box plot of each setting's scores (the selection metric), every run a point.

    Args:
        results: the study's results (`report.study_results`).
        path: where to write the PNG (atomically).

    Returns:
        The PNG path.
    """
    pyplot = _pyplot()
    split, metric = results["split"], results["metrics"][0]
    names = [setting["name"] for setting in results["settings"]]
    scores = [
        [(run[split] or {}).get(metric) for run in results["runs"] if run["setting"] == name]
        for name in names
    ]
    scores = [[s for s in values if s is not None] for values in scores]
    figure, axis = pyplot.subplots(figsize=(max(5, 1.3 * len(names) + 2), 4.5), dpi=100)
    positions = list(range(1, len(names) + 1))
    filled = [(p, v) for p, v in zip(positions, scores, strict=True) if v]
    if filled:
        axis.boxplot([v for _, v in filled], positions=[p for p, _ in filled], widths=0.5)
    for position, values in zip(positions, scores, strict=True):
        # Spread the points sideways a little, evenly (the same way every time).
        offsets = [0.2 * (i / (len(values) - 1) - 0.5) if len(values) > 1 else 0.0
                   for i in range(len(values))]  # fmt: skip
        axis.plot([position + o for o in offsets], values, "o", alpha=0.6, color="tab:blue")
    trivial = results["trivial"]["scores"][metric]
    axis.axhline(trivial, color="tab:red", linestyle=":", label=f"trivial prediction {trivial:.4f}")
    axis.set_xticks(positions, names, rotation=20 if len(names) > 4 else 0)
    axis.set_xlim(0.4, len(names) + 0.6)
    axis.set_ylabel(f"{split} {metric}")
    axis.legend(fontsize=8)
    figure.suptitle(f"{split} {metric} per setting, one point per seed")
    return _save(pyplot, figure, path)


def plot_losses(results, curves, path):
    """Each setting's smoothed training loss against optimizer steps: the median across
    seeds and the 25-75% band, with the loss threshold.

    Args:
        results: the study's results.
        curves: `{(setting, seed): (steps, smoothed losses)}`.
        path: where to write the PNG (atomically).

    Returns:
        The PNG path.
    """
    pyplot = _pyplot()
    figure, axis = pyplot.subplots(figsize=(8, 4.5), dpi=100)
    colors = pyplot.rcParams["axes.prop_cycle"].by_key()["color"]
    for index, setting in enumerate(results["settings"]):
        name = setting["name"]
        mine = [curve for (owner, _), curve in curves.items() if owner == name]
        steps, bands = curve_band(mine)
        if not steps:
            continue
        color = colors[index % len(colors)]
        axis.fill_between(steps, bands[25], bands[75], color=color, alpha=0.2, linewidth=0)
        axis.plot(steps, bands[50], color=color, label=f"{name} ({len(mine)} runs)")
    threshold = results["loss_threshold"]["value"]
    if threshold is not None:
        axis.axhline(
            threshold, color="gray", linestyle=":", label=f"loss threshold {threshold:.4f}"
        )
    axis.set_xlabel("optimizer step")
    axis.set_ylabel(
        f"training loss (smoothed over {results['loss_threshold']['smoothing_steps']} steps)"
    )
    if axis.get_legend_handles_labels()[0]:
        axis.legend(fontsize=8)
    figure.suptitle("training loss per setting: median across seeds, 25-75% band")
    return _save(pyplot, figure, path)
