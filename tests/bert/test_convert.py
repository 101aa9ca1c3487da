import json
import shutil

import numpy as np
import pytest
import torch
from safetensors.numpy import load_file, save_file
from transformers import BertForPreTraining, BertModel

from tf_ner.bert import BertConfig, BertConfigError, Tokenizer, build_bert
from tf_ner.bert.checkpoint import load_bert_checkpoint
from tf_ner.bert.checkpoint_io import CheckpointReader
from tf_ner.bert.convert import convert_google_to_hf, convert_hf_to_google

SENTENCES = [
    "Hello world, this is a test.",
    "北京 is a city; 2023 was a year.",
    "A much longer sentence with many words about New York City and its 8 million people!",
]


def padded_batch(tokenizer):
    encodings = [tokenizer.encode(s) for s in SENTENCES]
    ids = np.zeros((len(encodings), max(map(len, encodings))), np.int32)
    for row, encoding in enumerate(encodings):
        ids[row, : len(encoding)] = encoding.ids
    return ids


def keras_outputs(google_dir, ids):
    model = build_bert(BertConfig.from_json_file(google_dir / "bert_config.json"))
    report = load_bert_checkpoint(model, google_dir)
    assert report.missing == []
    out = model((ids, np.zeros_like(ids)))
    return out["sequence_output"].numpy(), out["pooled_output"].numpy()


def torch_outputs(model, ids):
    with torch.no_grad():
        out = model(
            input_ids=torch.tensor(ids, dtype=torch.long),
            attention_mask=torch.tensor(ids != 0, dtype=torch.long),
            token_type_ids=torch.zeros(ids.shape, dtype=torch.long),
        )
    return out.last_hidden_state.numpy(), out.pooler_output.numpy()


@pytest.mark.slow
def test_real_minilm_matches_hugging_face(minilm_dir, tmp_path):
    """Must-show 1: the converted real checkpoint in Keras equals transformers' BertModel."""
    report = convert_hf_to_google(minilm_dir, tmp_path)
    assert report.skipped == []
    ids = padded_batch(Tokenizer(tmp_path / "vocab.txt"))
    assert (ids == 0).any()  # the batch is padded
    ours_seq, ours_pooled = keras_outputs(tmp_path, ids)
    theirs_seq, theirs_pooled = torch_outputs(
        BertModel.from_pretrained(str(minilm_dir)).eval(), ids
    )
    valid = ids != 0
    assert np.abs(ours_seq[valid] - theirs_seq[valid]).max() <= 1e-4
    assert np.abs(ours_pooled - theirs_pooled).max() <= 1e-4


def test_google_to_hf_to_google_is_identical(tiny_bert_dir, tmp_path):
    hf_dir, back = tmp_path / "hf", tmp_path / "back"
    convert_google_to_hf(tiny_bert_dir, hf_dir)
    convert_hf_to_google(hf_dir, back)
    original, again = CheckpointReader(tiny_bert_dir), CheckpointReader(back)
    assert original.names() == again.names()
    for name in original.names():
        np.testing.assert_array_equal(original.read(name), again.read(name))
    assert json.loads((back / "bert_config.json").read_text()) == json.loads(
        (tiny_bert_dir / "bert_config.json").read_text()
    )
    assert (back / "vocab.txt").read_text() == (tiny_bert_dir / "vocab.txt").read_text()


def test_hugging_face_reads_our_conversion(tiny_bert_dir, tmp_path):
    """transformers itself loads the converted folder and computes what Keras computes."""
    convert_google_to_hf(tiny_bert_dir, tmp_path)
    model = BertForPreTraining.from_pretrained(str(tmp_path)).eval()
    ids = padded_batch(Tokenizer(tmp_path / "vocab.txt"))
    with torch.no_grad():
        out = model.bert(
            input_ids=torch.tensor(ids, dtype=torch.long),
            attention_mask=torch.tensor(ids != 0, dtype=torch.long),
        )
    keras_model = build_bert(
        BertConfig.from_json_file(tiny_bert_dir / "bert_config.json"), with_mlm=True
    )
    load_bert_checkpoint(keras_model, tiny_bert_dir)
    ours = keras_model((ids, np.zeros_like(ids)))
    valid = ids != 0
    np.testing.assert_allclose(
        ours["sequence_output"].numpy()[valid], out.last_hidden_state.numpy()[valid], atol=1e-5
    )
    with torch.no_grad():
        logits = model.cls.predictions(out.last_hidden_state).numpy()
    np.testing.assert_allclose(ours["mlm_logits"].numpy()[valid], logits[valid], atol=1e-4)


def test_prefixes_tied_decoder_and_torch_bin(tiny_bert_dir, tmp_path):
    hf_dir = tmp_path / "hf"
    convert_google_to_hf(tiny_bert_dir, hf_dir)
    weights = load_file(str(hf_dir / "model.safetensors"))
    # A task checkpoint: tied decoder stored explicitly, plus a classifier head.
    weights["cls.predictions.decoder.weight"] = weights["bert.embeddings.word_embeddings.weight"]
    weights["classifier.weight"] = np.zeros((3, 32), np.float32)
    variants = {
        "prefixed": weights,
        "bare": {k.removeprefix("bert."): v for k, v in weights.items()},
    }
    expected = CheckpointReader(tiny_bert_dir)
    for label, tensors in variants.items():
        folder = tmp_path / label
        shutil.copytree(hf_dir, folder)
        save_file(tensors, str(folder / "model.safetensors"))
        report = convert_hf_to_google(folder, tmp_path / f"{label}_google")
        assert report.skipped == ["classifier.weight"]
        got = CheckpointReader(tmp_path / f"{label}_google")
        assert got.names() == expected.names()
    torch_dir = tmp_path / "torch_bin"
    shutil.copytree(hf_dir, torch_dir)
    (torch_dir / "model.safetensors").unlink()
    torch.save(
        {k: torch.from_numpy(v.copy()) for k, v in weights.items()}, torch_dir / "pytorch_model.bin"
    )
    convert_hf_to_google(torch_dir, tmp_path / "from_bin")
    got = CheckpointReader(tmp_path / "from_bin")
    for name in expected.names():
        np.testing.assert_array_equal(got.read(name), expected.read(name))


def test_bad_input_names_what_is_missing(tiny_bert_dir, tmp_path):
    hf_dir = tmp_path / "hf"
    convert_google_to_hf(tiny_bert_dir, hf_dir)
    (hf_dir / "model.safetensors").rename(tmp_path / "weights.safetensors")
    with pytest.raises(FileNotFoundError, match="expected model.safetensors or pytorch_model.bin"):
        convert_hf_to_google(hf_dir, tmp_path / "out")
    config = json.loads((hf_dir / "config.json").read_text())
    (hf_dir / "config.json").write_text(
        json.dumps(dict(config, position_embedding_type="relative_key"))
    )
    with pytest.raises(BertConfigError, match="position_embedding_type 'relative_key'"):
        convert_hf_to_google(hf_dir, tmp_path / "out")
    (hf_dir / "config.json").unlink()
    with pytest.raises(FileNotFoundError, match="config.json not found"):
        convert_hf_to_google(hf_dir, tmp_path / "out")
    with pytest.raises(FileNotFoundError, match="bert_config.json"):
        convert_google_to_hf(tmp_path, tmp_path / "out")


def test_weights_that_do_not_fit_the_config(tiny_bert_dir, tmp_path):
    hf_dir = tmp_path / "hf"
    convert_google_to_hf(tiny_bert_dir, hf_dir)
    weights = load_file(str(hf_dir / "model.safetensors"))
    weights["bert.encoder.layer.1.output.dense.weight"] = np.zeros((32, 10), np.float32)
    save_file(weights, str(hf_dir / "model.safetensors"))
    with pytest.raises(
        ValueError,
        match=r"layer_1/output/dense/kernel has shape \(10, 32\), but its "
        r"config implies \(64, 32\)",
    ):
        convert_hf_to_google(hf_dir, tmp_path / "out")
