"""The training-curves PNG, decoded: the loss and the dev curves drawn where their
values put them (matplotlib's tab colours, read back from the pixels)."""

import matplotlib.image
import numpy as np

from tf_ner.train.plots import plot_curves

TAB_BLUE, TAB_CYAN, TAB_RED = (31, 119, 180), (23, 190, 207), (214, 39, 40)


def curve(image, colour):
    """`(pixels, rise)` of the pixels within a few levels of `colour` (0-255 RGB): how
    many, and how far their right third lies above their left third on the image."""
    rgb = np.round(image[..., :3] * 255)
    rows, columns = np.nonzero(np.all(np.abs(rgb - colour) <= 8, axis=-1))
    if not len(rows):
        return 0, 0.0
    left, right = columns < np.percentile(columns, 33), columns > np.percentile(columns, 67)
    return len(rows), rows[left].mean() - rows[right].mean()


def test_curves_from_step_and_epoch_logs(tmp_path):
    # The loss falls 9 -> 4 over steps 50..150; at the epochs' ends (steps 75 and 150)
    # the dev loss falls 7 -> 5 and dev F1 rises 20% -> 50%.
    (tmp_path / "epochs.csv").write_text(
        "epoch,step,dev_f1,dev_loss,loss\n0,75,0.2,7.0,5.0\n1,150,0.5,5.0,3.0\n"
    )
    (tmp_path / "steps.csv").write_text("step,loss\n50,9.0\n100,6.0\n150,4.0\n")
    png = plot_curves(tmp_path / "epochs.csv", tmp_path / "steps.csv", tmp_path / "curves.png")
    assert png == str(tmp_path / "curves.png")
    image = matplotlib.image.imread(png)
    assert image.shape[:2] == (450, 800)  # 8 x 4.5 inches at 100 dpi
    assert np.mean(image[..., :3] < 0.9) > 0.01, "next to nothing drawn"
    # Measured: 819, 513 and 866 pixels; a legend's sample line alone has about 30.
    pixels, rise = curve(image, TAB_BLUE)
    assert pixels > 300 and rise < -100, ("training loss", pixels, rise)  # falls
    pixels, rise = curve(image, TAB_CYAN)
    assert pixels > 150 and rise < -50, ("dev loss", pixels, rise)  # falls
    pixels, rise = curve(image, TAB_RED)
    assert pixels > 300 and rise > 100, ("dev F1", pixels, rise)  # rises


def test_nothing_logged_gives_no_plot(tmp_path):
    assert plot_curves(tmp_path / "none.csv", tmp_path / "none2.csv", tmp_path / "c.png") is None
    assert not (tmp_path / "c.png").exists()
