"""Masked-LM pre-training end to end: `tf-ner pretrain` in a new process writes a
Google-format folder that loads completely, serves as `--bert-dir`, and converts to a
Hugging Face `BertForMaskedLM` computing the same logits; on a corpus it can memorise,
it predicts the masked tokens far better than their most frequent one."""

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
from tf_ner.tasks.folder import read_task
from tf_ner.tasks.masked_lm.model import build_masked_lm_model
from tf_ner.tasks.masked_lm.task import MaskedLmTask

CITIES = ["北京", "上海", "广州", "深圳", "南京", "杭州"]
PEOPLE = ["张三", "李四", "王五", "赵六"]
# Four sentences repeated in random order: a corpus the tiny encoder memorises within a
# few hundred steps (every masked character follows from its neighbours), where the
# most frequent character is right for about 1 masked character in 10.
SENTENCES = [
    "张三昨天去了北京，他说北京的天气很好。",
    "我们明天在上海见面，李四也会来。",
    "王五在广州工作了三年，现在回到家乡。",
    "今年春天，深圳举办了一个大型的展览会。",
]
SEED = 42  # TrainConfig's default: the seed of the held-out texts' masks


def sentences(count, seed=0):
    rng = random.Random(seed)
    return [rng.choice(SENTENCES) for _ in range(count)]


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    """A folder written by `tf-ner pretrain` in its own process, its output and corpus."""
    tmp = tmp_path_factory.mktemp("pretrain")
    corpus = tmp / "corpus.txt"
    corpus.write_text("\n".join(sentences(800)) + "\n\n", encoding="utf-8")
    out = tmp / "encoder"
    # Rows of 16 tokens, 250 steps at 2e-3: about 70% of the masked training tokens
    # right at the end (5e-3 does not learn at all, 1e-3 needs twice the steps).
    proc = run_python([
        "-m", "tf_ner.cli", "pretrain", "--train", str(corpus), "--bert-size", "tiny",
        "--whole-word-masking", "--max-length", "16", "--batch-size", "32", "--epochs", "10",
        "--learning-rate", "2e-3", "--warmup", "20", "--output-dir", str(out),
    ])  # fmt: skip
    return out, proc.stdout, corpus


def masked_lm_model(folder):
    model = build_masked_lm_model(BertConfig.from_json_file(folder / "bert_config.json"))
    load_bert_checkpoint(model, folder)
    return model


def accuracies(model, data, mask_id):
    """`(model, baseline, predictions)` over every masked token of `data` (fixed masks):
    the share the model's argmax gets right, and the share that the best trivial guess
    gets right: the input token where it is not [MASK] (the 10% kept), else the token
    most frequent among the masked ones (chosen knowing the answers)."""
    predicted, guessed, labels = [], [], []
    for features, batch_labels in data.batches():
        valid = batch_labels >= 0
        logits = np.asarray(model(features))
        inputs = np.take_along_axis(features["token_ids"], features["masked_positions"], 1)
        predicted.append(logits.argmax(-1)[valid])
        guessed.append(inputs[valid])
        labels.append(batch_labels[valid])
    predicted, guessed, labels = map(np.concatenate, (predicted, guessed, labels))
    most_frequent = np.bincount(labels).argmax()
    guessed = np.where(guessed == mask_id, most_frequent, guessed)
    return np.mean(predicted == labels), np.mean(guessed == labels), len(labels)


def test_pretrain_writes_a_google_folder(pretrained):
    out, stdout, _ = pretrained
    for name in ("bert_config.json", "vocab.txt", "bert_model.ckpt.index", "curves.png"):
        assert (out / name).is_file(), name
    assert "1 blank line" in stdout  # counted, not silently dropped
    assert "held out from" in stdout
    scores = json.loads((out / "dev_scores.json").read_text())
    assert set(scores) == {"accuracy", "loss", "perplexity"}
    assert scores["perplexity"] == pytest.approx(np.exp(scores["loss"]), rel=1e-6)
    with (out / "train_log.csv").open() as f:
        epochs = list(csv.DictReader(f))
    assert len(epochs) == 10 and {"accuracy", "dev_accuracy", "dev_loss"} <= set(epochs[0])


def test_the_reported_accuracy_is_the_share_of_masked_tokens_predicted(pretrained):
    """dev_scores.json's accuracy is the argmax accuracy, recounted here, over the masks
    of the held-out texts (8 of the 800, masked with the run's seed)."""
    out, _, corpus = pretrained
    texts = [line for line in corpus.read_text(encoding="utf-8").splitlines() if line]
    _, held_out = MaskedLmTask.held_out(texts)
    tokenizer = Tokenizer(out / "vocab.txt")
    data = read_task(out).labelled_data(held_out, tokenizer, 64, seed=SEED)
    model, baseline, count = accuracies(masked_lm_model(out), data, tokenizer.vocab["[MASK]"])
    assert len(held_out) == 8 and count >= 15
    scores = json.loads((out / "dev_scores.json").read_text())
    assert scores["accuracy"] == pytest.approx(model, abs=1e-6)
    assert model > baseline


def test_it_learns_what_the_most_frequent_token_cannot_guess(pretrained):
    """On fresh masks of 200 texts, the trained encoder gets far more masked tokens right
    than the most frequent token with the kept tokens copied: an untrained one, or one
    that learnt only the token frequencies, gets no more than that baseline."""
    out, _, _ = pretrained
    tokenizer = Tokenizer(out / "vocab.txt")
    data = read_task(out).labelled_data(sentences(200, seed=9), tokenizer, 64, seed=5)
    model, baseline, count = accuracies(masked_lm_model(out), data, tokenizer.vocab["[MASK]"])
    assert count > 400
    assert 0.05 < baseline < 0.3  # [MASK] guessed as the most frequent, the rest copied
    assert model > baseline + 0.3, (model, baseline)


def test_every_variable_of_the_checkpoint_loads(pretrained):
    out, _, _ = pretrained
    model = build_masked_lm_model(BertConfig.from_json_file(out / "bert_config.json"))
    report = load_bert_checkpoint(model, out)
    names = {w.path for w in model.weights}
    assert set(report.loaded) == names
    assert any(n.startswith("cls/predictions/") for n in report.loaded)
    assert report.missing == [] and report.unused == [] and report.reinitialized == []


def test_hugging_face_masked_lm_gives_the_same_logits(pretrained, tmp_path):
    out, _, _ = pretrained
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
    ours = masked_lm_model(out)(
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
    out, _, _ = pretrained
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
    assert not flags & {
        "--head",
        "--pooling",
        "--scheme",
        "--task",
        "--stride",
        "--buckets",
        "--batch-tokens",
    }


def test_other_tasks_refuse_masked_lm_settings(tmp_path):
    from tf_ner.train import TrainConfig

    with pytest.raises(ValueError, match="--whole-word-masking is a setting of --task masked_lm"):
        TrainConfig.from_flags(train="x", output_dir=str(tmp_path), bert_size="tiny",
                               whole_word_masking=True)  # fmt: skip


def test_the_folder_fills_in_masks_in_a_new_process(pretrained, tmp_path):
    out, _, _ = pretrained
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
