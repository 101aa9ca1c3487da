"""A tiny bert4keras BERT classifier and data for it, for the scripts run under tf-keras.

Imported by `legacy_script.py` and `bert4keras_wrappers_script.py` (their folder is on
`sys.path` when they run), in a process with TF_KERAS=1 and TF_USE_LEGACY_KERAS=1.
"""

import json
import os

import numpy as np
import tf_keras

CONFIG = dict(
    attention_probs_dropout_prob=0.0,
    hidden_act="gelu",
    hidden_dropout_prob=0.0,
    hidden_size=16,
    initializer_range=0.02,
    intermediate_size=32,
    max_position_embeddings=16,
    num_attention_heads=2,
    num_hidden_layers=2,
    type_vocab_size=2,
    vocab_size=20,
)


def tiny_classifier(workdir):
    """bert4keras's `build_transformer_model` (2 layers, random weights, seed 0) + [CLS] head.

    Returns:
        A tf-keras model: `[token_ids, segment_ids]` [batch, length] -> probabilities [batch, 2].
    """
    from bert4keras.models import build_transformer_model

    config_path = os.path.join(workdir, "bert_config.json")
    with open(config_path, "w") as f:
        json.dump(CONFIG, f)
    tf_keras.utils.set_random_seed(0)
    bert = build_transformer_model(config_path=config_path, checkpoint_path=None)
    cls = tf_keras.layers.Lambda(lambda x: x[:, 0], name="CLS")(bert.output)
    probs = tf_keras.layers.Dense(2, activation="softmax", name="classifier")(cls)
    return tf_keras.Model(bert.inputs, probs)


def tiny_data(examples=256):
    """Token ids [examples, 8] starting with [CLS], zero segments, labels from token 1."""
    rng = np.random.default_rng(0)
    tokens = rng.integers(3, 20, size=(examples, 8))
    tokens[:, 0] = 2  # [CLS]
    labels = (tokens[:, 1] < 11).astype("int64")  # depends on the first real token
    return tokens, np.zeros_like(tokens), labels
