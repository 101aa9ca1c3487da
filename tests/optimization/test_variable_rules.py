"""Per-variable rules from paths: exclusions, layer depth, L inference, multipliers."""

import pytest

from tf_ner.optimization import VariableRules
from tf_ner.optimization.hyperparameters import variable_path

PATHS = [
    "bert/embeddings/word_embeddings",
    "bert/encoder/layer_0/attention/output/dense/bias",
    "bert/encoder/layer_11/output/LayerNorm/gamma",
    "bert/pooler/dense/kernel",
    "crf/transitions",
]


def test_defaults_exclude_layer_norm_and_bias_only_when_decay_is_on():
    rules = VariableRules(weight_decay_rate=0.01).resolve(PATHS)
    assert [r.decays for r in rules] == [True, False, False, True, True]
    assert not any(r.decays for r in VariableRules().resolve(PATHS))
    assert all(r.decays for r in VariableRules(0.01, exclude_from_weight_decay=()).resolve(PATHS))


def test_layers_are_found_by_regex_and_l_is_inferred():
    rules = VariableRules(layerwise_lr_decay=0.9)
    assert [rules.layer_of(p) for p in PATHS] == [-1, 0, 11, None, None]
    assert rules.infer_num_layers(PATHS) == 12
    scales = [r.lr_scale for r in rules.resolve(PATHS)]
    assert scales == pytest.approx([0.9**13, 0.9**12, 0.9, 1.0, 1.0])


def test_custom_patterns_fit_other_naming_schemes():
    rules = VariableRules(
        layerwise_lr_decay=0.5,
        layer_pattern=r"Transformer-(\d+)-",
        embedding_pattern="Embedding-",
        lr_multipliers=[("CRF", 10.0), ("C", 2.0)],
    )
    paths = [
        "Embedding-Token/embeddings",
        "Transformer-0-FeedForward/dense/kernel",
        "Transformer-1-FeedForward/dense/kernel",
        "CRF/trans",
    ]
    assert [r.lr_scale for r in rules.resolve(paths)] == [0.125, 0.25, 0.5, 10.0]


def test_layer_pattern_must_capture_the_index():
    with pytest.raises(ValueError, match="layer_pattern"):
        VariableRules(layer_pattern="layer_")


def test_variable_path_strips_output_suffix():
    class TFVariable:
        name = "bert/pooler/dense/kernel:0"

    assert variable_path(TFVariable()) == "bert/pooler/dense/kernel"
