"""The training curves as a PNG: the loss by step and the dev F1 by epoch."""

import csv
import pathlib


def _rows(path):
    path = pathlib.Path(path)
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def plot_curves(epochs_csv, steps_csv, png_path):
    """Plots the training loss by step and, when logged, the dev F1 by epoch.

    Args:
        epochs_csv: the `CSVLogger` file (one row per epoch).
        steps_csv: the `StepLossLog` file (`step,loss` rows).
        png_path: where to write the PNG (atomically).

    Returns:
        The PNG path, or None when nothing was logged yet.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    from tf_ner.train.output import atomic_path

    epochs, steps = _rows(epochs_csv), _rows(steps_csv)
    if not epochs and not steps:
        return None
    with_f1 = bool(epochs) and "dev_f1" in epochs[0]
    figure, axes = pyplot.subplots(
        1, 2 if with_f1 else 1, figsize=(11 if with_f1 else 6, 4), dpi=100
    )
    loss_axis = axes[0] if with_f1 else axes
    if steps:
        loss_axis.plot(
            [int(r["step"]) for r in steps], [float(r["loss"]) for r in steps], color="tab:blue"
        )
        loss_axis.set_xlabel("optimizer step")
    else:
        loss_axis.plot(
            [int(r["epoch"]) + 1 for r in epochs], [float(r["loss"]) for r in epochs], "o-"
        )
        loss_axis.set_xlabel("epoch")
    loss_axis.set_ylabel("training loss (mean over the epoch so far)")
    if with_f1:
        axes[1].plot(
            [int(r["epoch"]) + 1 for r in epochs],
            [100 * float(r["dev_f1"]) for r in epochs],
            "s-",
            color="tab:red",
        )
        axes[1].set_xlabel("epoch")
        axes[1].set_ylabel("dev entity F1 (%)")
    figure.suptitle("tf_ner training")
    figure.tight_layout()
    with atomic_path(png_path) as temporary:
        figure.savefig(temporary, format="png")
    pyplot.close(figure)
    return str(png_path)
