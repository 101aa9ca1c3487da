"""Settings parsed on top of the base, the study's own fields, and study.json's guard."""

import dataclasses

import pytest

from tf_ner.studies.grid import (
    Setting,
    check_grid,
    check_seeds,
    parse_setting,
    seed_list,
    setting_config,
)
from tf_ner.studies.study import study_differences
from tf_ner.train import TrainConfig

BASE = TrainConfig(
    train="data/train.jsonl", output_dir="study", test="data/test.jsonl", bert_dir="bert",
    learning_rate=3e-5, epochs=4,
)  # fmt: skip


def test_settings_parse_on_top_of_the_base():
    assert parse_setting("reinit-2=--reinit-top-layers 2") == Setting(
        "reinit-2", "--reinit-top-layers 2"
    )
    assert parse_setting("base=") == Setting("base", "")
    run = setting_config(BASE, parse_setting("google=--no-bias-correction --epochs 2"), 7, "r/g/7")
    assert not run.bias_correction and run.epochs == 2
    assert (run.seed, run.output_dir, run.train) == (7, "r/g/7", "data/train.jsonl")
    # Everything else is the base's.
    unchanged = {"bias_correction", "epochs", "seed", "output_dir"}
    for field in dataclasses.fields(TrainConfig):
        if field.name not in unchanged:
            assert getattr(run, field.name) == getattr(BASE, field.name), field.name
    plain = setting_config(BASE, Setting("base"), 1, "r/b/1", train="study/train-subset.jsonl")
    assert plain.bias_correction and plain.epochs == 4 and plain.train == "study/train-subset.jsonl"
    quoted = setting_config(BASE, Setting("b", "--buckets '16,128' --dropout 0.2"), 1, "o")
    assert quoted.buckets == (16, 128) and quoted.dropout == 0.2


@pytest.mark.parametrize(
    "flags, message",
    [
        ("--no-such-flag", "--no-such-flag"),
        ("--learning-rate fast", "--learning-rate.*float"),
        ("--seed 3", "--seed cannot be set by a setting"),
        ("--train other.jsonl", "--train cannot be set"),
        # The checks of the run's, the task's and the head's settings.
        ("--bert-size tiny", "exactly one of bert_dir"),
        ("--stride 200", "stride=200 with max_length=128"),
        ("--head-size 8", "--head-size is a setting of --head globalpointer"),
        ("--head globalpointer --head-size 7", "head_size=7: expected an even int"),
    ],
)
def test_a_bad_setting_is_refused_with_its_name(flags, message):
    with pytest.raises(ValueError, match=f"setting 'bad' .*{message}"):
        setting_config(BASE, Setting("bad", flags), 1, "o")


def test_bad_names_and_grids_are_refused():
    with pytest.raises(ValueError, match="expected NAME=FLAGS"):
        parse_setting("--no-bias-correction")
    with pytest.raises(ValueError, match="setting name 'a b'"):
        Setting("a b")
    with pytest.raises(ValueError, match=r"\['a'\] given more than once"):
        check_grid([Setting("a"), Setting("b"), Setting("a", "--epochs 1")])


def test_seeds():
    assert seed_list("1,5,9") == (1, 5, 9)
    assert check_seeds(range(1, 4)) == (1, 2, 3)
    with pytest.raises(ValueError, match=r"\[5\] given more than once"):
        check_seeds([5, 1, 5])
    with pytest.raises(ValueError, match="at least one seed"):
        check_seeds([])
    with pytest.raises(ValueError, match="comma-separated ints"):
        seed_list("1,x")


def description(config=BASE, size=50, seed=0, settings=(("a", ""), ("b", "--epochs 2"))):
    return {
        "base": dataclasses.asdict(config),
        "subset": {"size": size, "seed": seed},
        "settings": [{"name": n, "flags": f} for n, f in settings],
        "seeds": [1, 2],
    }


def test_study_differences_name_what_changed():
    assert study_differences(description(), description()) == []
    # The run's own folder and seed are not the study's: a moved folder is the same study.
    moved = dataclasses.replace(BASE, output_dir="elsewhere", seed=1)
    assert study_differences(description(), description(moved)) == []
    changed = study_differences(
        description(),
        description(
            dataclasses.replace(BASE, epochs=5), size=60,
            settings=(("a", "--epochs 3"), ("c", "")),
        ),
    )  # fmt: skip
    assert changed == [
        "base setting epochs: 4 there, 5 now",
        "subset size: 50 there, 60 now",
        "setting 'b' (--epochs 2) there, not now",
        "setting 'c' (no flags) now, not there",
        "setting 'a': flags '' there, '--epochs 3' now",
    ]
