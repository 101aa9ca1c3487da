import json

import pytest

from tests.helpers import run_python, without_tensorflow
from tf_ner.bert.checkpoint_io import CheckpointReader
from tf_ner.bert.tiny import write_random_checkpoint
from tf_ner.cli import build_parser, main


def test_convert_round_trip_through_the_command(tmp_path, capsys):
    write_random_checkpoint(tmp_path / "google", seed=1)
    assert main(["convert-google", str(tmp_path / "google"), str(tmp_path / "hf")]) == 0
    assert main(["convert-hf", str(tmp_path / "hf"), str(tmp_path / "back")]) == 0
    assert "tensors written" in capsys.readouterr().out
    original, back = CheckpointReader(tmp_path / "google"), CheckpointReader(tmp_path / "back")
    assert original.names() == back.names()
    assert json.loads((tmp_path / "hf" / "config.json").read_text())["model_type"] == "bert"


def test_errors_are_one_line_with_exit_code_2(tmp_path, capsys):
    assert main(["convert-hf", str(tmp_path / "missing"), str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tf-ner convert-hf: error:") and "missing/config.json not found" in err


def test_data_stats_prints_the_summary(tmp_path, capsys):
    path = tmp_path / "train.txt"
    path.write_text("我 B-PER\n们 E-PER\n好 O\n\n中 B-LOC\n国 M-LOC\n人 E-LOC\n", encoding="utf-8")
    assert main(["data-stats", str(path)]) == 0
    out = capsys.readouterr().out
    assert "char_bmes" in out and "LOC" in out and "PER" in out


def test_console_script_help():
    proc = run_python(["-m", "tf_ner.cli", "--help"])
    for command in ("convert-hf", "convert-google", "data-stats", "stability"):
        assert command in proc.stdout


@pytest.mark.parametrize("argv", [[], ["nonsense"]])
def test_unknown_commands_exit_with_usage(argv):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2


def test_help_imports_no_tensorflow():
    code = """
import contextlib, io, sys
from tf_ner.cli import build_parser, main
for argv in (["--help"], ["train", "--help"], ["stability", "--help"], ["predict", "--help"]):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
        main(argv)
print(sorted(m for m in ("tensorflow", "keras") if m in sys.modules))
"""
    assert run_python(code).stdout.splitlines()[-1] == "[]"


@pytest.mark.parametrize("flags", [[], ["--verbose"]])
def test_a_tensorflow_command_without_tensorflow_says_how_to_install_it(tmp_path, flags):
    """Where TensorFlow is not installed (a serving machine of ONNX graphs), a command
    that needs it is one line saying so, exit code 2, not a traceback."""
    proc = run_python(
        ["-m", "tf_ner.cli", *flags, "predict", "--model", "m", "--input", "i", "--output", "o"],
        env=without_tensorflow(tmp_path),
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "tf-ner predict: error: TensorFlow is not installed: install tf_ner with it (pip "
        "install -e .[cpu], or .[gpu]); without it, tf-ner predict runs a model exported by "
        "tf-ner export --format onnx, with --runtime onnx"
    ]


def test_train_help_shows_every_setting_grouped_by_its_owner():
    """Every flag field of the run, the tasks and the heads has its flag, with the
    field's default and choices, in a group named after its owner (one source)."""
    import re

    from tf_ner.ground.flags import owned_fields
    from tf_ner.ground.settings import FLAG
    from tf_ner.train.config import TrainConfig
    from tf_ner.train.flags import config_from_args

    train = build_parser()._subparsers._group_actions[0].choices["train"]
    text = re.sub(r"\s+", " ", train.format_help())
    for name, item in owned_fields(TrainConfig).items():
        flag = "--" + name.replace("_", "-")
        assert flag in text, flag
        if item.field.default is not None:
            assert f"(default {item.field.default})" in text, (flag, item.field.default)
        choices = item.field.metadata[FLAG].allowed()
        if choices is not None:
            assert "{" + ",".join(choices) + "}" in text, flag
    groups = [g.title for g in train._action_groups]
    for title in ("--task ner", "--task classification", "--task masked_lm", "--head crf",
                  "--head crf, softmax", "--head globalpointer, efficient_globalpointer"):
        # (a test's own head, registered in this process, may join a group)
        assert any(g == title or g.startswith(title + ", ") for g in groups), (title, groups)
    args = train.parse_args(["--train", "t", "--output-dir", "o", "--bert-size", "tiny"])
    assert config_from_args(train, args) == TrainConfig(train="t", output_dir="o",
                                                        bert_size="tiny")  # fmt: skip


def test_no_sentence_cuts_reaches_the_ner_settings():
    from tf_ner.train.flags import config_from_args

    train = build_parser()._subparsers._group_actions[0].choices["train"]
    args = train.parse_args(
        ["--train", "t", "--output-dir", "o", "--bert-size", "tiny", "--no-sentence-cuts"]
    )
    assert config_from_args(train, args).task_settings.sentence_cuts is False


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--head-size", "8"], "--head-size is a setting of --head globalpointer, "
         "efficient_globalpointer, not of this run (--task ner --head crf)"),
        (["--pooling", "mean"], "--pooling is a setting of --task classification, not of this "
         "run (--task ner --head crf)"),
        (["--task", "classification", "--stride", "8"], "--stride is a setting of --task ner"),
        (["--head", "globalpointer", "--scheme", "BIOES"], "--scheme is a setting of --head "
         "crf, softmax"),
        (["--task", "masked_lm", "--buckets", "32"], "buckets=(32,) does not apply to the "
         "masked_lm task"),
    ],
)  # fmt: skip
def test_a_flag_of_another_task_or_head_is_an_error_naming_it(tmp_path, capsys, flags, message):
    argv = ["train", "--train", str(tmp_path / "t.txt"), "--output-dir", str(tmp_path / "o"),
            "--bert-size", "tiny", *flags]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("tf-ner train: error: ") and message in err, err
    assert len(err.splitlines()) == 1, err


BROKEN_TRAINING = """
import sys
import tf_ner.cli
import tf_ner.train.loop


def fit(run, model):
    raise RuntimeError("a bug inside training")


tf_ner.train.loop.fit = fit
sys.exit(tf_ner.cli.main(sys.argv[1:]))
"""


def _train_args(train_file, out, *flags):
    return ["train", "--train", str(train_file), "--bert-size", "tiny", "--max-length", "24",
            "--stride", "4", "--max-steps", "1", "--output-dir", str(out), *flags]  # fmt: skip


def test_an_unexpected_error_in_training_shows_its_traceback(tmp_path):
    from tests.train.corpus import write_corpus

    train_file = write_corpus(tmp_path, count=8)
    proc = run_python(["-c", BROKEN_TRAINING, *_train_args(train_file, tmp_path / "m")],
                      check=False)  # fmt: skip
    assert proc.returncode == 1
    assert "Traceback (most recent call last)" in proc.stderr
    assert proc.stderr.rstrip().endswith("RuntimeError: a bug inside training")
    assert "tf-ner train: error" not in proc.stderr


def test_a_bad_input_file_is_one_line_and_verbose_shows_its_traceback(tmp_path):
    bad = tmp_path / "train.jsonl"
    good = '{"text": "张三", "entities": [{"start": 0, "end": 2, "type": "PER"}]}'
    bad.write_text(good + '\n{"text": 1}\n', encoding="utf-8")
    for flags, traceback in (([], False), (["--verbose"], True)):
        argv = ["-m", "tf_ner.cli", *flags, *_train_args(bad, tmp_path / "m")]
        proc = run_python(argv, check=False)
        assert proc.returncode == 2
        last = proc.stderr.rstrip().splitlines()[-1]
        assert last.startswith("tf-ner train: error: ") and f"{bad}:2" in last, proc.stderr
        assert ("Traceback (most recent call last)" in proc.stderr) == traceback, proc.stderr
    missing = run_python(["-m", "tf_ner.cli", *_train_args(tmp_path / "typo.txt", "m")],
                         check=False)  # fmt: skip
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert "typo.txt not found" in missing.stderr.rstrip().splitlines()[-1]


def test_pretrain_help_prints_percent_signs_once():
    text = build_parser()._subparsers._group_actions[0].choices["pretrain"].format_help()
    assert "%%" not in text and "1% of the texts" in " ".join(text.split())
