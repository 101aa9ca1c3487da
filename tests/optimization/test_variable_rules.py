"""Per-variable rules from paths: exclusions, layer naming conventions, L inference."""

import pytest

from tf_ner.optimization import VariableRules, layer_naming
from tf_ner.optimization.hyperparameters import variable_path

PATHS = [
    "bert/embeddings/word_embeddings",
    "bert/encoder/layer_0/attention/output/dense/bias",
    "bert/encoder/layer_11/output/LayerNorm/gamma",
    "bert/pooler/dense/kernel",
    "crf/transitions",
]

# Two layers and the embeddings of each convention, then a head.
CONVENTION_PATHS = {
    "google": [
        "bert/embeddings/word_embeddings",
        "bert/embeddings/LayerNorm/gamma",
        "bert/encoder/layer_0/attention/self/query/kernel",
        "bert/encoder/layer_1/output/dense/kernel",
        "bert/pooler/dense/kernel",
    ],
    "bert4keras": [
        "Embedding-Token/embeddings",
        "Embedding-Norm/gamma",
        "Transformer-0-MultiHeadSelfAttention/query/kernel",
        "Transformer-1-FeedForward/dense/kernel",
        "Pooler-Dense/kernel",
    ],
    "keras-hub": [
        "token_embedding/embeddings",
        "embeddings_layer_norm/gamma",
        "transformer_layer_0/self_attention_layer/query/kernel",
        "transformer_layer_1/feedforward_output_dense/kernel",
        "pooled_dense/kernel",
    ],
    "huggingface": [
        "tf_bert_model/bert/embeddings/word_embeddings/weight",
        "tf_bert_model/bert/embeddings/LayerNorm/gamma",
        "tf_bert_model/bert/encoder/layer_._0/attention/self/query/kernel",
        "tf_bert_model/bert/encoder/layer_._1/output/dense/kernel",
        "tf_bert_model/bert/pooler/dense/kernel",
    ],
}


def test_defaults_exclude_layer_norm_and_bias_only_when_decay_is_on():
    rules = VariableRules(weight_decay_rate=0.01).resolve(PATHS).rules
    assert [r.decays for r in rules] == [True, False, False, True, True]
    assert [r.weight_decay_rate for r in rules] == [0.01, 0.0, 0.0, 0.01, 0.01]
    assert not any(r.decays for r in VariableRules().resolve(PATHS).rules)
    everything = VariableRules(0.01, exclude_from_weight_decay=()).resolve(PATHS).rules
    assert all(r.decays for r in everything)


def test_include_in_weight_decay_wins_over_exclusions():
    rules = VariableRules(
        0.01,
        exclude_from_weight_decay=["bias", "LayerNorm"],
        include_in_weight_decay=["attention/output"],
    )
    assert [r.decays for r in rules.resolve(PATHS).rules] == [True, True, False, True, True]


def test_google_layers_are_found_and_l_is_inferred():
    table = VariableRules(layerwise_lr_decay=0.9).resolve(PATHS)
    assert table.naming.name == "google"
    assert table.num_layers == 12
    assert [r.layer for r in table.rules] == [-1, 0, 11, None, None]
    assert [r.lr_scale for r in table.rules] == pytest.approx([0.9**13, 0.9**12, 0.9, 1.0, 1.0])


@pytest.mark.parametrize("convention", list(CONVENTION_PATHS))
def test_each_convention_is_detected_and_scaled_by_default(convention):
    table = VariableRules(layerwise_lr_decay=0.5).resolve(CONVENTION_PATHS[convention])
    assert table.naming.name == convention
    assert [r.layer for r in table.rules] == [-1, -1, 0, 1, None]
    assert [r.lr_scale for r in table.rules] == [0.125, 0.125, 0.25, 0.5, 1.0]
    header = table.describe(2e-5).splitlines()[0]
    assert header.startswith(f"layer naming: {convention} (") and header.endswith("; 2 layers")


def test_detection_picks_the_convention_that_places_most_variables():
    mixed = CONVENTION_PATHS["keras-hub"] + CONVENTION_PATHS["google"][:1]
    assert layer_naming.detect(mixed).name == "keras-hub"
    assert layer_naming.detect(["dense/kernel", "head/bias"]) is layer_naming.NONE


def test_given_patterns_replace_the_detected_ones_and_say_so():
    rules = VariableRules(
        layerwise_lr_decay=0.5,
        layer_pattern=r"block(\d+)/",
        embedding_pattern="^emb/",
        lr_multipliers=[("CRF", 10.0), ("C", 2.0)],
    )
    table = rules.resolve(["emb/table", "block0/kernel", "block1/kernel", "CRF/trans"])
    assert [r.lr_scale for r in table.rules] == [0.125, 0.25, 0.5, 10.0]
    assert table.naming.name == "none, layer_pattern given and embedding_pattern given"
    only_layers = VariableRules(layer_pattern=r"Transformer-(\d+)-").resolve(
        CONVENTION_PATHS["bert4keras"]
    )
    assert only_layers.naming.embedding_pattern == "Embedding-"


def test_layerwise_decay_without_any_layer_is_an_error():
    with pytest.raises(ValueError, match=r"layerwise_lr_decay=0.9 needs encoder layers.*layer_"):
        VariableRules(layerwise_lr_decay=0.9).resolve(["dense/kernel", "head/kernel"])
    table = VariableRules(layerwise_lr_decay=0.9, num_layers=2).resolve(["dense/kernel"])
    assert table.rules[0].lr_scale == 1.0


def test_describe_lists_every_variable_with_its_rate():
    table = VariableRules(0.01, layerwise_lr_decay=0.5).resolve(CONVENTION_PATHS["google"])
    lines = table.describe(1e-3).splitlines()
    assert lines[1].split() == ["path", "layer", "lr_scale", "effective_lr", "weight_decay"]
    assert lines[4].split() == [
        "bert/encoder/layer_0/attention/self/query/kernel",
        "0",
        "0.25",
        "0.00025",
        "0.01",
    ]
    assert "effective_lr" not in table.describe().splitlines()[1]


def test_layer_pattern_must_capture_the_index():
    with pytest.raises(ValueError, match="layer_pattern"):
        VariableRules(layer_pattern="layer_")


def test_variable_path_strips_output_suffix():
    class TFVariable:
        name = "bert/pooler/dense/kernel:0"

    assert variable_path(TFVariable()) == "bert/pooler/dense/kernel"
