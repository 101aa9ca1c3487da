"""The training subset, the tasks' writers and trivial predictions, a run folder's restart."""

import dataclasses
import json

import numpy as np
import pytest

from tests.train.corpus import tiny_examples
from tf_ner.data import Example
from tf_ner.data.classification import TextExample
from tf_ner.metrics import MacroF1
from tf_ner.studies.runs import prepare_folder
from tf_ner.studies.subset import draw_subset, write_subset
from tf_ner.tasks import TASKS
from tf_ner.train import TrainConfig


def config(tmp_path, **changes):
    values = dict(train=str(tmp_path / "train"), output_dir=str(tmp_path / "o"), bert_size="tiny")
    return TrainConfig(**{**values, **changes})


def test_the_subset_has_exactly_n_examples_the_same_for_a_seed():
    examples = tiny_examples(30)
    subset = draw_subset(examples, 12, seed=0)
    assert len(subset) == 12
    assert subset == draw_subset(examples, 12, seed=0)
    assert subset != draw_subset(examples, 12, seed=1)
    # Drawn without replacement, kept in file order.
    positions = [next(i for i, e in enumerate(examples) if e is s) for s in subset]
    assert positions == sorted(set(positions))
    assert draw_subset(examples, 30) == examples
    with pytest.raises(ValueError, match="subset of 31 examples .* holds only 30"):
        draw_subset(examples, 31)
    with pytest.raises(ValueError, match="positive int"):
        draw_subset(examples, 0)


@pytest.mark.parametrize("format", ["auto", "char_bio", "conll"])
def test_a_ner_subset_reads_back_as_written(tmp_path, format):
    examples = draw_subset(tiny_examples(10), 4, seed=3)
    if format == "conll":  # words separated by single spaces
        examples = [Example("Ann met Bob", [(0, 3, "PER"), (8, 11, "PER")]), Example("ok go")]
    path = write_subset(TASKS.get("ner"), config(tmp_path, format=format), examples, tmp_path / "s")
    again, _ = TASKS.get("ner").read(path, format)
    assert again == examples


def test_a_subset_the_format_cannot_hold_is_refused(tmp_path):
    nested = [Example("北京大学", [(0, 2, "LOC"), (0, 4, "ORG")])]
    with pytest.raises(ValueError, match="overlap|nested"):
        write_subset(TASKS.get("ner"), config(tmp_path, format="char_bio"), nested, tmp_path / "s")
    assert not (tmp_path / "s").exists()
    write_subset(TASKS.get("ner"), config(tmp_path), nested, tmp_path / "s")  # jsonl holds it


@pytest.mark.parametrize("format", ["auto", "jsonl", "clue", "tsv"])
def test_a_classification_subset_reads_back_as_written(tmp_path, format):
    examples = [
        TextExample("很好\t的酒店", "pos"),
        TextExample("label", "neg"),
        TextExample("差", "1"),
    ]
    task = TASKS.get("classification")
    settings = config(tmp_path, task="classification", format=format)
    path = write_subset(task, settings, examples, tmp_path / "s")
    assert task.read(path, format)[0] == examples
    two_labels = [TextExample("a\nb", ("x", "y"))]
    if format in ("clue", "tsv"):
        with pytest.raises(ValueError, match="example 0: 2 labels, .* write it as jsonl"):
            write_subset(task, settings, two_labels, tmp_path / "t")
    else:
        write_subset(task, settings, two_labels, tmp_path / "t")


def macro_f1_reference(gold_ids, predicted_id, num_classes):
    """The task's own metric (`MacroF1`) on every text predicted as `predicted_id`."""
    metric = MacroF1(num_classes)
    logits = np.zeros((len(gold_ids), num_classes), np.float32)
    logits[:, predicted_id] = 1.0
    metric.update_state(np.array(gold_ids), logits)
    return float(metric.result())


def test_the_trivial_classifier_predicts_the_majority_class(tmp_path):
    task = TASKS.get("classification")
    settings = config(tmp_path, task="classification")
    train = [TextExample(t, label) for t, label in zip("abcd", ["a", "a", "b", "c"], strict=True)]
    test = [TextExample(t, label) for t, label in zip("vwxyz", "abbca", strict=True)]
    description, scores = task.trivial_scores(train, test, settings.task_settings)
    assert "'a'" in description and "2 of 4" in description
    # 'a' right on 2 of 5 texts; F1 of a = 2*2 / (2*2 + 3) = 4/7, of b and c 0, averaged over 3.
    assert scores["accuracy"] == pytest.approx(0.4)
    assert scores["macro_f1"] == pytest.approx(4 / 7 / 3)
    assert scores["macro_f1"] == pytest.approx(macro_f1_reference([0, 1, 1, 2, 0], 0, 3))
    # A tie goes to the first label in sorted order.
    tied = [TextExample("x", "b"), TextExample("y", "a")]
    assert "'a'" in task.trivial_scores(tied, test, settings.task_settings)[0]


def test_the_trivial_multi_label_prediction_and_the_empty_ner_prediction(tmp_path):
    task = TASKS.get("classification")
    settings = config(tmp_path, task="classification")
    train = [TextExample("p", ("x", "y")), TextExample("q", "x"), TextExample("r", ("x", "z"))]
    train.append(TextExample("s", "y"))
    test = [TextExample("t", "x"), TextExample("u", "y"), TextExample("v", ("x", "y"))]
    description, scores = task.trivial_scores(train, test, settings.task_settings)
    # x is on 3 of 4 texts (predicted everywhere), y on 2 (not more than half), z on 1.
    # x: tp 2, fp 1 -> F1 0.8; y: fn 2 -> 0; z occurs nowhere: not averaged.
    assert "(x)" in description and scores == pytest.approx({"macro_f1": 0.4})
    ner = TASKS.get("ner")
    description, scores = ner.trivial_scores(tiny_examples(3), tiny_examples(2), None)
    assert scores == {"precision": 0.0, "recall": 0.0, "f1": 0.0} and "no entity" in description


def test_a_killed_run_resumes_from_its_backup_or_restarts_cleanly(tmp_path):
    run = dataclasses.replace(config(tmp_path), output_dir=str(tmp_path / "run"))
    assert prepare_folder(run) is False  # nothing there yet
    folder = tmp_path / "run"
    (folder / "backup").mkdir(parents=True)
    (folder / "train_config.json").write_text(run.to_json())
    (folder / "train_steps.csv").write_text("step,loss\n1,2.0\n")
    assert prepare_folder(run) is True and (folder / "train_steps.csv").is_file()
    (folder / "backup").rmdir()  # killed before its first backup, or while evaluating
    assert prepare_folder(run) is False and not folder.exists()
    folder.mkdir()
    other = dataclasses.replace(run, epochs=9)
    (folder / "train_config.json").write_text(json.dumps(dataclasses.asdict(other)))
    with pytest.raises(ValueError, match="holds another model .*epochs"):
        prepare_folder(run)
