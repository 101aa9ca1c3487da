"""The training curves as a PNG: the loss per window of steps, dev scores on the same axis."""

import csv
import pathlib

from tf_ner.ground.files import atomic_path


def _rows(path):
    path = pathlib.Path(path)
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def plot_curves(epochs_csv, steps_csv, png_path, dev_steps_csv=None, references=None):
    """Plots the training loss by step and, when logged, the dev scores.

    Args:
        epochs_csv: the `CSVLogger` file (one row per epoch, with `step` and `dev_*`).
        steps_csv: the `StepLossLog` file (`step,loss` rows, each a window's mean).
        png_path: where to write the PNG (atomically).
        dev_steps_csv: the `DevEvaluation` curve (`step`, then the scores without the
            `dev_` prefix), plotted instead of the epoch ends when it has rows.
        references: `{description: score}` drawn as dashed lines on the score axis
            (trivial predictors of the selection metric).

    Returns:
        The PNG path, or None when nothing was logged yet.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    epochs, steps = _rows(epochs_csv), _rows(steps_csv)
    dev_steps = _rows(dev_steps_csv) if dev_steps_csv else []
    if dev_steps:  # every dev score, epoch ends included, in the epoch log's terms
        epochs = [{"step": r["step"], **{f"dev_{k}": v for k, v in r.items()}} for r in dev_steps]
    if not epochs and not steps:
        return None
    figure, loss_axis = pyplot.subplots(figsize=(8, 4.5), dpi=100)
    if steps:
        loss_axis.plot(
            [int(r["step"]) for r in steps], [float(r["loss"]) for r in steps],
            color="tab:blue", label="training loss (mean of each window of steps)",
        )  # fmt: skip
    at = [int(float(r["step"])) for r in epochs if r.get("step")]
    if "dev_loss" in (epochs[0] if epochs else {}) and len(at) == len(epochs):
        loss_axis.plot(
            at, [float(r["dev_loss"]) for r in epochs], "o--", color="tab:cyan", label="dev loss"
        )
    loss_axis.set_xlabel("optimizer step")
    loss_axis.set_ylabel("loss")
    handles, labels = loss_axis.get_legend_handles_labels()
    scores = [k for k in ("dev_f1", "dev_macro_f1", "dev_accuracy") if epochs and k in epochs[0]]
    if scores and len(at) == len(epochs):
        score_axis = loss_axis.twinx()
        for key, color in zip(scores, ("tab:red", "tab:orange", "tab:green"), strict=False):
            score_axis.plot(at, [100 * float(r[key]) for r in epochs], "s-", color=color,
                            label=key.replace("_", " "))  # fmt: skip
        for (name, value), style in zip((references or {}).items(), (":", "-."), strict=False):
            score_axis.axhline(100 * value, linestyle=style, color="gray", label=name)
        score_axis.set_ylabel("dev score (%)")
        more_handles, more_labels = score_axis.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
    loss_axis.legend(handles, labels, loc="center right", fontsize=8)
    figure.suptitle("tf_ner training")
    figure.tight_layout()
    with atomic_path(png_path) as temporary:
        figure.savefig(temporary, format="png")
    pyplot.close(figure)
    return str(png_path)
