import json

import pytest

from tf_ner.bert import BertConfig, BertConfigError

GOOGLE_BASE = {
    "attention_probs_dropout_prob": 0.1,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "hidden_size": 768,
    "initializer_range": 0.02,
    "intermediate_size": 3072,
    "max_position_embeddings": 512,
    "num_attention_heads": 12,
    "num_hidden_layers": 12,
    "type_vocab_size": 2,
    "vocab_size": 21128,
}


def write(tmp_path, values, name="bert_config.json"):
    path = tmp_path / name
    path.write_text(values if isinstance(values, str) else json.dumps(values))
    return path


def test_reads_every_field_and_round_trips(tmp_path):
    config = BertConfig.from_json_file(write(tmp_path, GOOGLE_BASE))
    assert config.to_dict() == GOOGLE_BASE
    assert config.head_size == 64
    again = BertConfig.from_dict(json.loads(config.to_json_string()))
    assert again == config


def test_accepts_the_extra_keys_of_chinese_bert(tmp_path):
    chinese = dict(
        GOOGLE_BASE,
        directionality="bidi",
        pooler_fc_size=768,
        pooler_type="first_token_transform",
        pooler_num_attention_heads=12,
        pooler_num_fc_layers=3,
        pooler_size_per_head=128,
    )
    assert BertConfig.from_json_file(write(tmp_path, chinese)).vocab_size == 21128


@pytest.mark.parametrize(
    "change, words",
    [
        ({"num_hidden_layer": 12}, ["unknown key", "num_hidden_layer"]),
        ({"hidden_size": 100}, ["hidden_size (100)", "num_attention_heads (12)"]),
        ({"hidden_dropout_prob": 1.5}, ["hidden_dropout_prob", "1.5"]),
        ({"hidden_act": "elu"}, ["hidden_act", "'elu'"]),
        ({"num_hidden_layers": "12"}, ["num_hidden_layers", "'12'"]),
        ({"initializer_range": 0}, ["initializer_range"]),
    ],
)
def test_invalid_fields_name_the_file_and_key(tmp_path, change, words):
    path = write(tmp_path, dict(GOOGLE_BASE, **change))
    with pytest.raises(BertConfigError) as error:
        BertConfig.from_json_file(path)
    for word in [str(path), *words]:
        assert word in str(error.value)


def test_missing_vocab_size(tmp_path):
    values = {k: v for k, v in GOOGLE_BASE.items() if k != "vocab_size"}
    with pytest.raises(BertConfigError, match="missing required key 'vocab_size'"):
        BertConfig.from_json_file(write(tmp_path, values))


def test_missing_file_and_invalid_json(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.json"):
        BertConfig.from_json_file(tmp_path / "nowhere.json")
    path = write(tmp_path, '{"vocab_size": 10,\n oops}')
    with pytest.raises(BertConfigError, match=r"invalid JSON at line 2"):
        BertConfig.from_json_file(path)
