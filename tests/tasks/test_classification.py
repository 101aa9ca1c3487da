"""Text classification end to end: `tf-ner train --task classification`, then evaluate
and predict in new processes; pooling, truncation and bad input."""

import collections
import json
import random

import numpy as np
import pytest
import tensorflow as tf

from tests.data.tiny_vocab import write_tiny_vocab
from tests.helpers import run_python, without_tensorflow
from tests.page_tree import parse_page
from tf_ner.bert.config import BertConfig
from tf_ner.bert.tokenization import Tokenizer
from tf_ner.data.classification import TextExample, write_classification
from tf_ner.data.classification.truncation import encode_texts, truncate
from tf_ner.ground.settings import Situation
from tf_ner.tasks.classification.pooling import TextPooling
from tf_ner.tasks.classification.settings import ClassificationSettings
from tf_ner.tasks.classification.task import ClassificationTask

POSITIVE, NEGATIVE = "好棒赞喜欢满意", "差烂坏讨厌失望"


def reviews(count, seed):
    """Texts whose label is the kind of word they hold most of, padded with neutral ones."""
    rng = random.Random(seed)
    examples = []
    for _ in range(count):
        label = rng.choice(["pos", "neg"])
        words = POSITIVE if label == "pos" else NEGATIVE
        text = "".join(rng.choice(words) for _ in range(rng.randint(2, 5)))
        text += "".join(rng.choice("的了是在我这那") for _ in range(rng.randint(1, 40)))
        examples.append(TextExample(text, label))
    return examples


def test_truncation_keeps_the_head_the_tail_or_both():
    ids = list(range(10))
    assert truncate(ids, 4, "head", 0) == [0, 1, 2, 3]
    assert truncate(ids, 4, "tail", 0) == [6, 7, 8, 9]
    assert truncate(ids, 4, "head+tail", 1) == [0, 7, 8, 9]
    assert truncate(ids, 20, "head+tail", 1) == ids


def test_truncated_texts_are_counted(tmp_path):
    tokenizer = Tokenizer(write_tiny_vocab(tmp_path))
    rows, report = encode_texts(["北京" * 20, "北京"], tokenizer, 10, "head+tail", 3)
    assert [len(r) for r in rows] == [10, 4]
    assert (report.texts, report.truncated, report.tokens_dropped) == (2, 1, 32)
    assert "1 of 2 texts (50.0%) longer than the window, truncated" in report.summary()


@pytest.mark.parametrize("mode", ["pooler", "cls", "mean", "concat-last-4"])
def test_pooling_against_numpy(mode):
    rng = np.random.default_rng(0)
    states = [tf.constant(rng.normal(size=(2, 5, 3)), tf.float32) for _ in range(5)]
    token_ids = tf.constant([[2, 7, 8, 3, 0], [2, 7, 3, 0, 0]])
    encoded = {"sequence_output": states[-1], "all_layers": states,
               "pooled_output": tf.constant(rng.normal(size=(2, 3)), tf.float32)}  # fmt: skip
    pooled = TextPooling(mode)(encoded, token_ids).numpy()
    hidden = states[-1].numpy()
    expected = {
        "pooler": encoded["pooled_output"].numpy(),
        "cls": hidden[:, 0],
        "mean": np.stack([hidden[0, :4].mean(0), hidden[1, :3].mean(0)]),
        "concat-last-4": np.concatenate([s.numpy()[:, 0] for s in states[-4:]], axis=-1),
    }[mode]
    np.testing.assert_allclose(pooled, expected, rtol=1e-6)


def test_settings_are_checked():
    with pytest.raises(ValueError, match="pooling 'max'"):
        ClassificationSettings(labels=("a", "b"), pooling="max")
    with pytest.raises(ValueError, match="truncation 'middle'"):
        ClassificationSettings(labels=("a", "b"), truncation="middle")
    with pytest.raises(ValueError, match="at least two"):
        ClassificationTask.from_training(
            ClassificationSettings(), [TextExample("好", "a")], None, Situation.SCRATCH
        )
    task = ClassificationTask(ClassificationSettings(labels=("neg", "pos"), pooling="cls"))
    with pytest.raises(ValueError, match=r"dev.jsonl \(dev.jsonl:3\): label\(s\) \['meh'\]"):
        task.check([TextExample("还行", "meh", source="dev.jsonl:3")], "dev.jsonl")
    tiny = BertConfig(vocab_size=20, hidden_size=8, num_hidden_layers=2, num_attention_heads=2,
                      intermediate_size=16)  # fmt: skip
    concat = ClassificationTask(ClassificationSettings(labels=("a", "b"), pooling="concat-last-4"))
    with pytest.raises(ValueError, match="needs an encoder of 4 layers or more"):
        concat.build_model(tiny)


def test_token_batches_of_texts_carry_weights_and_keep_the_budget(tmp_path):
    tokenizer = Tokenizer(write_tiny_vocab(tmp_path))
    task = ClassificationTask(
        ClassificationSettings(labels=("neg", "pos"), pooling="cls", max_length=64)
    )
    examples = reviews(40, seed=2)
    data = task.labelled_data(examples, tokenizer, 32, shuffle=True, batch_tokens=256)
    texts, batches = 0, 0
    for features, labels, weights in data.dataset:
        ids = features["token_ids"].numpy()
        assert ids.size <= 256 and len(labels) == len(weights) == len(ids)
        texts, batches = texts + len(ids), batches + 1
        np.testing.assert_allclose(weights, len(ids) / data.batches.rows_per_update, rtol=1e-6)
    assert texts == len(examples) and batches == len(data.batches) > 2


@pytest.mark.slow
def test_train_then_evaluate_and_predict_in_new_processes(tmp_path):
    write_classification(reviews(96, seed=1), tmp_path / "train.jsonl")
    # One text labelled against its words (and holding HTML): an error for the error page.
    (flipped,) = reviews(1, seed=5)
    flipped = TextExample(flipped.text + "<b>&amp;", "neg" if flipped.labels == ("pos",) else "pos")
    dev = reviews(24, seed=2) + [flipped]
    write_classification(dev, tmp_path / "dev.jsonl")
    out = tmp_path / "model"
    flags = ["--task", "classification", "--bert-size", "tiny", "--max-length", "24",
             "--truncation", "head+tail", "--pooling", "mean", "--batch-size", "16",
             "--epochs", "6", "--warmup", "0", "--learning-rate", "2e-3"]  # fmt: skip
    trained = run_python(
        ["-m", "tf_ner.cli", "train", "--train", str(tmp_path / "train.jsonl"),
         "--dev", str(tmp_path / "dev.jsonl"), "--output-dir", str(out), *flags]
    ).stdout  # fmt: skip
    assert "truncation head+tail (head 6 tokens)" in trained
    assert "dev_macro_f1" in trained and "dev_accuracy" in trained
    scores_file = tmp_path / "scores.json"
    run_python(["-m", "tf_ner.cli", "evaluate", "--model", str(out), "--data",
                str(tmp_path / "dev.jsonl"), "--output", str(scores_file),
                "--errors", str(tmp_path / "errors.html")])  # fmt: skip
    scores = json.loads(scores_file.read_text(encoding="utf-8"))
    saved = json.loads((out / "dev_scores.json").read_text(encoding="utf-8"))
    assert scores == saved  # the new process scores what the training process did
    assert set(scores["per_class"]) == {"neg", "pos"} and scores["overall"]["accuracy"] > 0.6
    texts = tmp_path / "texts.txt"
    texts.write_text("\n".join(e.text for e in dev) + "\n", encoding="utf-8")
    run_python(["-m", "tf_ner.cli", "predict", "--model", str(out), "--input", str(texts),
                "--format", "lines", "--output", str(tmp_path / "out.jsonl"),
                "--html", str(tmp_path / "out.html")])  # fmt: skip
    lines = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [x["text"] for x in lines] == [e.text for e in dev]
    for line in lines:
        assert set(line) == {"text", "label", "probabilities"}
        assert sum(line["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
    correct = sum(line["label"] == e.labels[0] for line, e in zip(lines, dev, strict=True))
    assert correct / len(dev) == pytest.approx(scores["overall"]["accuracy"])
    check_pages(tmp_path / "out.html", tmp_path / "errors.html", lines, dev)
    # ONNX: exported by one process, run by ONNX Runtime in another that cannot import
    # TensorFlow or Keras; the same labels, the probabilities to float32 rounding.
    no_tensorflow = without_tensorflow(tmp_path / "without_tensorflow")
    run_python(["-m", "tf_ner.cli", "export", "--model", str(out), "--format", "onnx"])
    run_python(["-m", "tf_ner.cli", "predict", "--model", str(out), "--input", str(texts),
                "--format", "lines", "--output", str(tmp_path / "onnx.jsonl"),
                "--runtime", "onnx"], env=no_tensorflow)  # fmt: skip
    found = [json.loads(x) for x in (tmp_path / "onnx.jsonl").read_text().splitlines()]
    assert [x["label"] for x in found] == [x["label"] for x in lines]
    for ours, theirs in zip(found, lines, strict=True):
        assert ours["probabilities"] == pytest.approx(theirs["probabilities"], abs=2e-4)
    # Its int8 version: close to TensorFlow's probabilities, not equal.
    run_python(["-m", "tf_ner.cli", "export", "--model", str(out), "--format", "onnx-int8"])
    run_python(["-m", "tf_ner.cli", "predict", "--model", str(out), "--input", str(texts),
                "--format", "lines", "--output", str(tmp_path / "int8.jsonl"),
                "--runtime", "onnx-int8"], env=no_tensorflow)  # fmt: skip
    found = [json.loads(x) for x in (tmp_path / "int8.jsonl").read_text().splitlines()]
    differences = [abs(ours["probabilities"]["pos"] - theirs["probabilities"]["pos"])
                   for ours, theirs in zip(found, lines, strict=True)]  # fmt: skip
    assert 0 < max(differences) < 0.05


def check_pages(predictions_page, errors_page, lines, dev):
    """The pages show what `tf-ner predict` wrote: labels, probabilities, the confusion
    matrix of its labels against the gold ones and the texts it got wrong."""
    root = parse_page(predictions_page.read_text(encoding="utf-8"))
    docs = list(root.iter("div", "doc"))
    assert [next(d.iter("div", "text")).text() for d in docs] == [x["text"] for x in lines]
    for doc, line in zip(docs, lines, strict=True):
        assert [s.attrs["data-label"] for s in doc.iter("span", "label")] == [line["label"]]
        shown = {s.attrs["data-label"]: float(s.attrs["data-p"]) for s in doc.iter("span", "p")}
        assert shown == line["probabilities"]
    root = parse_page(errors_page.read_text(encoding="utf-8"))
    assert not list(root.iter("script"))
    labels = ["neg", "pos"]
    rows = [[td.text() for td in tr.iter("td")] for tr in root.iter("tr")][1:3]
    pairs = collections.Counter((e.labels[0], x["label"]) for e, x in zip(dev, lines, strict=True))
    assert rows == [[g, *(str(pairs[(g, p)]) for p in labels)] for g in labels]
    wrong = [
        i for i, (e, x) in enumerate(zip(dev, lines, strict=True)) if x["label"] != e.labels[0]
    ]
    docs = list(root.iter("div", "doc"))
    assert [d.attrs["id"] for d in docs] == [f"t{i + 1}" for i in wrong]
    assert [next(d.iter("div", "text")).text() for d in docs] == [dev[i].text for i in wrong]
