"""keras-hub's BertTextClassifier (a random tiny BertBackbone) with our Keras 3 optimizer."""

import re

import keras
import keras_hub
import numpy as np
import pytest

from tf_ner.optimization import AdamWeightDecay

LR = 1e-2


def expected_scale(path, decay=0.5, num_layers=2):
    """Written from keras-hub's layer names: `transformer_layer_{i}`, embeddings, heads."""
    layer = re.match(r"transformer_layer_(\d+)/", path)
    if layer:
        return decay ** (num_layers - int(layer.group(1)))
    if re.match(r"(token|position|segment)_embedding/|embeddings_layer_norm/", path):
        return decay ** (num_layers + 1)
    assert path.startswith(("pooled_dense/", "logits/")), path
    return 1.0


def test_bert_text_classifier_trains_with_layerwise_decay_found_by_layer_names(capsys):
    keras.utils.set_random_seed(0)
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=30,
        num_layers=2,
        num_heads=2,
        hidden_dim=16,
        intermediate_dim=32,
        max_sequence_length=8,
        dropout=0.0,
    )
    model = keras_hub.models.BertTextClassifier(
        backbone=backbone, num_classes=2, preprocessor=None, dropout=0.0
    )
    optimizer = AdamWeightDecay(LR, weight_decay_rate=0.01, layerwise_lr_decay=0.5)
    model.compile(
        optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    rng = np.random.default_rng(0)
    token_ids = rng.integers(3, 30, size=(64, 8))
    labels = (token_ids[:, 1] < 16).astype("int32")
    inputs = {
        "token_ids": token_ids,
        "segment_ids": np.zeros_like(token_ids),
        "padding_mask": np.ones_like(token_ids),
    }
    losses = model.fit(inputs, labels, batch_size=16, epochs=15, verbose=0).history["loss"]
    assert losses[-1] < 0.7 * losses[0], losses

    table = optimizer.describe_learning_rates()
    print(table)
    assert table.splitlines()[0].startswith("layer naming: keras-hub (")
    assert table.splitlines()[0].endswith("; 2 layers")
    assert "transformer_layer_1/feedforward_output_dense/kernel" in capsys.readouterr().out
    rates = optimizer.effective_learning_rates()
    assert len(rates) == len(model.trainable_variables)
    for path, rate in rates.items():
        assert rate == pytest.approx(LR * expected_scale(path), rel=1e-6), path
    layers = {rule.layer for rule in optimizer.variable_rules()}
    assert layers == {-1, 0, 1, None}
    decays = {rule.path: rule.decays for rule in optimizer.variable_rules()}
    assert not decays["transformer_layer_0/self_attention_layer_norm/gamma"]
    assert decays["transformer_layer_0/self_attention_layer/query/kernel"]
