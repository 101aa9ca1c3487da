"""The study's numbers against hand-computed ones, on synthetic runs (no training)."""

import math

import numpy as np
import pytest

from tf_ner.studies import statistics
from tf_ner.studies.report import format_report, study_results
from tf_ner.studies.runs import RunRecord, latest_attempt, read_loss_curve


def test_summary_uses_the_sample_standard_deviation():
    stats = statistics.summarize([0.8, 0.0, 0.7])
    assert stats["runs"] == 3 and stats["min"] == 0.0 and stats["max"] == 0.8
    assert stats["mean"] == pytest.approx(0.5)
    # ddof=1: ((0.3² + 0.5² + 0.2²) / 2) ** 0.5
    assert stats["std"] == pytest.approx(math.sqrt((0.09 + 0.25 + 0.04) / 2))
    assert statistics.summarize([0.4])["std"] is None
    assert statistics.summarize([]) == {
        "runs": 0, "mean": None, "std": None, "min": None, "max": None
    }  # fmt: skip
    assert statistics.median([3, None, 1, 2, 10]) == 2.5
    assert statistics.median([None]) is None


def test_a_run_fails_when_it_does_no_better_than_the_trivial_prediction():
    assert statistics.is_failed(0.0, 0.0)
    assert statistics.is_failed(0.4 + 1e-8, 0.4)  # float32 sums: equal within tolerance
    assert statistics.is_failed(0.39, 0.4)
    assert not statistics.is_failed(0.41, 0.4)


def test_smoothing_weights_each_row_by_the_steps_it_covers():
    # Rows every step: a trailing mean of the last `window` rows.
    assert statistics.smooth_losses([1, 2, 3, 4], [4, 3, 2, 1], 2) == [4, 3.5, 2.5, 1.5]
    # Rows of 50, 50 and 20 steps, a 60-step window: at 120 the rows at 100 (covering
    # 51..100) and 120 (101..120) are in (60, 120].
    smoothed = statistics.smooth_losses([50, 100, 120], [3.0, 2.0, 1.0], 60)
    assert smoothed == pytest.approx([3.0, (3 * 50 + 2 * 50) / 100, (2 * 50 + 1 * 20) / 70])
    with pytest.raises(ValueError, match="window=0"):
        statistics.smooth_losses([1], [1.0], 0)


def test_steps_to_threshold_and_the_default_threshold():
    steps, smoothed = [10, 20, 30], [3.0, 2.0, 1.0]
    assert statistics.steps_to_threshold(steps, smoothed, 2.0) == 20  # at or below
    assert statistics.steps_to_threshold(steps, smoothed, 0.5) is None
    assert statistics.steps_to_threshold(steps, smoothed, None) is None
    # The largest final loss among the runs that did not fail; all runs if all failed.
    assert statistics.default_threshold([1.5, 4.0, None, 2.75], [False, True, False, False]) == 2.75
    assert statistics.default_threshold([1.5, 4.0], [True, True]) == 4.0
    assert statistics.default_threshold([None], [False]) is None


def test_curve_band_interpolates_each_run_within_its_own_steps():
    steps, bands = statistics.curve_band(
        [([0, 10], [4.0, 2.0]), ([0, 5, 10, 20], [2.0, 2.0, 0.0, 0.0])], quantiles=(0, 50, 100)
    )
    assert steps == [0, 5, 10, 20]
    assert bands[0] == pytest.approx([2.0, 2.0, 0.0, 0.0])
    assert bands[100] == pytest.approx([4.0, 3.0, 2.0, 0.0])  # the first run at 5: 3.0
    assert bands[50] == pytest.approx([3.0, 2.5, 1.0, 0.0])  # past 10 only the second run
    assert statistics.curve_band([([], [])]) == ([], {25: [], 50: [], 75: []})


def test_a_resumed_run_s_rows_replace_those_of_the_attempt_it_resumed(tmp_path):
    # Killed after step 4 with its backup at step 2: it logs 3 and 4 again, then 5.
    rows = [(1, 9.0), (2, 8.0), (3, 7.0), (4, 6.0), (3, 7.5), (4, 6.5), (5, 5.0)]
    assert latest_attempt(rows) == [(1, 9.0), (2, 8.0), (3, 7.5), (4, 6.5), (5, 5.0)]
    # Restarted from scratch: only the last attempt is left.
    assert latest_attempt([(1, 9.0), (2, 8.0), (1, 9.5)]) == [(1, 9.5)]
    path = tmp_path / "train_steps.csv"
    path.write_text("step,loss\n" + "".join(f"{s},{v}\n" for s, v in rows))
    assert read_loss_curve(path) == ([1, 2, 3, 4, 5], [9.0, 8.0, 7.5, 6.5, 5.0])
    assert read_loss_curve(tmp_path / "none.csv") == ([], [])


def record(setting, seed, f1, losses, seconds=10.0):
    return RunRecord(
        setting, seed, "--x" if setting == "B" else "", f"/study/runs/{setting}/seed-{seed}",
        {"test": {"f1": f1, "precision": f1}}, len(losses), seconds,
        list(range(1, len(losses) + 1)), losses,
    )  # fmt: skip


def synthetic_study():
    study = {
        "output_dir": "/study",
        "command": "tf-ner stability ...",
        "task": "ner",
        "split": "test",
        "split_file": "test.jsonl",
        "metrics": ["f1"],
        "trivial": {"prediction": "the empty prediction", "scores": {"f1": 0.0}},
        "training": {
            "file": "train.jsonl",
            "examples": 100,
            "subset_size": 100,
            "subset_seed": 0,
            "subset_file": "train-subset.jsonl",
        },  # fmt: skip
        "settings": [{"name": "A", "flags": ""}, {"name": "B", "flags": "--x"}],
        "seeds": [1, 2],
        "runs_planned": 4,
    }
    records = [
        record("A", 1, 0.8, [4.0, 3.0, 2.0, 1.0], seconds=10.0),
        record("A", 2, 0.0, [4.0, 4.0, 4.0, 4.0], seconds=20.0),  # failed
        record("B", 1, 0.6, [5.0, 4.0, 3.0, 2.5], seconds=30.0),
        record("B", 2, 0.7, [3.0, 2.0, 1.5, 1.0], seconds=40.0),
    ]
    return study, records


def test_study_results_by_hand():
    study, records = synthetic_study()
    results, curves = study_results(study, records, loss_threshold=None, loss_smoothing=2)
    # Smoothed over 2 steps, the final losses are A1 1.5, A2 4.0 (failed), B1 2.75, B2 1.25:
    # the default threshold is the largest among the runs that did not fail, 2.75.
    assert results["loss_threshold"] == {"value": 2.75, "source": "default", "smoothing_steps": 2}
    by_run = {(r["setting"], r["seed"]): r for r in results["runs"]}
    assert [by_run[k]["final_smoothed_loss"] for k in sorted(by_run)] == [1.5, 4.0, 2.75, 1.25]
    assert [by_run[k]["failed"] for k in sorted(by_run)] == [False, True, False, False]
    # A1 [4, 3.5, 2.5, 1.5] -> 3; A2 never; B1 [5, 4.5, 3.5, 2.75] -> 4; B2 [3, 2.5, ...] -> 2
    assert [by_run[k]["steps_to_threshold"] for k in sorted(by_run)] == [3, None, 4, 2]
    assert curves[("B", 1)] == ([1, 2, 3, 4], [5.0, 4.5, 3.5, 2.75])
    a, b = results["summary"]["A"], results["summary"]["B"]
    assert a["f1"]["mean"] == pytest.approx(0.4)
    assert a["f1"]["std"] == pytest.approx(math.sqrt(2 * 0.4**2))
    assert (a["failed"], a["median_steps_to_threshold"], a["never_reached_threshold"]) == (1, 3, 1)
    assert a["median_seconds"] == 15.0
    assert b["f1"]["std"] == pytest.approx(math.sqrt(2 * 0.05**2))
    assert (b["failed"], b["median_steps_to_threshold"], b["never_reached_threshold"]) == (0, 3, 0)
    assert by_run[("A", 1)]["folder"] == "runs/A/seed-1"
    # A threshold given: A1 reaches 2.0 at step 4 (1.5), B2 at step 3 (1.75), B1 never.
    results, _ = study_results(study, records, loss_threshold=2.0, loss_smoothing=2)
    by_run = {(r["setting"], r["seed"]): r for r in results["runs"]}
    assert [by_run[k]["steps_to_threshold"] for k in sorted(by_run)] == [4, None, None, 3]
    assert results["loss_threshold"]["source"] == "given"


def test_the_report_states_the_numbers_and_the_definitions():
    study, records = synthetic_study()
    results, _ = study_results(study, records[:3], loss_smoothing=2)
    text = format_report(results)
    assert "Runs done: 3 of 4" in text and "subset seed 0" in text
    assert "tf-ner stability ..." in text and "the empty prediction: test f1 0.0000" in text
    assert "| A | (base) | 2 | 0.4000 | 0.5657 | 0.0000 | 0.8000 | 1 | 3 | 1 | 4 | 15.0 |" in text
    assert "| B | `--x` | 1 | 0.6000 | n/a |" in text  # one run: no std
    assert "2.7500, the default: the largest final smoothed training loss" in text
    assert "sample standard deviation (ddof=1)" in text and "(s - 2, s]" in text
    assert "same data, so the spread of the scores comes from the training seed" in text


def test_welch_against_scipy():
    from scipy import stats as scipy_stats

    rng = np.random.default_rng(0)
    for n, m, spread in [(5, 5, 0.01), (10, 10, 0.1), (3, 7, 0.02), (2, 2, 1.0), (5, 5, 1e-4)]:
        a, b = rng.normal(0.5, spread, n), rng.normal(0.52, spread / 3, m)
        ours = statistics.welch(a, b)
        theirs = scipy_stats.ttest_ind(a, b, equal_var=False)
        assert ours["difference"] == pytest.approx(a.mean() - b.mean(), abs=1e-15)
        assert ours["t"] == pytest.approx(theirs.statistic, rel=1e-12)
        assert ours["df"] == pytest.approx(theirs.df, rel=1e-12)
        assert ours["p"] == pytest.approx(theirs.pvalue, rel=1e-9, abs=1e-300)
    # Far tails and fractional degrees of freedom.
    for t, df in [(-93.0, 4.0), (12.5, 2.3), (0.0, 7.0), (1e-3, 30.5)]:
        expected = 2 * scipy_stats.t.sf(abs(t), df)
        assert statistics.t_two_sided_p(t, df) == pytest.approx(expected, rel=1e-9)
    assert statistics.welch([0.5], [0.4, 0.6]) is None  # one run: no variance
    assert statistics.welch([0.5, 0.5], [0.4, 0.4]) is None  # no spread: t undefined


def test_the_report_compares_each_setting_with_the_base_by_welch_s_test():
    study, records = synthetic_study()
    results, _ = study_results(study, records, loss_threshold=None, loss_smoothing=2)
    # By hand: A (the base, no flags) 0.8 and 0.0, variance 0.32; B 0.6 and 0.7,
    # variance 0.005: t = 0.25 / sqrt(0.32 / 2 + 0.005 / 2).
    versus = results["summary"]["B"]["vs_base"]
    assert versus["difference"] == pytest.approx(0.25)
    assert versus["t"] == pytest.approx(0.25 / math.sqrt(0.1625))
    assert versus["df"] == pytest.approx(0.1625**2 / (0.16**2 + 0.0025**2))
    assert "vs_base" not in results["summary"]["A"]
    report = format_report(results)
    assert "| vs A: difference (Welch t, p) |" in report
    assert f"| +0.2500 (t +0.62, p {versus['p']:.3g}) |" in report
    # Without a single setting lacking flags there is no base and no column.
    study["settings"][0]["flags"] = "--y"
    results, _ = study_results(study, records, loss_threshold=None, loss_smoothing=2)
    assert "vs_base" not in results["summary"]["B"]
    assert "Welch" not in format_report(results)
