"""Each head in a small model: mixed_bfloat16 training and decoding, and retracing."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tf_ner.layers import (
    CRF,
    CRFModel,
    EfficientGlobalPointer,
    GlobalPointer,
    TokenClassifier,
    decode_global_pointer,
)
from tf_ner.losses import (
    dense_global_pointer_labels,
    global_pointer_loss,
    masked_token_crossentropy,
)

HEADS = ["global_pointer", "efficient_global_pointer", "token_classifier", "crf"]
VOCAB, NUM_TAGS = 12, 4


def _tokens(rng, batch, length):
    tokens = rng.integers(1, VOCAB, size=(batch, length))
    lengths = rng.integers(length // 2, length + 1, size=batch)
    tokens[np.arange(length)[None] >= lengths[:, None]] = 0
    return tokens.astype("int32")


def _labels(head, tokens):
    if head in ("token_classifier", "crf"):
        return np.where(tokens == 0, -100, tokens % NUM_TAGS).astype("int32")
    # type 0: a token 3 and the next one; type 1: a single token 5 (nested cases occur).
    rows = []
    for example in tokens:
        spans = [
            (0, i, i + 1) for i in range(len(example) - 1) if example[i] == 3 and example[i + 1]
        ]
        spans += [(1, i, i) for i in range(len(example)) if example[i] == 5]
        rows.append(spans)
    width = max(1, max(len(r) for r in rows))
    return np.array([r + [(-1, -1, -1)] * (width - len(r)) for r in rows], "int32")


def _build(head, dtype):
    token_ids = keras.Input((None,), dtype="int32")
    mask = keras.ops.not_equal(token_ids, 0)
    hidden = keras.layers.Embedding(VOCAB, 16, dtype=dtype)(token_ids)
    hidden = keras.layers.Dense(16, activation="tanh", dtype=dtype)(hidden)
    if head == "crf":
        emissions = keras.layers.Dense(NUM_TAGS, dtype=dtype)(hidden)
        return CRFModel(keras.Model(token_ids, (emissions, mask)), CRF(NUM_TAGS, dtype=dtype)), None
    if head == "token_classifier":
        return keras.Model(
            token_ids, TokenClassifier(NUM_TAGS, dtype=dtype)(hidden)
        ), masked_token_crossentropy
    layer_cls = GlobalPointer if head == "global_pointer" else EfficientGlobalPointer
    logits = layer_cls(2, head_size=8, dtype=dtype)(hidden, mask=mask)
    return keras.Model(token_ids, logits), global_pointer_loss


def _numpy(outputs):
    return keras.tree.map_structure(np.asarray, outputs)


def _decode(head, outputs, tokens):
    if head == "crf":
        return outputs["tags"]
    if head == "token_classifier":
        return np.where(tokens != 0, np.asarray(outputs, np.float32).argmax(-1), 0)
    return decode_global_pointer(outputs)


def _margin(head, outputs, tokens):
    """Smallest distance of a decision from its threshold on valid positions."""
    if head == "crf":
        outputs = outputs["emissions"]
    outputs = np.asarray(outputs, np.float32)
    if head in ("crf", "token_classifier"):
        top2 = np.sort(outputs, axis=-1)[..., -2:]
        return float((top2[..., 1] - top2[..., 0])[tokens != 0].min())
    return float(np.abs(outputs[outputs > -1e4]).min())


@pytest.mark.parametrize("head", HEADS)
def test_mixed_bfloat16_trains_and_decodes_like_float32(head):
    rng = np.random.default_rng(0)
    tokens = _tokens(rng, 6, 8)
    labels = _labels(head, tokens)

    model32, loss = _build(head, "float32")
    model32.compile(optimizer=keras.optimizers.Adam(0.05), loss=loss)
    # 60 steps in a few epochs (per-epoch overhead dominates at this size).
    model32.fit(
        np.tile(tokens, (20, 1)),
        np.tile(labels, (20,) + (1,) * (labels.ndim - 1)),
        batch_size=6,
        epochs=3,
        verbose=0,
    )
    outputs32 = _numpy(model32(tokens, training=False))
    assert _margin(head, outputs32, tokens) > 1.0, "precondition: float32 decisions have margin"

    model16, loss = _build(head, "mixed_bfloat16")
    model16.set_weights(model32.get_weights())
    outputs16 = _numpy(model16(tokens, training=False))
    logits16 = outputs16["emissions"] if head == "crf" else outputs16
    if head != "crf":
        assert logits16.dtype == "bfloat16"
    assert all(w.dtype == "float32" for w in model16.weights)
    decoded32, decoded16 = _decode(head, outputs32, tokens), _decode(head, outputs16, tokens)
    if head in ("global_pointer", "efficient_global_pointer"):
        assert decoded16 == decoded32
        gold = dense_global_pointer_labels(labels, 2, tokens.shape[1]).numpy()
        assert decoded32 == decode_global_pointer(np.where(gold > 0, 1.0, -1.0))  # learnt
    else:
        np.testing.assert_array_equal(decoded16, decoded32)
        np.testing.assert_array_equal(decoded32[tokens != 0], labels[tokens != 0])  # learnt

    # A few bfloat16 training steps stay finite.
    model16.compile(optimizer=keras.optimizers.Adam(0.03), loss=loss)
    history = model16.fit(tokens, labels, batch_size=3, epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert all(np.all(np.isfinite(w)) for w in model16.get_weights())
    outputs = _numpy(model16(tokens, training=False))
    for leaf in keras.tree.flatten(outputs):
        assert np.all(np.isfinite(np.asarray(leaf, np.float32)))


@pytest.mark.parametrize("head", HEADS)
def test_bucketed_predict_traces_once_per_bucket(head):
    model, _ = _build(head, "float32")
    traced_lengths = []

    @tf.function
    def predict(token_ids):
        traced_lengths.append(token_ids.shape[1])  # runs only while tracing
        return model(token_ids, training=False)

    rng = np.random.default_rng(1)
    for length in [8, 12, 8, 16, 12, 8, 16, 12]:
        predict(tf.constant(_tokens(rng, 4, length)))
    assert traced_lengths == [8, 12, 16]
