"""The training curves as a PNG: loss and dev F1 per epoch."""

import csv
import pathlib


def plot_curves(csv_path, png_path):
    """Plots `loss` and, when logged, `dev_f1` per epoch from a `CSVLogger` file.

    Returns:
        The PNG path, or None when the log holds no epoch yet.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    csv_path = pathlib.Path(csv_path)
    if not csv_path.is_file():
        return None
    with csv_path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return None
    epochs = [int(r["epoch"]) + 1 for r in rows]
    figure, loss_axis = pyplot.subplots(figsize=(7, 4), dpi=100)
    loss_axis.plot(
        epochs, [float(r["loss"]) for r in rows], "o-", color="tab:blue", label="train loss"
    )
    loss_axis.set_xlabel("epoch")
    loss_axis.set_ylabel("train loss", color="tab:blue")
    if "dev_f1" in rows[0]:
        f1_axis = loss_axis.twinx()
        f1_axis.plot(epochs, [100 * float(r["dev_f1"]) for r in rows], "s-", color="tab:red")
        f1_axis.set_ylabel("dev entity F1 (%)", color="tab:red")
    loss_axis.set_title("tf_ner training")
    figure.tight_layout()
    from tf_ner.train.output import atomic_path

    with atomic_path(png_path) as temporary:
        figure.savefig(temporary, format="png")
    pyplot.close(figure)
    return str(png_path)
