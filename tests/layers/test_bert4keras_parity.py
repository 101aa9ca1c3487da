"""Must show 3: identical weights give bert4keras 0.11.5's outputs and losses (1e-5).

bert4keras runs under tf-keras in a fresh process (tests/layers/bert4keras_script.py);
arrays go through .npz files.
"""

import numpy as np
import pytest

from tests.helpers import REPO_ROOT, run_python
from tests.layers.reference import valid_cells
from tf_ner.ground.masking import large_negative
from tf_ner.layers import CRF, EfficientGlobalPointer, GlobalPointer
from tf_ner.losses import global_pointer_loss

pytestmark = pytest.mark.slow

TYPES, HEAD_SIZE, LENGTH, HIDDEN, TAGS = 3, 8, 7, 16, 4
MASK = np.array([[0, 1, 1, 1, 1, 0, 0], [0, 1, 1, 1, 1, 1, 0]], "int32")  # [CLS], [SEP], pad
# bert4keras's CRF needs right padding with a valid first step: its mask is read from
# -inf emissions and a masked first step would enter its recursion as zeros.
CRF_MASK = np.array([[1] * 6, [1, 1, 1, 1, 0, 0], [1, 0, 0, 0, 0, 0]], "int32")


def _egp_to_bert4keras(qk_kernel, qk_bias, bias_kernel, bias_bias):
    """Our [q | k] and [start | end] layouts -> bert4keras's interleaved ones."""
    d, t = HEAD_SIZE, TYPES
    p_kernel = np.empty_like(qk_kernel)
    p_kernel[:, 0::2], p_kernel[:, 1::2] = qk_kernel[:, :d], qk_kernel[:, d:]
    p_bias = np.empty_like(qk_bias)
    p_bias[0::2], p_bias[1::2] = qk_bias[:d], qk_bias[d:]
    rows = np.empty_like(bias_kernel)
    rows[0::2], rows[1::2] = bias_kernel[:d], bias_kernel[d:]  # input is bert4keras's p output
    q_kernel = np.empty_like(bias_kernel)
    q_kernel[:, 0::2], q_kernel[:, 1::2] = rows[:, t:], rows[:, :t]  # even: end, odd: start
    q_bias = np.empty_like(bias_bias)
    q_bias[0::2], q_bias[1::2] = bias_bias[t:], bias_bias[:t]
    return p_kernel, p_bias, q_kernel, q_bias


@pytest.fixture(scope="module")
def parity(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bert4keras")
    rng = np.random.default_rng(0)
    hidden = rng.normal(size=(2, LENGTH, HIDDEN)).astype("float32")
    labels = np.zeros((2, TYPES, LENGTH, LENGTH), "float32")
    labels[0, 0, 1, 3] = labels[0, 2, 2, 2] = labels[1, 1, 4, 5] = 1

    ours = {}
    gp = GlobalPointer(TYPES, HEAD_SIZE, bias_initializer="glorot_uniform")
    ours["gp_logits"] = gp(hidden, mask=MASK).numpy()
    egp = EfficientGlobalPointer(TYPES, HEAD_SIZE, bias_initializer="glorot_uniform")
    ours["egp_logits"] = egp(hidden, mask=MASK).numpy()
    for name in ("gp", "egp"):
        ours[f"{name}_loss"] = float(global_pointer_loss(labels, ours[f"{name}_logits"]))

    multiplier = 10.0
    emissions = rng.normal(size=(3, 6, TAGS)).astype("float32")
    transitions = rng.normal(size=(TAGS, TAGS)).astype("float32")
    tags = rng.integers(0, TAGS, size=CRF_MASK.shape).astype("int32")
    crf = CRF(TAGS, lr_multiplier=multiplier)
    crf.set_effective_transitions(transitions)  # bert4keras has no start/end scores
    ours["crf_nll"] = -crf.log_likelihood(emissions, tags, CRF_MASK).numpy()
    ours["crf_stored"] = crf.transitions.numpy()
    ours["crf_viterbi"] = crf.decode(emissions, CRF_MASK).numpy()

    gp_kernel, gp_bias = (w.numpy() for w in gp.weights)
    egp_weights = _egp_to_bert4keras(*(w.numpy() for w in egp.weights))
    np.savez(
        tmp / "inputs.npz",
        num_types=TYPES,
        head_size=HEAD_SIZE,
        hidden=hidden,
        mask=MASK,
        labels=labels,
        gp_kernel=gp_kernel,
        gp_bias=gp_bias,
        egp_p_kernel=egp_weights[0],
        egp_p_bias=egp_weights[1],
        egp_q_kernel=egp_weights[2],
        egp_q_bias=egp_weights[3],
        lr_multiplier=multiplier,
        emissions=emissions,
        crf_mask=CRF_MASK,
        transitions=transitions,
        tags=tags,
    )
    run_python(
        [
            str(REPO_ROOT / "tests/layers/bert4keras_script.py"),
            str(tmp / "inputs.npz"),
            str(tmp / "outputs.npz"),
        ],
        env={"TF_KERAS": "1", "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"},
        timeout=300,
    )
    return ours, dict(np.load(tmp / "outputs.npz"))


@pytest.mark.parametrize("name", ["gp", "egp"])
def test_global_pointer_logits_and_loss(parity, name):
    ours, theirs = parity
    logits, reference = ours[f"{name}_logits"], theirs[f"{name}_logits"]
    valid = np.broadcast_to(valid_cells(MASK, LENGTH), logits.shape)
    np.testing.assert_allclose(logits[valid], reference[valid], rtol=1e-5, atol=1e-5)
    assert np.all(np.isneginf(reference[~valid]))  # bert4keras masks with -inf
    assert np.all(logits[~valid] == large_negative("float32"))  # we with a finite value
    assert np.all(np.isfinite(reference[valid]))
    assert np.isclose(ours[f"{name}_loss"], theirs[f"{name}_loss"], rtol=1e-5, atol=1e-5)


def test_crf_loss_stored_weights_and_viterbi(parity):
    ours, theirs = parity
    np.testing.assert_allclose(ours["crf_nll"], theirs["crf_nll"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours["crf_stored"], theirs["crf_stored"], rtol=1e-6)
    np.testing.assert_array_equal(ours["crf_viterbi"], theirs["crf_viterbi"])
