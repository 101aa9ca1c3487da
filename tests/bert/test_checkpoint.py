import json
import logging
import shutil

import numpy as np
import pytest

from tf_ner.bert import BertConfig, build_bert
from tf_ner.bert.checkpoint import load_bert_checkpoint, save_bert_checkpoint
from tf_ner.bert.checkpoint_io import CheckpointError, CheckpointReader, write_checkpoint


def model_for(bert_dir, **kwargs):
    return build_bert(BertConfig.from_json_file(bert_dir / "bert_config.json"), **kwargs)


def test_loads_every_variable_by_name(tiny_bert_dir, caplog):
    model = model_for(tiny_bert_dir, with_mlm=True)
    reader = CheckpointReader(tiny_bert_dir)
    with caplog.at_level(logging.INFO):
        report = load_bert_checkpoint(model, tiny_bert_dir)
    assert len(report.loaded) == len(model.weights)
    assert report.reinitialized == report.missing == report.unused == report.optimizer_slots == []
    for variable in model.weights:
        np.testing.assert_array_equal(variable.numpy(), reader.read(variable.path))
    assert "*INIT_FROM_CKPT*" in caplog.text


def test_reinit_top_two_layers_and_pooler(six_layer_bert_dir):
    model = model_for(six_layer_bert_dir)
    reader = CheckpointReader(six_layer_bert_dir)
    report = load_bert_checkpoint(
        model, six_layer_bert_dir, reinit_top_layers=2, reinit_pooler=True, seed=1
    )
    reinit = {
        v.path
        for v in model.weights
        if v.path.startswith(("bert/encoder/layer_4/", "bert/encoder/layer_5/", "bert/pooler/"))
    }
    assert set(report.reinitialized) == reinit
    assert set(report.loaded) == {v.path for v in model.weights} - reinit
    for variable in model.weights:
        value, original = variable.numpy(), reader.read(variable.path)
        if variable.path not in reinit:
            np.testing.assert_array_equal(value, original)
        elif variable.path.endswith("LayerNorm/gamma"):
            np.testing.assert_array_equal(value, 1.0)
        elif variable.path.endswith(("/bias", "LayerNorm/beta")):
            np.testing.assert_array_equal(value, 0.0)
        else:
            assert not np.array_equal(value, original)
    # The kernels follow a truncated normal with stddev 0.02, cut at 2 stddevs.
    kernels = np.concatenate(
        [v.numpy().ravel() for v in model.weights if v.path in reinit and v.path.endswith("kernel")]
    )
    assert np.abs(kernels).max() <= 0.04
    truncated_std = 0.02 * 0.8796  # stddev of N(0,1) truncated to [-2, 2]
    assert abs(kernels.std() - truncated_std) < 0.1 * truncated_std
    assert abs(kernels.mean()) < 0.002


def test_reinit_is_seeded(six_layer_bert_dir):
    values = []
    for _ in range(2):
        model = model_for(six_layer_bert_dir)
        load_bert_checkpoint(model, six_layer_bert_dir, reinit_top_layers=1, seed=5)
        values.append(model.get_layer("bert").weights[-3].numpy())
    np.testing.assert_array_equal(*values)


def test_reinit_more_layers_than_the_model_has(six_layer_bert_dir):
    with pytest.raises(ValueError, match="reinit_top_layers=7, but the model has 6 encoder layers"):
        load_bert_checkpoint(model_for(six_layer_bert_dir), six_layer_bert_dir, reinit_top_layers=7)


def test_config_that_does_not_match_the_checkpoint(tiny_bert_dir, tmp_path):
    config = json.loads((tiny_bert_dir / "bert_config.json").read_text())
    wider = build_bert(BertConfig.from_dict(dict(config, intermediate_size=48)))
    with pytest.raises(
        CheckpointError,
        match=r"intermediate/dense/bias: the model has shape \(48,\), "
        r"checkpoint .* has \(64,\)",
    ):
        load_bert_checkpoint(wider, tiny_bert_dir)
    deeper = build_bert(BertConfig.from_dict(dict(config, num_hidden_layers=3)))
    with pytest.raises(
        CheckpointError, match="lacks 16 encoder variable.*layer_2.*num_hidden_layers"
    ):
        load_bert_checkpoint(deeper, tiny_bert_dir)
    report = load_bert_checkpoint(deeper, tiny_bert_dir, strict=False)
    assert len(report.missing) == 16


def test_optimizer_slots_and_extra_variables_are_counted(tiny_bert_dir, tmp_path):
    reader = CheckpointReader(tiny_bert_dir)
    tensors = {name: reader.read(name) for name in reader.names()}
    tensors["bert/embeddings/word_embeddings/adam_m"] = tensors["bert/embeddings/word_embeddings"]
    tensors["bert/pooler/dense/kernel/adam_v"] = tensors["bert/pooler/dense/kernel"]
    tensors["global_step"] = np.int64(100)
    write_checkpoint(tmp_path / "bert_model.ckpt", tensors)
    report = load_bert_checkpoint(model_for(tiny_bert_dir), tmp_path)
    assert report.optimizer_slots == [
        "bert/embeddings/word_embeddings/adam_m",
        "bert/pooler/dense/kernel/adam_v",
        "global_step",
    ]
    assert report.unused == sorted(n for n in reader.names() if n.startswith("cls/"))


def test_missing_and_truncated_checkpoints(tiny_bert_dir, tmp_path):
    with pytest.raises(FileNotFoundError, match="expected bert_model.ckpt.index"):
        load_bert_checkpoint(model_for(tiny_bert_dir), tmp_path)
    with pytest.raises(FileNotFoundError, match="nothing.index"):
        load_bert_checkpoint(model_for(tiny_bert_dir), tmp_path / "nothing")
    broken = tmp_path / "broken"
    shutil.copytree(tiny_bert_dir, broken)
    data = broken / "bert_model.ckpt.data-00000-of-00001"
    data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])
    with pytest.raises(
        CheckpointError, match=r"broken/bert_model.ckpt: cannot read variable bert/"
    ):
        load_bert_checkpoint(model_for(tiny_bert_dir), broken)
    index = broken / "bert_model.ckpt.index"
    index.write_bytes(b"not a checkpoint index")
    with pytest.raises(CheckpointError, match="cannot read checkpoint .*broken"):
        load_bert_checkpoint(model_for(tiny_bert_dir), broken)


def test_save_then_load_round_trip(tiny_bert_dir, tmp_path):
    model = model_for(tiny_bert_dir)
    load_bert_checkpoint(model, tiny_bert_dir, reinit_top_layers=1, seed=2)
    names = save_bert_checkpoint(model, tmp_path / "bert_model.ckpt")
    assert names == sorted(v.path for v in model.weights)
    again = model_for(tiny_bert_dir)
    load_bert_checkpoint(again, tmp_path)
    for a, b in zip(model.weights, again.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
