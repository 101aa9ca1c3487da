import json

import pytest

from tests.helpers import run_python
from tf_ner.bert.checkpoint_io import CheckpointReader
from tf_ner.bert.tiny import write_random_checkpoint
from tf_ner.cli import main


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
from tf_ner.cli import main
for argv in (["--help"], ["train", "--help"], ["stability", "--help"], ["predict", "--help"]):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
        main(argv)
print(sorted(m for m in ("tensorflow", "keras") if m in sys.modules))
"""
    assert run_python(code).stdout.splitlines()[-1] == "[]"


def test_train_help_shows_what_train_config_holds():
    """Every field has its flag, with the field's default and choices (one source)."""
    import dataclasses
    import re

    from tf_ner.cli import build_parser
    from tf_ner.train.config import TrainConfig

    train = build_parser()._subparsers._group_actions[0].choices["train"]
    text = re.sub(r"\s+", " ", train.format_help())
    for field in dataclasses.fields(TrainConfig):
        flag = "--" + field.name.replace("_", "-")
        assert flag in text, flag
        if field.default is not None:
            assert f"(default {field.default})" in text, (flag, field.default)
        choices = field.metadata["choices"]
        if choices is not None:
            listed = choices() if callable(choices) else choices
            assert "{" + ",".join(listed) + "}" in text, flag
    defaults = vars(build_parser().parse_args(["train", "--train", "t", "--output-dir", "o",
                                               "--bert-size", "tiny"]))  # fmt: skip
    config = TrainConfig(**{f.name: defaults[f.name] for f in dataclasses.fields(TrainConfig)})
    assert config == TrainConfig(train="t", output_dir="o", bert_size="tiny")
