"""Merging stability studies trained in parts (seeds apart) into one report."""

import json

import pytest

from tests.helpers import run_python
from tests.studies.test_statistics import record, synthetic_study
from tf_ner.ground.errors import SettingsError
from tf_ner.studies.merge import merge_results
from tf_ner.studies.report import study_results

THRESHOLD = 2.0


def second_part():
    """Seeds 3 and 4 of the synthetic study: another part of the same study."""
    study, _ = synthetic_study()
    study = {**study, "seeds": [3, 4], "command": "tf-ner stability 2"}
    records = [
        record("A", 3, 0.9, [3.0, 2.0, 1.0, 0.5], seconds=12.0),
        record("A", 4, 0.5, [4.0, 3.0, 3.0, 3.0], seconds=14.0),
        record("B", 3, 0.4, [2.0, 1.0, 1.0, 1.0], seconds=16.0),
        record("B", 4, 0.3, [6.0, 5.0, 4.0, 3.0], seconds=18.0),
    ]
    return study, records


def parts():
    (one, first), (two, second) = synthetic_study(), second_part()
    return [
        study_results(one, first, THRESHOLD, loss_smoothing=2)[0],
        study_results(two, second, THRESHOLD, loss_smoothing=2)[0],
    ]


def test_merged_parts_equal_the_study_trained_at_once():
    (one, first), (_, second) = synthetic_study(), second_part()
    whole = {**one, "seeds": [1, 2, 3, 4], "runs_planned": 8}
    expected, _ = study_results(whole, first + second, THRESHOLD, loss_smoothing=2)
    merged = merge_results(parts(), ["/one", "/two"], "tf-ner merge-studies /one /two")
    assert merged["summary"] == expected["summary"]
    assert merged["seeds"] == [1, 2, 3, 4]
    assert (merged["runs_planned"], merged["runs_done"]) == (8, 8)
    assert [(r["setting"], r["seed"]) for r in merged["runs"]] == [
        ("A", 1), ("A", 2), ("A", 3), ("A", 4), ("B", 1), ("B", 2), ("B", 3), ("B", 4)
    ]  # fmt: skip
    assert merged["runs"][2]["folder"] == "/two/runs/A/seed-3"
    # By hand: A's scores 0.8, 0.0 (failed), 0.9, 0.5; with the threshold 2.0 (smoothed
    # over 2 steps) A1 reaches it at step 4, A2 never, A3 at 3 (1.5), A4 never (3.0).
    a = merged["summary"]["A"]
    assert a["f1"]["mean"] == pytest.approx(0.55)
    assert (a["runs"], a["failed"], a["never_reached_threshold"]) == (4, 1, 2)
    assert a["median_steps_to_threshold"] == 3.5
    assert a["median_seconds"] == 13.0
    assert merged["loss_threshold"] == {"value": 2.0, "source": "merged", "smoothing_steps": 2}
    assert [p["seeds"] for p in merged["parts"]] == [[1, 2], [3, 4]]


def test_parts_of_another_study_are_refused_naming_the_difference():
    one, two = parts()
    other = {**two, "settings": [{"name": "A", "flags": ""}, {"name": "B", "flags": "--y"}]}
    with pytest.raises(SettingsError, match=r"/two is another study than /one: settings"):
        merge_results([one, other], ["/one", "/two"], "merge")
    moved = {**two, "loss_threshold": {**two["loss_threshold"], "value": 2.5}}
    with pytest.raises(SettingsError, match=r"--loss-threshold 2\.0 --loss-smoothing 2"):
        merge_results([one, moved], ["/one", "/two"], "merge")
    with pytest.raises(SettingsError, match=r"setting 'A' seed 1 is in both /one and /again"):
        merge_results([one, one], ["/one", "/again"], "merge")
    with pytest.raises(SettingsError, match="two or more"):
        merge_results([one], ["/one"], "merge")


def test_tf_ner_merge_studies_writes_the_report_of_every_seed(tmp_path):
    for name, results in zip(("one", "two"), parts(), strict=True):
        (tmp_path / name).mkdir()
        (tmp_path / name / "results.json").write_text(json.dumps(results))
    out = tmp_path / "merged"
    proc = run_python(
        ["-m", "tf_ner.cli", "merge-studies", str(tmp_path / "one"), str(tmp_path / "two"),
         "--output-dir", str(out)]
    )  # fmt: skip
    assert "8 runs, 2 setting(s) × seeds 1, 2, 3, 4" in proc.stdout
    report = (out / "report.md").read_text()
    assert "Runs done: 8 of 8 (2 setting(s) × seeds 1, 2, 3, 4)." in report
    assert "| A | (base) | 4 | 0.5500 |" in report
    assert "tf-ner stability 2" in report  # the second part's own command
    assert "2.0000, the same in every merged study" in report
    assert (out / "scores.png").read_bytes()[:4] == b"\x89PNG"
    assert not (out / "loss.png").exists()
    bad = run_python(
        ["-m", "tf_ner.cli", "merge-studies", str(tmp_path / "one"), str(tmp_path / "none"),
         "--output-dir", str(out)], check=False,
    )  # fmt: skip
    assert bad.returncode == 2
    assert bad.stderr.strip().endswith("none: no results.json (expected a tf-ner stability folder)")
