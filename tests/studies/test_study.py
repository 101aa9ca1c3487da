"""`tf-ner stability` end to end: 2 settings × 2 seeds on a tiny checkpoint, run twice;
a setting's flags change what its runs do (bias correction: the first update's size)."""

import json

import numpy as np
import pytest

from tests.train.corpus import tiny_examples
from tf_ner.bert.checkpoint_io import CheckpointReader
from tf_ner.bert.tiny import write_random_checkpoint
from tf_ner.cli import main
from tf_ner.data import read_dataset
from tf_ner.data.formats.jsonl import write_jsonl

CHARACTERS = "张三李四王五赵六孙七昨天去北京上海广州深圳南京的人民银行长江大学中国开会"


def study_command(tmp_path, *settings):
    train, test, bert = tmp_path / "train.jsonl", tmp_path / "test.jsonl", tmp_path / "bert"
    if not train.exists():
        write_jsonl(tiny_examples(16, seed=0), train)
        write_jsonl(tiny_examples(4, seed=1), test)
        write_random_checkpoint(
            bert, tokens=list(dict.fromkeys(CHARACTERS)), hidden_size=16, num_hidden_layers=1,
            num_attention_heads=2, intermediate_size=32,
        )  # fmt: skip
    return [
        "stability", "--train", str(train), "--test", str(test), "--bert-dir", str(bert),
        "--head", "softmax", "--max-length", "24", "--stride", "4", "--batch-size", "4",
        "--eval-batch-size", "8", "--max-steps", "1", "--learning-rate", "1e-3",
        "--subset", "8", "--seeds", "2", "--output-dir", str(tmp_path / "study"),
        *(part for setting in settings for part in ("--setting", setting)),
    ]  # fmt: skip


def test_a_study_runs_every_setting_and_seed_once_and_reports(tmp_path, capsys):
    settings = ("base=", "reinit=--reinit-top-layers 1 --no-bias-correction")
    command = study_command(tmp_path, *settings)
    assert main(command) == 0
    study = tmp_path / "study"
    for name in ("report.md", "results.json", "scores.png", "loss.png", "study.json"):
        assert (study / name).is_file(), name
    # One subset of exactly 8 training examples, the same file for every run.
    subset = study / "train-subset.jsonl"
    assert len(read_dataset(subset)) == 8
    results = json.loads((study / "results.json").read_text())
    assert [(r["setting"], r["seed"]) for r in results["runs"]] == [
        ("base", 1), ("base", 2), ("reinit", 1), ("reinit", 2)
    ]  # fmt: skip
    for run in results["runs"]:
        config = json.loads((study / run["folder"] / "train_config.json").read_text())
        assert config["train"] == str(subset) and config["seed"] == run["seed"]
        reinit = run["setting"] == "reinit"
        assert config["reinit_top_layers"] == (1 if reinit else 0)
        assert config["bias_correction"] is not reinit
        assert run["steps"] == 1 and set(run["test"]) == {"precision", "recall", "f1"}
        assert isinstance(run["failed"], bool) and run["final_smoothed_loss"] > 0
    assert results["summary"]["reinit"]["f1"]["runs"] == 2
    for run in results["runs"]:
        first_update_matches_adam(tmp_path / "bert", study / run["folder"], run["setting"])
    report = (study / "report.md").read_text()
    assert "| reinit | `--reinit-top-layers 1 --no-bias-correction` | 2 |" in report
    assert " ".join(command[:3]) in report and "subset seed 0" in report
    finished = sorted(study.glob("runs/*/seed-*/train_summary.json"))
    assert len(finished) == 4
    stamps = [path.stat().st_mtime_ns for path in finished]
    before = capsys.readouterr().out
    assert before.count("(trained)") == 4

    # Again: nothing is retrained, and the report is the same.
    assert main(command) == 0
    assert [path.stat().st_mtime_ns for path in finished] == stamps
    assert capsys.readouterr().out.count("(finished before)") == 4
    assert (study / "report.md").read_text() == report
    assert json.loads((study / "results.json").read_text()) == results

    # Another grid in the same folder is refused, naming the difference.
    assert main(study_command(tmp_path, "base=", "reinit=--reinit-top-layers 1")) == 2
    error = capsys.readouterr().err
    assert "holds another study" in error
    assert "setting 'reinit': flags '--reinit-top-layers 1 --no-bias-correction' there" in error
    assert [path.stat().st_mtime_ns for path in finished] == stamps

    # A study.json this version cannot read (an older layout) is named, not a traceback.
    description = json.loads((study / "study.json").read_text())
    description["base"]["crf_lr_multiplier"] = description["base"].pop("task_settings")
    (study / "study.json").write_text(json.dumps(description))
    assert main(command) == 2
    error = capsys.readouterr().err
    assert f"{study / 'study.json'} cannot be read as a study of this version" in error
    assert "unknown setting(s) ['crf_lr_multiplier']" in error


def first_update_matches_adam(bert_dir, folder, setting):
    """The one step a run took moved each embedding LayerNorm weight (loaded, never
    re-initialised, not decayed) by `lr * c_1 * m_1 / (sqrt(v_1) + eps)`, where after
    one step `m_1 = (1 - beta_1) g`, `v_1 = (1 - beta_2) g**2`: at most
    `lr * c_1 * (1 - beta_1) / sqrt(1 - beta_2)`, reached where |g| >> eps. With bias
    correction `c_1 = sqrt(1 - beta_2) / (1 - beta_1)`, a step of lr; without (Google's
    optimizer) `c_1 = 1`, a step of 3.16 lr."""
    lr, beta_1, beta_2 = 1e-3, 0.9, 0.999  # --learning-rate, Adam's defaults; no warmup
    bias_corrected = setting == "base"
    c_1 = np.sqrt(1 - beta_2) / (1 - beta_1) if bias_corrected else 1.0
    largest = lr * c_1 * (1 - beta_1) / np.sqrt(1 - beta_2)
    assert largest == pytest.approx(1e-3 if bias_corrected else 3.1623e-3, rel=1e-4)
    before, after = CheckpointReader(bert_dir), CheckpointReader(folder)
    steps = np.concatenate([
        np.abs(after.read(name) - before.read(name)).ravel()
        for name in ("bert/embeddings/LayerNorm/beta", "bert/embeddings/LayerNorm/gamma")
    ])  # fmt: skip
    assert steps.max() <= largest * (1 + 1e-4), (setting, steps.max() / lr)
    assert np.median(steps) > 0.9 * largest, (setting, np.median(steps) / lr)
