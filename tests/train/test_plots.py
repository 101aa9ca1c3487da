from tf_ner.train.plots import plot_curves


def test_curves_from_step_and_epoch_logs(tmp_path):
    (tmp_path / "epochs.csv").write_text("epoch,dev_f1,loss\n0,0.2,5.0\n1,0.5,3.0\n")
    (tmp_path / "steps.csv").write_text("step,loss\n50,9.0\n100,6.0\n150,4.0\n")
    png = plot_curves(tmp_path / "epochs.csv", tmp_path / "steps.csv", tmp_path / "curves.png")
    assert png == str(tmp_path / "curves.png")
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_nothing_logged_gives_no_plot(tmp_path):
    assert plot_curves(tmp_path / "none.csv", tmp_path / "none2.csv", tmp_path / "c.png") is None
    assert not (tmp_path / "c.png").exists()
