"""`tf-ner stability` end to end: 2 settings × 2 seeds on a tiny checkpoint, run twice."""

import json

from tests.train.corpus import tiny_examples
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
        "--eval-batch-size", "8", "--max-steps", "2", "--learning-rate", "1e-3",
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
        assert run["steps"] == 2 and set(run["test"]) == {"precision", "recall", "f1"}
        assert isinstance(run["failed"], bool) and run["final_smoothed_loss"] > 0
    assert results["summary"]["reinit"]["f1"]["runs"] == 2
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
