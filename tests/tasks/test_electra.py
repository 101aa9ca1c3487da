"""Replaced-token detection: its loss, the replacement and the sampling, against numpy."""

import dataclasses

import numpy as np
import pytest

from tf_ner.bert.config import BertConfig
from tf_ner.losses import replaced_token_detection_loss
from tf_ner.tasks.masked_lm.electra import ReplacedTokenDetection, replace_at_positions

CONFIG = BertConfig(
    vocab_size=12, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
    intermediate_size=32, max_position_embeddings=16,
)  # fmt: skip


def numpy_rtd_loss(labels, generator_logits, discriminator_logits, replaced, real, weight):
    rows, slots = np.nonzero(labels >= 0)
    logits = generator_logits[rows, slots].astype(np.float64)
    log_softmax = logits - logits.max(-1, keepdims=True)
    log_softmax -= np.log(np.exp(log_softmax).sum(-1, keepdims=True))
    generator = -log_softmax[np.arange(len(rows)), labels[rows, slots]].mean()
    x, z = discriminator_logits.astype(np.float64), replaced
    bce = np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))
    return generator + weight * (bce * real).sum() / real.sum()


def test_loss_matches_numpy():
    rng = np.random.default_rng(0)
    labels = np.array([[3, 5, -1], [7, -1, -1]], np.int32)
    generator_logits = rng.normal(size=(2, 3, 12)).astype(np.float32) * 3
    discriminator_logits = rng.normal(size=(2, 6)).astype(np.float32) * 4
    replaced = np.array([[0, 1, 0, 0, 1, 0], [0, 0, 1, 0, 0, 0]], np.float32)
    real = np.array([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]], np.float32)
    ours = replaced_token_detection_loss(
        labels, generator_logits, discriminator_logits, replaced, real, 50.0, ignore_label=-1
    )
    expected = numpy_rtd_loss(labels, generator_logits, discriminator_logits, replaced, real, 50)
    assert float(ours) == pytest.approx(expected, rel=1e-5)
    # The padding's logits do not count: changing them changes nothing.
    moved = discriminator_logits.copy()
    moved[1, 4:] += 100.0
    again = replaced_token_detection_loss(labels, generator_logits, moved, replaced, real,
                                          50.0, ignore_label=-1)  # fmt: skip
    assert float(again) == pytest.approx(float(ours), rel=1e-6)


def test_replacements_land_at_the_valid_positions_only():
    original = np.array([[2, 5, 6, 7, 3], [2, 8, 9, 3, 0]], np.int32)
    positions = np.array([[1, 3], [2, 0]], np.int32)
    valid = positions > 0
    samples = np.array([[10, 7], [11, 11]], np.int32)
    out = replace_at_positions(original, positions, valid, samples).numpy()
    expected = original.copy()
    expected[0, 1], expected[0, 3], expected[1, 2] = 10, 7, 11  # [CLS] of row 1 untouched
    np.testing.assert_array_equal(out, expected)


def electra_with_generator_bias(bias):
    """A tiny model whose generator logits are exactly `bias` (zero word embeddings)."""
    model = ReplacedTokenDetection(CONFIG, generator_layers=1, seed=3)
    for variable in model.weights:
        if variable.path == "bert/embeddings/word_embeddings":
            variable.assign(np.zeros(variable.shape, np.float32))
        if variable.path == "generator/predictions/predictions/output_bias":
            variable.assign(bias.astype(np.float32))
    return model


def features(rows, original, positions):
    return {
        "token_ids": np.asarray(rows, np.int32),
        "segment_ids": np.zeros_like(rows, dtype=np.int32),
        "masked_positions": np.asarray(positions, np.int32),
        "original_ids": np.asarray(original, np.int32),
    }


def test_the_discriminator_sees_the_samples_and_learns_which_were_replaced():
    bias = np.full(CONFIG.vocab_size, -30.0)
    bias[7] = 30.0  # the generator samples 7, always
    model = electra_with_generator_bias(bias)
    original = [[2, 5, 7, 9, 3, 0], [2, 6, 6, 3, 0, 0]]
    masked = [[2, 4, 4, 9, 3, 0], [2, 4, 6, 3, 0, 0]]
    positions = [[1, 2, 0], [1, 0, 0]]  # row 0: 5 and 7 masked; row 1: the first 6
    outputs = model(features(masked, original, positions), training=True)
    # 7 replaces 5 (replaced) and 7 (the same token: counts as original) and 6.
    np.testing.assert_array_equal(
        outputs["replaced"].numpy(), [[0, 1, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0]]
    )
    np.testing.assert_array_equal(
        outputs["real"].numpy(), [[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 0, 0]]
    )
    labels = np.array([[5, 7, -1], [6, -1, -1]], np.int32)
    loss = model.compute_loss(y=labels, y_pred=outputs)
    expected = numpy_rtd_loss(
        labels, outputs["generator"].numpy(), outputs["discriminator"].numpy(),
        outputs["replaced"].numpy(), outputs["real"].numpy(), 50.0,
    )  # fmt: skip
    assert float(loss) == pytest.approx(expected, rel=1e-5)


def test_samples_follow_the_generator_s_distribution():
    probabilities = np.array([0, 0, 0, 0, 0, 0.5, 0.3, 0.15, 0.05, 0, 0, 0])
    bias = np.log(np.maximum(probabilities, 1e-30))
    model = electra_with_generator_bias(bias)
    rows = 2000
    original = np.tile([2, 11, 3], (rows, 1))
    masked = np.tile([2, 4, 3], (rows, 1))
    outputs = model(features(masked, original, np.ones((rows, 1))), training=True)
    np.testing.assert_allclose(outputs["generator"].numpy()[:, 0], np.tile(bias, (rows, 1)),
                               atol=1e-4)  # fmt: skip
    drawn = outputs["discriminator_input"].numpy()[:, 1]
    counts = np.bincount(drawn, minlength=CONFIG.vocab_size)
    # Tokens of probability 0 never come; the others within 4.5 binomial deviations.
    assert counts[probabilities == 0].sum() == 0
    expected = rows * probabilities
    deviation = np.sqrt(rows * probabilities * (1 - probabilities))
    assert np.all(np.abs(counts - expected) <= 4.5 * deviation + 1e-9), counts
    assert outputs["replaced"].numpy()[:, 1].all()  # 11 never drawn: every row replaced


def test_training_draws_new_samples_and_inference_the_same():
    probabilities = np.full(CONFIG.vocab_size, 1.0 / CONFIG.vocab_size)
    model = electra_with_generator_bias(np.log(probabilities))
    rows = np.tile([2, 4, 4, 4, 3], (64, 1))
    original = np.tile([2, 5, 6, 7, 3], (64, 1))
    positions = np.tile([1, 2, 3], (64, 1))
    inputs = features(rows, original, positions)
    first, second = (model(inputs, training=True)["replaced"].numpy() for _ in range(2))
    assert not np.array_equal(first, second)
    first, second = (model(inputs, training=False)["replaced"].numpy() for _ in range(2))
    np.testing.assert_array_equal(first, second)


def test_variable_paths_are_checkpoint_names():
    model = ReplacedTokenDetection(dataclasses.replace(CONFIG), generator_layers=1)
    paths = {v.path for v in model.weights}
    assert "bert/encoder/layer_1/output/dense/kernel" in paths
    assert "generator/encoder/layer_0/attention/self/query/kernel" in paths
    assert "generator/encoder/layer_1/attention/self/query/kernel" not in paths
    assert "discriminator_predictions/dense_prediction/kernel" in paths
    # One embedding matrix, shared.
    assert sum("word_embeddings" in p for p in paths) == 1
