"""Sinusoidal starting values of the position embeddings, against hand-computed ones."""

import math

import numpy as np
import pytest

from tf_ner.bert.config import BertConfig
from tf_ner.bert.modeling import build_bert
from tf_ner.bert.positions import sinusoid_table, start_positions_as_sinusoids


def test_table_values():
    table = sinusoid_table(3, 4, spread=1.0)
    # Columns: sin(p), sin(p / 100), cos(p), cos(p / 100), times sqrt(2).
    r = math.sqrt(2)
    expected = [
        [0, 0, r, r],
        [r * math.sin(1), r * math.sin(0.01), r * math.cos(1), r * math.cos(0.01)],
        [r * math.sin(2), r * math.sin(0.02), r * math.cos(2), r * math.cos(0.02)],
    ]
    np.testing.assert_allclose(table, expected, rtol=1e-6, atol=1e-7)
    # The spread is BERT's initializer range, as a root mean square.
    assert np.sqrt(np.mean(sinusoid_table(512, 256) ** 2)) == pytest.approx(0.02, rel=1e-6)
    with pytest.raises(ValueError, match="even"):
        sinusoid_table(4, 5)


def test_neighbours_start_alike():
    table = sinusoid_table(128, 256)
    unit = table / np.linalg.norm(table, axis=1, keepdims=True)
    similarity = unit @ unit.T
    # Each position is more like the next one than like one 10 or 50 positions away.
    assert np.all(similarity[np.arange(127), np.arange(1, 128)] > 0.9)
    assert np.mean(similarity[np.arange(78), np.arange(50, 128)]) < 0.7


def test_the_encoder_s_table_is_replaced():
    config = BertConfig(vocab_size=10, hidden_size=8, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=16,
                        max_position_embeddings=6)  # fmt: skip
    model = build_bert(config)
    assert start_positions_as_sinusoids(model) == "bert/embeddings/position_embeddings"
    (table,) = [v for v in model.weights if v.path.endswith("position_embeddings")]
    np.testing.assert_array_equal(table.numpy(), sinusoid_table(6, 8))
