"""Masked-LM pre-training end to end: `tf-ner pretrain` in a new process writes a
Google-format folder that loads completely, serves as `--bert-dir`, and converts to a
Hugging Face `BertForMaskedLM` computing the same logits."""

import csv
import json
import random
import re

import numpy as np
import pytest
import torch
from transformers import BertForMaskedLM

from tests.helpers import run_python
from tf_ner.bert import BertConfig, Tokenizer
from tf_ner.bert.checkpoint import load_bert_checkpoint
from tf_ner.bert.checkpoint_io import CheckpointReader
from tf_ner.bert.convert import convert_google_to_hf
from tf_ner.cli import main
from tf_ner.data import write_dataset
from tf_ner.data.example import Example
from tf_ner.tasks.masked_lm.model import build_masked_lm_model

CITIES = ["北京", "上海", "广州", "深圳", "南京", "杭州"]
PEOPLE = ["张三", "李四", "王五", "赵六"]
TEMPLATES = [
    "{p}昨天去了{c}，他说{c}的天气很好。",
    "我们明天在{c}见面，{p}也会来。",
    "{p}在{c}工作了三年，现在回到家乡。",
    "今年春天，{c}举办了一个大型的展览会。",
]


def sentences(count, seed=0):
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        template = rng.choice(TEMPLATES)
        out.append(template.format(p=rng.choice(PEOPLE), c=rng.choice(CITIES)))
    return out


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    """A folder written by `tf-ner pretrain` in its own process, and its output."""
    tmp = tmp_path_factory.mktemp("pretrain")
    corpus = tmp / "corpus.txt"
    corpus.write_text("\n".join(sentences(400)) + "\n\n", encoding="utf-8")
    out = tmp / "encoder"
    proc = run_python([
        "-m", "tf_ner.cli", "pretrain", "--train", str(corpus), "--bert-size", "tiny",
        "--whole-word-masking", "--max-length", "64", "--batch-size", "8", "--epochs", "3",
        "--warmup", "5", "--output-dir", str(out),
    ])  # fmt: skip
    return out, proc.stdout


def test_pretrain_writes_a_google_folder(pretrained):
    out, stdout = pretrained
    for name in ("bert_config.json", "vocab.txt", "bert_model.ckpt.index", "curves.png"):
        assert (out / name).is_file(), name
    assert "1 blank line" in stdout  # counted, not silently dropped
    assert "held out from" in stdout
    scores = json.loads((out / "dev_scores.json").read_text())
    assert set(scores) == {"accuracy", "loss", "perplexity"}
    assert 0 <= scores["accuracy"] <= 1 and scores["perplexity"] == pytest.approx(
        np.exp(scores["loss"]), rel=1e-6
    )
    # It learns: the training loss of the last epoch is below the first's.
    with (out / "train_log.csv").open() as f:
        epochs = list(csv.DictReader(f))
    assert len(epochs) == 3 and float(epochs[-1]["loss"]) < float(epochs[0]["loss"]) - 0.1
    assert {"accuracy", "dev_accuracy", "dev_loss"} <= set(epochs[0])


def test_every_variable_of_the_checkpoint_loads(pretrained):
    out, _ = pretrained
    model = build_masked_lm_model(BertConfig.from_json_file(out / "bert_config.json"))
    report = load_bert_checkpoint(model, out)
    names = {w.path for w in model.weights}
    assert set(report.loaded) == names
    assert any(n.startswith("cls/predictions/") for n in report.loaded)
    assert report.missing == [] and report.unused == [] and report.reinitialized == []


def test_hugging_face_masked_lm_gives_the_same_logits(pretrained, tmp_path):
    out, _ = pretrained
    convert_google_to_hf(out, tmp_path)
    hf = BertForMaskedLM.from_pretrained(str(tmp_path)).eval()
    tokenizer = Tokenizer(out / "vocab.txt")
    texts = sentences(3, seed=7)
    encodings = [tokenizer.encode(t) for t in texts]
    ids = np.zeros((3, max(len(e.ids) for e in encodings)), np.int32)
    for row, encoding in enumerate(encodings):
        ids[row, : len(encoding.ids)] = encoding.ids
    ids[:, 3] = tokenizer.vocab["[MASK]"]
    positions = np.tile(np.arange(ids.shape[1], dtype=np.int32), (3, 1))
    model = build_masked_lm_model(BertConfig.from_json_file(out / "bert_config.json"))
    load_bert_checkpoint(model, out)
    ours = model(
        {"token_ids": ids, "segment_ids": np.zeros_like(ids), "masked_positions": positions}
    ).numpy()
    with torch.no_grad():
        theirs = hf(
            input_ids=torch.tensor(ids, dtype=torch.long),
            attention_mask=torch.tensor(ids != 0, dtype=torch.long),
        ).logits.numpy()
    valid = ids != 0
    assert np.abs(ours[valid]).max() > 1  # not a trivially zero head
    np.testing.assert_allclose(ours[valid], theirs[valid], atol=1e-4)


def test_the_folder_is_a_bert_dir_for_ner(pretrained, tmp_path, capsys):
    out, _ = pretrained
    rng = random.Random(1)
    examples = []
    for _ in range(40):
        city = rng.choice(CITIES)
        text = f"{rng.choice(PEOPLE)}去了{city}。"
        start = text.index(city)
        examples.append(Example(text, ((start, start + 2, "LOC"),)))
    train = tmp_path / "train.txt"
    write_dataset(examples, train, format="char_bio")
    code = main([
        "train", "--train", str(train), "--bert-dir", str(out), "--max-steps", "3",
        "--batch-size", "8", "--max-length", "64", "--output-dir", str(tmp_path / "ner"),
    ])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    # Every encoder variable of the pre-trained folder is loaded into the NER model.
    encoder = [n for n in CheckpointReader(out).names() if n.startswith("bert/")]
    assert f"{len(encoder)} loaded, 0 re-initialised" in printed


def test_pretrain_help_shows_its_settings_only():
    proc = run_python(["-m", "tf_ner.cli", "pretrain", "--help"])
    assert "--whole-word-masking" in proc.stdout
    flags = set(re.findall(r"^[ \t]+(--[a-z-]+)", proc.stdout, re.MULTILINE))
    assert {"--train", "--bert-size", "--time-budget", "--whole-word-masking"} <= flags
    assert not flags & {"--head", "--pooling", "--scheme", "--task", "--stride", "--buckets",
                         "--batch-tokens"}


def test_other_tasks_refuse_masked_lm_settings(tmp_path):
    from tf_ner.train import TrainConfig

    with pytest.raises(ValueError, match="--whole-word-masking is a setting of --task masked_lm"):
        TrainConfig.from_flags(train="x", output_dir=str(tmp_path), bert_size="tiny",
                               whole_word_masking=True)  # fmt: skip


def test_the_folder_fills_in_masks_in_a_new_process(pretrained, tmp_path):
    out, _ = pretrained
    texts = tmp_path / "texts.txt"
    texts.write_text("张三昨天去了[MASK]京。\n没有掩码的句子\n", encoding="utf-8")
    predictions = tmp_path / "masks.jsonl"
    run_python(["-m", "tf_ner.cli", "predict", "--model", str(out), "--input", str(texts),
                "--format", "lines", "--output", str(predictions)])  # fmt: skip
    records = [json.loads(line) for line in predictions.read_text("utf-8").splitlines()]
    assert [r["text"] for r in records] == ["张三昨天去了[MASK]京。", "没有掩码的句子"]
    (mask,) = records[0]["masks"]
    assert mask["position"] == 7  # [CLS] 张 三 昨 天 去 了 [MASK]
    probabilities = [c["probability"] for c in mask["candidates"]]
    assert len(probabilities) == 5 and probabilities == sorted(probabilities, reverse=True)
    assert records[1]["masks"] == []
