"""Pre-training options end to end in new processes: the held-out curve every N steps
beside the trivial baselines, the plateau line, the masking rate, gradient accumulation;
and `--random-init`, the floor at a checkpoint's shape and vocabulary."""

import csv
import json

import numpy as np
import pytest

from tests.helpers import run_python
from tests.tasks.test_masked_lm import sentences
from tf_ner.bert.checkpoint_io import CheckpointReader


def pretrain(tmp, name, *flags):
    corpus = tmp / "corpus.txt"
    if not corpus.is_file():
        corpus.write_text("\n".join(sentences(400)) + "\n", encoding="utf-8")
    out = tmp / name
    proc = run_python([
        "-m", "tf_ner.cli", "pretrain", "--train", str(corpus), "--bert-size", "tiny",
        "--max-length", "64", "--batch-size", "8", "--epochs", "50", "--output-dir", str(out),
        *flags,
    ])  # fmt: skip
    return out, proc.stdout


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("options")
    learning = pretrain(
        tmp, "learning", "--eval-every", "4", "--max-steps", "12", "--mask-rate", "0.3",
        "--gradient-accumulation", "2", "--adam-beta2", "0.98", "--clip-norm", "0.5",
        "--decay-fraction", "0.5", "--learning-rate", "3e-3", "--warmup", "2",
    )  # fmt: skip
    frozen = pretrain(tmp, "frozen", "--max-steps", "6", "--eval-every", "3",
                      "--learning-rate", "0", "--warmup", "2")  # fmt: skip
    return learning, frozen


def read_csv(path):
    with path.open() as f:
        return list(csv.DictReader(f))


def test_the_held_out_curve_every_n_steps(runs):
    (out, stdout), _ = runs
    steps = [int(r["step"]) for r in read_csv(out / "dev_steps.csv")]
    # Every 4 optimizer steps, and where the epochs end (each of 2-batch steps).
    epochs = [int(float(r["step"])) for r in read_csv(out / "train_log.csv")]
    assert set(steps) == {4, 8, 12} | set(epochs) and steps == sorted(set(steps))
    assert "each the mean gradient of 2 batches" in stdout
    assert "stopped: reached max_steps=12; 12 steps" in stdout


def test_the_trivial_baselines_are_printed_and_kept(runs):
    (out, stdout), _ = runs
    references = json.loads((out / "train_summary.json").read_text())["references"]
    assert set(references) == {"most frequent + copy", "bigram + copy"}
    # This corpus is made of a few templates: neighbours say much, frequency little.
    assert 0 < references["most frequent + copy"] < references["bigram + copy"] < 1
    for name, value in references.items():
        assert f"trivial predictor, {name}: {100 * value:.2f}%" in stdout


def test_the_masking_rate_reaches_the_task(runs):
    (out, stdout), _ = runs
    settings = json.loads((out / "task.json").read_text())["settings"]
    assert settings["mask_rate"] == 0.3 and settings["max_predictions"] == 20  # ceil(0.3 * 64)
    assert "30% of the tokens chosen" in stdout


def test_a_run_that_learns_nothing_says_so_once(runs):
    _, (frozen, stdout) = runs
    # At learning rate 0 the curve is flat, every score past the warmup (2 steps) is
    # judged, and one line says so, at the first of them.
    rows = read_csv(frozen / "dev_steps.csv")
    assert len({r["accuracy"] for r in rows}) == 1 and len(rows) >= 2
    line = "not a point above the trivial baseline (most frequent + copy"
    assert stdout.count(line) == 1
    assert f"step {rows[0]['step']}: dev accuracy" in stdout


def test_random_init_takes_the_shape_and_vocabulary_not_the_weights(runs, tmp_path):
    (encoder, _), _ = runs
    train = tmp_path / "train.txt"
    train.write_text("\n".join(sentences(30, seed=3)) + "\n", encoding="utf-8")
    out = tmp_path / "floor"
    proc = run_python([
        "-m", "tf_ner.cli", "pretrain", "--train", str(train), "--bert-dir", str(encoder),
        "--random-init", "--max-steps", "1", "--learning-rate", "0", "--max-length", "64",
        "--output-dir", str(out),
    ])  # fmt: skip
    assert f"random init: the shape and vocabulary of {encoder}" in proc.stdout
    assert "loaded," not in proc.stdout  # no checkpoint report
    assert (out / "vocab.txt").read_text() == (encoder / "vocab.txt").read_text()
    ours, theirs = CheckpointReader(out), CheckpointReader(encoder)
    assert sorted(ours.names()) == sorted(theirs.names())
    name = "bert/encoder/layer_0/attention/self/query/kernel"
    assert ours.read(name).shape == theirs.read(name).shape
    assert not np.allclose(ours.read(name), theirs.read(name))


def test_random_init_refuses_what_needs_pre_trained_weights(tmp_path):
    from tf_ner.train import TrainConfig

    common = {"train": "x", "output_dir": str(tmp_path)}
    with pytest.raises(ValueError, match="random_init takes the config and vocabulary"):
        TrainConfig(bert_size="tiny", random_init=True, **common)
    with pytest.raises(ValueError, match="mixout need"):
        TrainConfig(bert_dir=str(tmp_path), random_init=True, mixout=0.1, **common)


@pytest.fixture(scope="module")
def electra(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("electra")
    return pretrain(tmp, "electra", "--objective", "electra", "--generator-layers", "1",
                    "--max-steps", "8", "--eval-every", "4", "--warmup", "2")  # fmt: skip


def test_electra_writes_its_generator_and_scores(electra):
    out, stdout = electra
    assert "replaced-token detection (ELECTRA; a 1-layer generator fills the masks)" in stdout
    scores = json.loads((out / "dev_scores.json").read_text())
    assert 0.5 < scores["discriminator_accuracy"] <= 1  # most tokens are originals
    assert any(n.startswith("generator/encoder/layer_0/") for n in CheckpointReader(out).names())


@pytest.mark.parametrize("objective", ["mlm", "electra"])
def test_every_objective_writes_a_bert_dir_that_a_new_process_loads_whole(
    objective, runs, electra, tmp_path
):
    out = electra[0] if objective == "electra" else runs[0][0]
    encoder = sorted(n for n in CheckpointReader(out).names() if n.startswith("bert/"))
    assert len(encoder) > 20  # embeddings, 2 layers, no pooler
    train = tmp_path / "train.txt"
    tags = ["B-PER", "I-PER", "O", "O", "B-LOC", "I-LOC"]
    lines = "".join(f"{c} {t}\n" for c, t in zip("张三去了北京", tags, strict=True))
    train.write_text(lines + "\n", encoding="utf-8")
    proc = run_python([
        "-m", "tf_ner.cli", "train", "--train", str(train), "--bert-dir", str(out),
        "--max-steps", "1", "--max-length", "64", "--output-dir", str(tmp_path / "ner"),
    ])  # fmt: skip
    assert f"{len(encoder)} loaded, 0 re-initialised" in proc.stdout


def test_an_electra_folder_fills_masks_with_its_generator(electra, tmp_path):
    out, _ = electra
    texts = tmp_path / "texts.txt"
    texts.write_text("张三昨天去了[MASK]京。\n", encoding="utf-8")
    predictions = tmp_path / "masks.jsonl"
    run_python(["-m", "tf_ner.cli", "predict", "--model", str(out), "--input", str(texts),
                "--format", "lines", "--output", str(predictions)])  # fmt: skip
    (record,) = [json.loads(line) for line in predictions.read_text("utf-8").splitlines()]
    (mask,) = record["masks"]
    assert mask["position"] == 7 and len(mask["candidates"]) == 5
