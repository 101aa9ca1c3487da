import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.layer_harness import run_layer_test
from tf_ner.layers import CRF

NUM_TAGS = 4
# Mixed lengths: full, prefix of 3, one token, a chain with gaps, an empty chain.
MASK = np.array(
    [
        [1, 1, 1, 1, 1, 1],
        [1, 1, 1, 0, 0, 0],
        [1, 0, 0, 0, 0, 0],
        [0, 1, 1, 0, 1, 0],
        [0, 0, 0, 0, 0, 0],
    ],
    bool,
)


def _random_crf(seed=0, lr_multiplier=1.0):
    rng = np.random.default_rng(seed)
    emissions = rng.normal(size=(len(MASK), MASK.shape[1], NUM_TAGS)).astype("float32")
    transitions, start, end = (
        rng.normal(size=s).astype("float32") for s in [(NUM_TAGS, NUM_TAGS), NUM_TAGS, NUM_TAGS]
    )
    crf = CRF(NUM_TAGS, lr_multiplier=lr_multiplier)
    crf.set_effective_transitions(transitions, start, end)
    return crf, emissions, (transitions, start, end)


def _path_score(emissions, positions, path, transitions, start, end):
    score = start[path[0]] + end[path[-1]]
    score += sum(emissions[p, y] for p, y in zip(positions, path, strict=True))
    score += sum(transitions[a, b] for a, b in zip(path[:-1], path[1:], strict=True))
    return score


def brute_force(emissions, mask, params):
    """Per example: (log Z, best path over unmasked positions, {path: score})."""
    results = []
    for example, keep in zip(emissions, mask, strict=True):
        positions = np.flatnonzero(keep)
        if not len(positions):
            results.append((0.0, (), {(): 0.0}))
            continue
        scores = {
            path: _path_score(example.astype(np.float64), positions, path, *params)
            for path in itertools.product(range(NUM_TAGS), repeat=len(positions))
        }
        values = np.array(list(scores.values()))
        log_z = values.max() + np.log(np.exp(values - values.max()).sum())
        results.append((log_z, max(scores, key=scores.get), scores))
    return results


@pytest.mark.parametrize("lr_multiplier", [1.0, 10.0])
def test_log_likelihood_matches_brute_force(lr_multiplier):
    crf, emissions, params = _random_crf(0, lr_multiplier)
    reference = brute_force(emissions, MASK, params)
    rng = np.random.default_rng(1)
    for _ in range(3):
        tags = rng.integers(0, NUM_TAGS, size=MASK.shape)
        tags[~MASK] = -100  # ignored wherever masked
        expected = []
        for (log_z, _, scores), row, keep in zip(reference, tags, MASK, strict=True):
            expected.append(scores[tuple(row[keep])] - log_z)
        actual = crf.log_likelihood(emissions, tags, MASK).numpy()
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5)
    assert actual[-1] == 0.0  # empty chain


def test_viterbi_matches_brute_force():
    crf, emissions, params = _random_crf(2)
    decoded = crf.decode(emissions, MASK).numpy()
    assert decoded.dtype == np.int32
    for row, keep, (_, best, _) in zip(
        decoded, MASK, brute_force(emissions, MASK, params), strict=True
    ):
        assert tuple(row[keep]) == best
        assert np.all(row[~keep] == 0)


def test_partition_gradient_is_marginals():
    crf, emissions, params = _random_crf(3)
    emissions_t = tf.constant(emissions)
    tags = np.zeros(MASK.shape, "int32")
    with tf.GradientTape() as tape:
        tape.watch(emissions_t)
        log_z = -tf.reduce_sum(crf.log_likelihood(emissions_t, tags, MASK))
    gradient = tape.gradient(log_z, emissions_t).numpy()  # marginals minus the gold one-hot
    for b, (log_z_b, _, scores) in enumerate(brute_force(emissions, MASK, params)):
        positions = np.flatnonzero(MASK[b])
        marginals = np.zeros((MASK.shape[1], NUM_TAGS))
        for path, score in scores.items():
            marginals[positions, list(path)] += np.exp(score - log_z_b)
        marginals[positions, 0] -= 1.0
        np.testing.assert_allclose(gradient[b], marginals, atol=1e-5)


def _forward_numpy(emissions, keep, transitions, start, end):
    """log Z by the forward algorithm one position at a time, float64."""
    positions = np.flatnonzero(keep)
    if not len(positions):
        return 0.0
    alpha = start + emissions[positions[0]]
    for p in positions[1:]:
        scores = alpha[:, None] + transitions
        alpha = np.logaddexp.reduce(scores, axis=0) + emissions[p]
    return float(np.logaddexp.reduce(alpha + end))


def _viterbi_numpy(emissions, keep, transitions, start, end):
    """The best tags of the unmasked positions, one position at a time, float64."""
    positions = np.flatnonzero(keep)
    if not len(positions):
        return []
    score, pointers = start + emissions[positions[0]], []
    for p in positions[1:]:
        candidate = score[:, None] + transitions
        pointers.append(candidate.argmax(axis=0))
        score = candidate.max(axis=0) + emissions[p]
    path = [int((score + end).argmax())]
    for pointer in reversed(pointers):
        path.append(int(pointer[path[-1]]))
    return path[::-1]


@pytest.mark.parametrize("jit_compile", [False, True])
def test_long_chains_match_the_forward_algorithm_and_viterbi(jit_compile):
    """Long chains with gaps, padding and an empty one, in a graph and under XLA."""
    rng = np.random.default_rng(8)
    length = 53
    emissions = rng.normal(scale=3.0, size=(4, length, NUM_TAGS)).astype("float32")
    mask = rng.random((4, length)) < 0.8
    mask[1, 40:] = False  # padding
    mask[2] = False  # an empty chain
    mask[3, 17] = mask[3, 33] = True
    crf, _, params = _random_crf(9)
    params = [np.asarray(v, np.float64) for v in params]
    tags = np.where(mask, rng.integers(0, NUM_TAGS, size=mask.shape), -100)
    likelihood = tf.function(crf.log_likelihood, jit_compile=jit_compile)
    actual = likelihood(emissions, tags, mask).numpy()
    for b in range(4):
        positions = np.flatnonzero(mask[b])
        path = tags[b, positions]
        gold = (
            _path_score(emissions[b].astype(np.float64), positions, path, *params)
            if len(positions)
            else 0.0
        )
        log_z = _forward_numpy(emissions[b].astype(np.float64), mask[b], *params)
        assert actual[b] == pytest.approx(gold - log_z, rel=1e-5, abs=1e-3)
    decoded = tf.function(crf.decode, jit_compile=jit_compile)(emissions, mask).numpy()
    for b in range(4):
        best = _viterbi_numpy(emissions[b].astype(np.float64), mask[b], *params)
        assert decoded[b][mask[b]].tolist() == best and not decoded[b][~mask[b]].any()


def test_no_mask_means_every_position():
    crf, emissions, _ = _random_crf(4)
    full = np.ones(MASK.shape, bool)
    np.testing.assert_array_equal(crf.decode(emissions), crf.decode(emissions, full))
    tags = crf.decode(emissions).numpy()
    np.testing.assert_allclose(
        crf.log_likelihood(emissions, tags), crf.log_likelihood(emissions, tags, full)
    )


def test_graph_mode_dynamic_length_matches_eager():
    crf, emissions, _ = _random_crf(5)
    spec = [tf.TensorSpec([None, None, NUM_TAGS], tf.float32), tf.TensorSpec([None, None], tf.bool)]
    decode = tf.function(crf.decode, input_signature=spec)
    likelihood = tf.function(
        lambda e, m: crf.log_likelihood(e, crf.decode(e, m), m), input_signature=spec
    )
    for length in (6, 3, 1):
        e, m = emissions[:, :length], MASK[:, :length]
        np.testing.assert_array_equal(decode(e, m), crf.decode(e, m))
        np.testing.assert_allclose(
            likelihood(e, m), crf.log_likelihood(e, crf.decode(e, m), m), atol=1e-6
        )


def test_lr_multiplier_stores_scaled_values_and_scales_gradient():
    crf1, emissions, params = _random_crf(6, 1.0)
    crf10, _, _ = _random_crf(6, 10.0)
    np.testing.assert_allclose(crf10.transitions.numpy(), params[0] / 10, rtol=1e-6)
    for got, want in zip(crf10.effective_transitions(), params, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    tags = np.ones(MASK.shape, "int32")
    gradients = []
    for crf in (crf1, crf10):
        with tf.GradientTape() as tape:
            loss = -tf.reduce_sum(crf.log_likelihood(emissions, tags, MASK))
        gradients.append(tape.gradient(loss, crf.trainable_weights))
    for g1, g10 in zip(*gradients, strict=True):
        np.testing.assert_allclose(g10, 10 * np.asarray(g1), rtol=1e-5, atol=1e-6)
    assert CRF(3, lr_multiplier=100).get_config()["lr_multiplier"] == 100.0


def test_initial_effective_transitions_do_not_depend_on_lr_multiplier():
    values = []
    for multiplier in (1.0, 1000.0):
        keras.utils.set_random_seed(7)
        crf = CRF(5, lr_multiplier=multiplier)
        crf.build((None, None, 5))
        values.append(crf.effective_transitions()[0].numpy())
    np.testing.assert_allclose(values[0], values[1], rtol=1e-5)
    assert np.abs(values[0]).max() > 0.1


def test_layer_harness(tmp_path):
    _, emissions, _ = _random_crf(8)
    tags = run_layer_test(
        CRF,
        {"num_tags": NUM_TAGS, "lr_multiplier": 10.0},
        emissions,
        call_kwargs={"mask": MASK.astype("int32")},
        tmp_path=tmp_path,
        expected_output_shape=MASK.shape,
        expected_output_dtype="int32",
        expected_num_trainable_weights=3,
        expected_num_params=NUM_TAGS * NUM_TAGS + 2 * NUM_TAGS,
        run_training_check=False,  # integer output; fit is tested through CRFModel
    )
    assert np.all(tags.numpy()[~MASK] == 0)


def test_variables_names_and_float32_under_mixed_precision():
    crf = CRF(3, dtype="mixed_bfloat16", name="crf")
    emissions = tf.cast(np.random.default_rng(9).normal(size=(2, 4, 3)), tf.bfloat16)
    tags = crf(emissions)
    assert tags.dtype == tf.int32
    assert [w.path for w in crf.weights] == [
        "crf/transitions",
        "crf/start_transitions",
        "crf/end_transitions",
    ]
    assert all(w.dtype == "float32" for w in crf.weights)
    assert crf.log_likelihood(emissions, tags).dtype == tf.float32


def test_saved_model_export_decodes(tmp_path):
    crf, emissions, _ = _random_crf(10)
    inputs = keras.Input((None, NUM_TAGS)), keras.Input((None,), dtype="bool")
    model = keras.Model(inputs, crf(inputs[0], mask=inputs[1]))
    model.export(str(tmp_path / "exported"), verbose=False)
    reloaded = tf.saved_model.load(str(tmp_path / "exported"))
    for length in (6, 2):
        e, m = emissions[:, :length], MASK[:, :length]
        np.testing.assert_array_equal(reloaded.serve((e, m)), crf.decode(e, m))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_tags": 0}, r"CRF: `num_tags` must be an int >= 1, received 0"),
        ({"num_tags": 3, "lr_multiplier": 0}, r"`lr_multiplier` must be > 0, received 0"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CRF(**kwargs)


def test_bad_inputs():
    crf, emissions, _ = _random_crf(11)
    with pytest.raises(ValueError, match=r"num_tags=4, received shape \(5, 6, 3\)"):
        crf.decode(emissions[..., :3])
    with pytest.raises(ValueError, match=r"`tags` has values outside \[0, 4\): received \[4, 7\]"):
        tags = np.zeros(MASK.shape, "int32")
        tags[0, 1], tags[3, 2] = 7, 4
        crf.log_likelihood(emissions, tags, MASK)
    with pytest.raises(ValueError, match=r"`emissions` must have rank 3"):
        crf.decode(emissions[0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="`tags` has values outside"):
        tf.function(crf.log_likelihood)(emissions, np.full(MASK.shape, 9, "int32"), MASK)
