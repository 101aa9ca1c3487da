"""Mixout and pre-trained weight decay through `train`: what they start from, a resumed
run, one optimizer step against numpy, the model folder they leave, the settings."""

import dataclasses
import json
import pathlib
import zipfile

import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import run_python
from tests.optimization import reference
from tests.train.weights import max_abs_difference, read_model_weights
from tf_ner.bert.checkpoint_io import CheckpointReader
from tf_ner.bert.mixout import mixout_layers
from tf_ner.bert.tiny import write_random_checkpoint
from tf_ner.tasks.folder import export_saved_model
from tf_ner.train import TrainConfig, loop, train
from tf_ner.train.callbacks import ProgressLog


@pytest.fixture(scope="module")
def bert_dir(corpus, tmp_path_factory):
    """A 2-layer random BERT in Google's format whose vocabulary has the corpus's characters."""
    lines = (corpus / "train.txt").read_text(encoding="utf-8").splitlines()
    characters = sorted({line.split()[0] for line in lines if line.strip()})
    out = tmp_path_factory.mktemp("few_sample_bert")
    write_random_checkpoint(out, tokens=characters, seed=11)
    return out


def config(corpus, bert_dir, out, **changes):
    """Mixout, pre-trained weight decay and a re-initialised top layer, on a tiny checkpoint."""
    values = dict(
        train=str(corpus / "train.txt"),
        test=str(corpus / "test.txt"),
        output_dir=str(out),
        bert_dir=str(bert_dir),
        epochs=4,  # test F1 0.58-0.60 over seeds 3-5 (2 or 3 epochs: 0 to 0.21)
        batch_size=8,
        learning_rate=1e-3,
        warmup=0,
        max_length=24,
        stride=4,
        dropout=0.0,
        seed=3,
        mixout=0.3,
        pretrained_weight_decay=True,
        weight_decay=0.1,
        reinit_top_layers=1,
    )
    values.update(changes)
    return TrainConfig.from_flags(**values)


@pytest.fixture(scope="module")
def trained(corpus, bert_dir, tmp_path_factory):
    """An uninterrupted run of `config`."""
    return train(config(corpus, bert_dir, tmp_path_factory.mktemp("few_sample") / "model"))


def built_values(cfg):
    """`{path: value}` of the model as `loop.build` leaves it: loaded and re-initialised."""
    model = loop.build(loop.prepare(cfg))
    return {v.path: v.numpy() for v in model.weights}


def test_anchors_and_mixout_values_are_the_loaded_and_reinitialised_weights(
    corpus, bert_dir, trained
):
    model = trained.model
    expected = built_values(config(corpus, bert_dir, trained.output_dir))
    checkpoint = CheckpointReader(bert_dir)
    loaded = "bert/encoder/layer_0/attention/self/query/kernel"
    reinitialised = "bert/encoder/layer_1/attention/self/query/kernel"
    np.testing.assert_array_equal(expected[loaded], checkpoint.read(loaded))
    assert not np.allclose(expected[reinitialised], checkpoint.read(reinitialised))

    anchors = model.optimizer.pretrained_weights()
    assert loaded in anchors and reinitialised in anchors
    assert not any("LayerNorm" in path or path.endswith("bias") for path in anchors)
    for path, anchor in anchors.items():
        np.testing.assert_array_equal(anchor.numpy(), expected[path], err_msg=path)
    layers = mixout_layers(model)
    assert len(layers) == 12  # 6 kernels in each of 2 layers, no pooler in NER
    for layer in layers:
        path = layer.kernel.path
        np.testing.assert_array_equal(layer.training_kernel.pretrained.numpy(), expected[path])
        assert not np.allclose(layer.kernel.numpy(), expected[path]), f"{path} did not train"


def test_a_killed_run_resumes_with_the_original_pretrained_values(
    corpus, bert_dir, trained, tmp_path, monkeypatch, capsys
):
    out = tmp_path / "killed"
    original = ProgressLog.on_epoch_end

    def killed_after_the_first_epoch(self, epoch, logs=None):
        original(self, epoch, logs)
        raise KeyboardInterrupt("killed")  # after BackupAndRestore wrote the backup

    with monkeypatch.context() as patch:
        patch.setattr(ProgressLog, "on_epoch_end", killed_after_the_first_epoch)
        with pytest.raises(KeyboardInterrupt):
            train(config(corpus, bert_dir, out))
    assert (out / "backup").is_dir() and not (out / "model.keras").exists()
    resumed = train(config(corpus, bert_dir, out))
    assert "resuming" in capsys.readouterr().out
    assert resumed.steps == trained.steps
    # u and the anchors came from the checkpoint again, not from the restored weights
    # (the uninterrupted run's are those of the checkpoint, as the test above shows) ...
    for layer, original_layer in zip(
        mixout_layers(resumed.model), mixout_layers(trained.model), strict=True
    ):
        np.testing.assert_array_equal(
            layer.training_kernel.pretrained.numpy(),
            original_layer.training_kernel.pretrained.numpy(),
        )
    anchors = resumed.model.optimizer.pretrained_weights()
    original_anchors = trained.model.optimizer.pretrained_weights()
    assert anchors.keys() == original_anchors.keys()
    for path, anchor in anchors.items():
        np.testing.assert_array_equal(anchor.numpy(), original_anchors[path].numpy())
    # ... so the last epoch mixed and decayed towards the same values, with the same masks.
    difference = max_abs_difference(
        read_model_weights(out / "model.keras"),
        read_model_weights(f"{trained.output_dir}/model.keras"),
    )
    assert difference <= 1e-6, f"weights differ by up to {difference}"


def test_the_compiled_update_trains_as_the_uncompiled_one(corpus, bert_dir, trained, tmp_path):
    """`tf-ner train` compiles the optimizer's update by default; with Mixout, pre-trained
    weight decay, a re-initialised layer and clipping, the run ends where the uncompiled
    update takes it, to float32 rounding."""
    assert trained.model.optimizer.compile_update
    plain = train(config(corpus, bert_dir, tmp_path / "plain", compile_update=False))
    assert plain.steps == trained.steps
    ours = read_model_weights(f"{trained.output_dir}/model.keras")
    theirs = read_model_weights(tmp_path / "plain" / "model.keras")
    difference = max_abs_difference(ours, theirs)
    assert difference <= 1e-5, f"weights differ by up to {difference}"
    start = built_values(config(corpus, bert_dir, tmp_path / "start"))
    end = {v.path: v.numpy() for v in plain.model.weights}
    moved = max(float(np.max(np.abs(end[path] - value))) for path, value in start.items())
    # 16 Adam steps at 1e-3 move a weight by at most about 0.016; at least 500x the tolerance
    assert moved > 5e-3, "training barely moved: the comparison means little"


def test_one_step_of_pretrained_weight_decay_matches_numpy(corpus, bert_dir, tmp_path):
    cfg = config(corpus, bert_dir, tmp_path / "m", mixout=0.0, reinit_top_layers=0,
                 learning_rate=0.05, weight_decay=0.5)  # fmt: skip
    run = loop.prepare(cfg)
    model = loop.build(run)
    optimizer = model.optimizer
    variables = model.trainable_variables
    optimizer.build(variables)
    pretrained = {v.path: v.numpy().astype("float64") for v in variables}
    rng = np.random.default_rng(5)
    # Fine-tuning has moved the weights; gradients small enough not to be clipped (norm 1).
    moved = {p: value + 0.05 * rng.normal(size=value.shape) for p, value in pretrained.items()}
    grads = {p: rng.normal(size=value.shape) for p, value in pretrained.items()}
    norm = np.sqrt(sum(float(np.sum(g**2)) for g in grads.values()))
    grads = {p: 0.5 * g / norm for p, g in grads.items()}
    for v in variables:
        v.assign(moved[v.path])
    rate = float(optimizer.learning_rate.numpy())
    assert rate == pytest.approx(0.05)
    optimizer.apply([tf.constant(grads[v.path], v.dtype) for v in variables], variables)

    decays = reference.default_decays(pretrained)
    expected = reference.adam_weight_decay(
        moved, [grads], [rate], weight_decay_rate=0.5, decays=decays, anchors=pretrained
    )
    actual = {v.path: v.numpy() for v in variables}
    reference.assert_close(actual, expected, rtol=1e-5)
    # Towards the pre-trained values, not towards 0: the decay term differs by lr * wd * u,
    # a hundred times the tolerance above.
    towards_zero = reference.adam_weight_decay(
        moved, [grads], [rate], weight_decay_rate=0.5, decays=decays
    )
    kernel = "bert/encoder/layer_0/intermediate/dense/kernel"
    assert np.max(np.abs(towards_zero[kernel] - expected[kernel])) > 1e-4


def saved_variables(saved_model):
    """The sorted variable names of an exported SavedModel."""
    return sorted(name for name, _ in tf.train.list_variables(f"{saved_model}/variables/variables"))


def test_mixout_leaves_nothing_in_the_model_folder(corpus, bert_dir, trained, tmp_path):
    # The same model without Mixout, saved and exported as `finish` does (no training).
    run = loop.prepare(config(corpus, bert_dir, tmp_path / "plain", mixout=0.0))
    plain = loop.build(run)
    plain.optimizer.build(plain.trainable_variables)
    plain.save(tmp_path / "plain.keras")
    export_saved_model(plain, run.task, tmp_path / "plain_saved_model")

    mixed = f"{trained.output_dir}/model.keras"
    assert read_model_weights(mixed).keys() == read_model_weights(tmp_path / "plain.keras").keys()
    archive = zipfile.ZipFile(mixed).read("config.json").decode()
    assert "mixout" not in archive and "training_kernel" not in archive
    assert saved_variables(f"{trained.output_dir}/saved_model") == saved_variables(
        tmp_path / "plain_saved_model"
    )
    saved = json.loads((pathlib.Path(trained.output_dir) / "train_config.json").read_text())
    assert saved["mixout"] == 0.3 and saved["pretrained_weight_decay"] is True


@pytest.mark.slow
def test_a_mixout_model_scores_the_same_in_a_new_process(corpus, trained):
    code = f"""
import json, sys
import tf_ner
from tf_ner.data import read_dataset
recognizer = tf_ner.load({trained.output_dir!r})
scores = recognizer.evaluate(read_dataset({str(corpus / "test.txt")!r}))
mixout = sorted(m for m in sys.modules if "mixout" in m or m == "tf_ner.train.loop")
print(json.dumps({{"f1": scores["f1"], "precision": scores["precision"], "mixout": mixout,
                  "predictions": scores["predictions"]}}))
"""
    report = json.loads(run_python(code).stdout.strip().splitlines()[-1])
    assert report["mixout"] == []  # loaded without any Mixout code
    # The same spans, some of them right: a model that found nothing would score 0 in
    # any process.
    assert trained.test["f1"] > 0.3 and trained.test["predicted"] >= 12
    predictions = [[tuple(span) for span in row] for row in report["predictions"]]
    assert predictions == [list(row) for row in trained.test["predictions"]]
    assert report["f1"] == pytest.approx(trained.test["f1"])
    assert report["precision"] == pytest.approx(trained.test["precision"])


def test_the_banner_lists_the_fine_tuning_options(corpus, bert_dir, tmp_path):
    cfg = config(corpus, bert_dir, tmp_path / "m", layerwise_lr_decay=0.9)
    assert loop.fine_tuning_options(cfg) == [
        "top 1 layer(s) re-initialised",
        "layer-wise lr decay 0.9",
        "weight decay 0.1 towards the pre-trained weights",
        "mixout 0.3",
    ]
    plain = config(corpus, bert_dir, tmp_path / "m", mixout=0.0, pretrained_weight_decay=False,
                   reinit_top_layers=0)  # fmt: skip
    assert loop.fine_tuning_options(plain) == []


def test_both_options_need_a_checkpoint_and_mixout_a_probability():
    scratch = dict(train="t", output_dir="o", bert_size="tiny")
    with pytest.raises(ValueError, match="mixout=0.3 mixes .* random initialisation"):
        TrainConfig(**scratch, mixout=0.3)
    with pytest.raises(ValueError, match="pretrained_weight_decay decays .* random init"):
        TrainConfig(**scratch, pretrained_weight_decay=True)
    pretrained = dict(train="t", output_dir="o", bert_dir="b")
    for probability in (-0.1, 1.5):
        with pytest.raises(ValueError, match=f"mixout={probability}: expected a probability"):
            TrainConfig(**pretrained, mixout=probability)
    with pytest.raises(ValueError, match="--weight-decay > 0"):
        TrainConfig(**pretrained, pretrained_weight_decay=True, weight_decay=0.0)
    for probability in (0.0, 0.5, 1.0):
        assert TrainConfig(**pretrained, mixout=probability).mixout == probability
    config_ = TrainConfig(**pretrained, mixout=0.2, pretrained_weight_decay=True)
    assert TrainConfig.from_dict(json.loads(config_.to_json())) == config_
    assert dataclasses.replace(config_, mixout=0.0).mixout == 0.0
