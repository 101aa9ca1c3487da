import dataclasses
import json
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import run_python
from tf_ner import Recognizer
from tf_ner.bert import write_random_checkpoint
from tf_ner.bert.config import BertConfig
from tf_ner.cli import build_parser, main
from tf_ner.data import read_dataset
from tf_ner.ground.errors import MissingFileError
from tf_ner.ground.settings import Situation, resolved
from tf_ner.tasks.classification.settings import ClassificationSettings
from tf_ner.tasks.folder import load_model, read_task, write_task
from tf_ner.tasks.ner.heads.settings import TagSettings
from tf_ner.tasks.ner.settings import NerSettings
from tf_ner.tasks.ner.task import NerTask
from tf_ner.train import TrainConfig, train
from tf_ner.train.loop import check_pooler, prepare


def config(corpus, out, **changes):
    values = dict(
        train=str(corpus / "train.txt"),
        dev=str(corpus / "dev.txt"),
        test=str(corpus / "test.txt"),
        output_dir=str(out),
        bert_size="tiny",
        head="crf",
        epochs=2,
        batch_size=8,
        learning_rate=1e-3,
        warmup=0,
        max_length=24,
        stride=4,
        seed=3,
    )
    values.update(changes)
    return TrainConfig.from_flags(**values)


@pytest.mark.parametrize("head", ["crf", "globalpointer"])
def test_trains_evaluates_and_writes_a_self_contained_folder(
    corpus, tmp_path, head, capsys, monkeypatch
):
    out = tmp_path / head
    own = {"head_size": 16, "fold_width": True} if head == "globalpointer" else {}
    traces = []
    train_step = keras.Model.train_step

    def counting_train_step(self, data):
        traces.append(len(self.optimizer.variables))  # runs only while a graph is traced
        return train_step(self, data)

    monkeypatch.setattr(keras.Model, "train_step", counting_train_step)
    result = train(config(corpus, out, head=head, epochs=3, **own))
    # One trace of the step, over an optimizer built before it: Keras, building it inside
    # the first trace, made TensorFlow trace the whole step twice.
    assert len(traces) == 1 and traces[0] > 1, traces
    # The vocabulary's coverage of the training texts is reported before training.
    assert re.search(r"^train: [\d,]+ of [\d,]+ tokens \([\d.]+%\) are \[UNK\], in [\d,]+ of 32 "
                     r"texts", capsys.readouterr().out, re.MULTILINE)  # fmt: skip
    # 32 sentences sorted by length, batches of 8: 4 steps an epoch
    assert len(read_dataset(corpus / "train.txt")) == 32 and result.steps == 3 * 4
    for name in (
        "bert_config.json",
        "vocab.txt",
        "task.json",
        "model.keras",
        "train_log.csv",
        "curves.png",
        "bert_model.ckpt.index",
        "test_scores.json",
        "dev_scores.json",
    ):
        assert (out / name).is_file(), name
    # --fold-width (off by default) is recorded, so that the folder reads text alike.
    settings = json.loads((out / "task.json").read_text())["settings"]
    assert settings["fold_width"] is (head == "globalpointer")
    scores = json.loads((out / "test_scores.json").read_text())
    assert set(scores["overall"]) == {"precision", "recall", "f1", "support"}
    assert scores["overall"]["support"] == 8 * 3 and scores["unrepresentable"] == 0
    assert scores["overall"]["f1"] == pytest.approx(result.test["f1"])
    # The folder alone predicts the same spans as the evaluation that produced the scores,
    # and those spans score the F1 reported, counted here (F1 0.6 CRF, 0.91 GlobalPointer
    # measured: spans right and wrong, which an F1 of 0 or 1 would not tell apart).
    recognizer = Recognizer.load(out)
    examples = read_dataset(corpus / "test.txt")
    texts = [e.text for e in examples]
    predictions = recognizer.predict(texts)
    spans = [[(e["start"], e["end"], e["type"]) for e in entities] for entities in predictions]
    assert spans == [list(p) for p in result.test["predictions"]]
    for text, entities in zip(texts, predictions, strict=True):
        for entity in entities:
            assert text[entity["start"] : entity["end"]] == entity["text"]
    assert recognizer.evaluate(examples)["f1"] == pytest.approx(result.test["f1"])
    gold = {(i, *entity) for i, e in enumerate(examples) for entity in e.entities}
    found = {(i, *span) for i, row in enumerate(spans) for span in row}
    right = len(gold & found)
    assert 0 < right < len(gold | found), "no span right, or no span wrong: F1 0 or 1"
    assert result.test["f1"] == pytest.approx(2 * right / (len(gold) + len(found)))


@pytest.fixture(scope="module")
def crf_folder(corpus, tmp_path_factory):
    """A CRF model folder trained for 3 epochs (test F1 0.6 measured: it finds entities)."""
    out = tmp_path_factory.mktemp("crf") / "model"
    train(config(corpus, out, epochs=3))
    return out


def test_saved_model_runs_without_tf_ner(crf_folder, tmp_path):
    out = crf_folder
    model = load_model(read_task(out), out)
    ids = np.array([[2, 9, 10, 11, 12, 3, 0, 0], [2, 13, 14, 3, 0, 0, 0, 0]], np.int32)
    expected = model({"token_ids": ids, "segment_ids": np.zeros_like(ids)})["tags"].numpy()
    np.save(tmp_path / "ids.npy", ids)
    code = f"""
import sys, numpy as np, tensorflow as tf
served = tf.saved_model.load({str(out / "saved_model")!r}).signatures["serving_default"]
ids = np.load({str(tmp_path / "ids.npy")!r})
tags = served(token_ids=tf.constant(ids), segment_ids=tf.zeros_like(ids))["tags"].numpy()
np.save({str(tmp_path / "tags.npy")!r}, tags)
assert not any(m.startswith("tf_ner") for m in sys.modules), "tf_ner was imported"
"""
    run_python(code)
    np.testing.assert_array_equal(np.load(tmp_path / "tags.npy"), expected)


def test_cli_evaluate_and_predict(corpus, crf_folder, tmp_path, capsys):
    out = crf_folder
    assert (
        main(
            [
                "evaluate",
                "--model",
                str(out),
                "--data",
                str(corpus / "test.txt"),
                "--output",
                str(tmp_path / "scores.json"),
            ]
        )
        == 0
    )
    table = capsys.readouterr().out
    assert "overall" in table and "PER" in table and "unrepresentable gold entities: 0" in table
    scores = json.loads((tmp_path / "scores.json").read_text())
    assert set(scores["per_type"]) == {"LOC", "ORG", "PER"}
    recognizer = Recognizer.load(out)
    expected = recognizer.evaluate(read_dataset(corpus / "test.txt"))
    assert scores["overall"]["f1"] == pytest.approx(expected["f1"]) and expected["f1"] > 0
    texts = tmp_path / "texts.txt"
    texts.write_text("今天李鹏在北京访问了新华社。\n\n很长的一句话\n", encoding="utf-8")
    assert (
        main(
            [
                "predict",
                "--model",
                str(out),
                "--input",
                str(texts),
                "--output",
                str(tmp_path / "pred.jsonl"),
            ]
        )
        == 0
    )
    lines = [json.loads(line) for line in (tmp_path / "pred.jsonl").read_text().splitlines()]
    assert [line["text"] for line in lines] == ["今天李鹏在北京访问了新华社。", "", "很长的一句话"]
    assert [line["entities"] for line in lines] == recognizer.predict(
        [line["text"] for line in lines]
    )
    entities = lines[0]["entities"]
    assert entities, "a training-like sentence should have entities"
    for e in entities:
        assert set(e) == {"start", "end", "type", "text", "score"} and 0 < e["score"] <= 1
        assert lines[0]["text"][e["start"] : e["end"]] == e["text"]


def test_long_texts_are_windowed_in_prediction(corpus, tmp_path):
    out = tmp_path / "model"
    train(config(corpus, out, epochs=10, dev=None))
    recognizer = Recognizer.load(out)
    sentence = "今天李鹏在北京访问了新华社。"
    long_text = sentence * 10  # 140 characters, 24 tokens per window
    (alone,) = recognizer.predict_spans([sentence])
    (spans,) = recognizer.predict_spans([long_text])
    assert alone, "the model should find entities in a training-like sentence"
    assert all(0 <= s < e <= len(long_text) for s, e, _ in spans)
    # Spans are found all along the text, not only in the first window.
    assert max(e for _, e, _ in spans) > len(long_text) - len(sentence)
    assert {t for _, _, t in spans} == {t for _, _, t in alone}


def test_bad_input_is_refused_clearly(corpus, tmp_path):
    with pytest.raises(ValueError, match="stride=24 .* max_length=24"):
        config(corpus, tmp_path / "a", stride=24)
    with pytest.raises(ValueError, match=r"buckets=\(8, 16\) stop below max_length=24"):
        config(corpus, tmp_path / "a", buckets=[16, 8])
    empty_bert = tmp_path / "bert"
    write_random_checkpoint(empty_bert)
    for name in ("bert_model.ckpt.index", "bert_model.ckpt.data-00000-of-00001", "checkpoint"):
        (empty_bert / name).unlink()
    with pytest.raises(FileNotFoundError, match="expected bert_model.ckpt.index"):
        train(config(corpus, tmp_path / "b", bert_size=None, bert_dir=str(empty_bert)))
    short_bert = tmp_path / "short_bert"
    write_random_checkpoint(short_bert, max_position_embeddings=16)
    with pytest.raises(
        ValueError, match="max_length=24 is longer than the checkpoint's max_position_embeddings=16"
    ):
        train(config(corpus, tmp_path / "b2", bert_size=None, bert_dir=str(short_bert)))
    dev = tmp_path / "dev.txt"
    dev.write_text("李 B-PER\n鹏 I-PER\n在 O\n火 B-PLANET\n星 I-PLANET\n", encoding="utf-8")
    with pytest.raises(ValueError, match="'PLANET' is unknown to the model"):
        train(config(corpus, tmp_path / "c", dev=str(dev)))
    out = tmp_path / "d"
    train(config(corpus, out, epochs=1))
    changed = r"holds another model \(task_settings.head: 'crf' there, 'softmax' now"
    with pytest.raises(ValueError, match=changed):
        train(config(corpus, out, epochs=1, head="softmax"))
    (tmp_path / "e").mkdir()
    (tmp_path / "e" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="is not empty and holds no train_config.json"):
        train(config(corpus, tmp_path / "e"))


def test_buckets_are_sorted_and_survive_the_json_round_trip(corpus, tmp_path):
    settings = config(corpus, tmp_path, buckets=[24, 12, 24])
    assert settings.buckets == (12, 24)
    again = TrainConfig.from_dict(json.loads(settings.to_json()))
    assert again == settings and not settings.differences(again)
    flags = ["train", "--train", "t.txt", "--output-dir", "out", "--bert-size", "tiny"]
    parsed = build_parser().parse_args([*flags, "--buckets", "32,64,128"])
    assert parsed.buckets == (32, 64, 128)
    with pytest.raises(SystemExit):
        build_parser().parse_args([*flags, "--buckets", "32,x"])


def test_batch_tokens_sets_the_steps_and_refuses_what_cannot_work(corpus, tmp_path):
    with pytest.raises(ValueError, match="batch_size=8: give one of --batch-tokens"):
        config(corpus, tmp_path, batch_tokens=96)  # config() sets --batch-size 8
    with pytest.raises(ValueError, match="batch_tokens=20 is smaller than one window of"):
        config(corpus, tmp_path, batch_size=32, batch_tokens=20)
    flags = ["train", "--train", "t.txt", "--output-dir", "out", "--bert-size", "tiny"]
    assert build_parser().parse_args([*flags, "--batch-tokens", "4096"]).batch_tokens == 4096
    result = train(
        config(
            corpus, tmp_path / "gp", batch_size=32, batch_tokens=96, head="globalpointer",
            head_size=16, epochs=1, dev=None, test=None,
        )
    )  # fmt: skip
    # Windows of 16..19 tokens, shortest first, each batch padded to its longest: 96
    # tokens hold 6 of 16 tokens, 5 of 17 to 19; every window once.
    steps, count = 1, 0
    for n in sorted(len(e.text) + 2 for e in read_dataset(corpus / "train.txt")):
        if count + 1 > 96 // n:
            steps, count = steps + 1, 0
        count += 1
    assert result.steps == steps
    # XLA compiles once per length: there token batches keep the default buckets.
    for jit, lengths in ((False, {16, 17, 18, 19}), (True, {16, 24})):
        settings = config(corpus, tmp_path / "x", batch_size=32, batch_tokens=96, jit_compile=jit)
        used = set(prepare(settings).splits["train"][2].bucket_lengths)
        assert used <= lengths and len(used) >= 2


def test_settings_round_trip_and_validation(tmp_path):
    settings = NerSettings(
        head="softmax", types=["PER", "LOC", "PER"], head_settings=TagSettings(scheme="BIOES"),
        max_length=64, stride=8,
    )  # fmt: skip
    assert settings.types == ("LOC", "PER")
    write_task(NerTask(settings), tmp_path)
    assert read_task(tmp_path).settings == settings
    with pytest.raises(ValueError, match="head 'lstm': expected one of crf, softmax"):
        NerSettings(head="lstm", types=["PER"])
    with pytest.raises(ValueError, match="TagSettings given, but the head 'globalpointer' takes"):
        NerSettings(head="globalpointer", head_settings=TagSettings())
    with pytest.raises(FileNotFoundError, match="task.json not found"):
        read_task(tmp_path / "nothing")


def test_time_budget_and_max_steps_stop_cleanly(corpus, tmp_path):
    result = train(config(corpus, tmp_path / "a", epochs=50, max_steps=5))
    assert result.steps == 5 and "max_steps=5" in result.stop_reason
    result = train(config(corpus, tmp_path / "b", epochs=500, time_budget=0.05))
    assert "time budget" in result.stop_reason and result.test is not None
    assert 3.0 <= result.training_seconds < 3.0 + 30
    assert tf.io.gfile.exists(str(tmp_path / "b" / "model.keras"))


def test_a_failed_run_writes_nothing_so_the_corrected_run_can_use_the_folder(corpus, tmp_path):
    out = tmp_path / "model"
    with pytest.raises((FileNotFoundError, ValueError), match="typo.txt"):
        train(config(corpus, out, train=str(corpus / "typo.txt")))
    dev = tmp_path / "dev.txt"
    dev.write_text("火 B-PLANET\n星 I-PLANET\n", encoding="utf-8")
    with pytest.raises(ValueError, match="'PLANET' is unknown to the model"):
        train(config(corpus, out, dev=str(dev)))
    assert not out.exists() or not any(out.iterdir())
    result = train(config(corpus, out, epochs=1, dev=None, test=None))
    assert result.steps > 0 and (out / "model.keras").is_file()


def bert_dir_of_width(path, hidden_size):
    path.mkdir()
    config = BertConfig(vocab_size=8, hidden_size=hidden_size, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=8)  # fmt: skip
    config.to_json_file(path / "bert_config.json")
    return str(path)


def test_defaults_fit_the_situation(corpus, tmp_path):
    scratch = TrainConfig(train="t", output_dir="o", bert_size="mini")
    assert [scratch.resolved(k) for k in ("learning_rate", "warmup", "dropout")] == [1e-3, 300, 0.0]
    base = TrainConfig(train="t", output_dir="o", bert_dir=bert_dir_of_width(tmp_path / "b", 768))
    assert [base.resolved(k) for k in ("learning_rate", "warmup")] == [5e-5, 0.1]
    assert base.resolved("dropout") is None  # the checkpoint's own
    compact = dataclasses.replace(base, bert_dir=bert_dir_of_width(tmp_path / "c", 256))
    assert [compact.resolved(k) for k in ("learning_rate", "warmup")] == [2e-4, 0.1]
    random_init = dataclasses.replace(compact, random_init=True)
    assert random_init.situation == Situation.SCRATCH and random_init.resolved("dropout") == 0
    with pytest.raises(MissingFileError, match=r"nowhere/bert_config.json"):
        dataclasses.replace(base, bert_dir=str(tmp_path / "nowhere")).resolved("learning_rate")
    recipe = ("learning_rate", "warmup", "adam_beta2", "decay_fraction", "position_init")
    assert [scratch.resolved(k) for k in recipe] == [1e-3, 300, 0.999, 1.0, "random"]
    # tf-ner pretrain from scratch: the shipped encoder's recipe; from a checkpoint: the
    # run's defaults for it, unless given.
    pretrain = dataclasses.replace(scratch, task="masked_lm", task_settings=None)
    assert [pretrain.resolved(k) for k in recipe] == [5e-4, 0.1, 0.98, 0.2, "sinusoid"]
    continued = dataclasses.replace(compact, task="masked_lm", task_settings=None, adam_beta2=0.9)
    assert [continued.resolved(k) for k in recipe] == [2e-4, 0.1, 0.9, 1.0, "random"]
    assert (
        TrainConfig(train="t", output_dir="o", bert_size="mini", warmup=20).warmup_steps(99) == 20
    )
    assert base.warmup_steps(1000) == 100
    poolings = [resolved(ClassificationSettings(), s).pooling for s in Situation]
    assert poolings == ["cls", "pooler", "pooler"]
    multipliers = [resolved(NerSettings(head="crf"), s).head_settings.crf_lr_multiplier
                   for s in Situation]  # fmt: skip
    assert multipliers == [1.0, 1000.0, 100.0]
    settings = resolved(NerSettings(types=["PER"], max_length=16, stride=4), Situation.PRETRAINED)
    model = NerTask(settings).build_model(
        BertConfig(vocab_size=8, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                   intermediate_size=8)
    )  # fmt: skip
    with pytest.raises(ValueError, match=r"reinit_pooler: the model \(ner_crf\) has no pooler"):
        check_pooler(model, reinit_pooler=True)
    with pytest.raises(ValueError, match="--pooling is a setting of --task classification, not"):
        TrainConfig.from_flags(train="t", output_dir="o", bert_size="mini", pooling="mean")
    with pytest.raises(ValueError, match="reinit_top_layers needs a checkpoint"):
        TrainConfig(train="t", output_dir="o", bert_size="mini", reinit_top_layers=1)
    with pytest.raises(ValueError, match="head 'bilstm': expected one of crf, softmax"):
        TrainConfig.from_flags(train="t", output_dir="o", bert_size="mini", head="bilstm")
