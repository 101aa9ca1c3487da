"""Keras 2 (tf-keras) front end, each test in a fresh process with TF_USE_LEGACY_KERAS=1."""

import json

import numpy as np
import pytest

from tests.helpers import REPO_ROOT, run_python
from tests.optimization import reference

SCRIPT = str(REPO_ROOT / "tests" / "optimization" / "legacy_script.py")
LEGACY_ENV = {"TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}


@pytest.mark.slow
def test_legacy_matches_numpy_reference_for_200_steps(tmp_path):
    params, grads, lrs = reference.random_problem(steps=200, seed=21)
    arrays = {"paths": np.array(list(params)), "lrs": np.array(lrs)}
    arrays.update({f"init/{p}": v for p, v in params.items()})
    for step, step_grads in enumerate(grads):
        arrays.update({f"grad/{step}/{p}": g for p, g in step_grads.items()})
    np.savez(tmp_path / "problem.npz", **arrays)
    result = run_python(
        [SCRIPT, "trajectories", str(tmp_path / "problem.npz"), str(tmp_path / "out.npz")],
        env=LEGACY_ENV,
        timeout=300,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {
        "tf_keras_is_tf_keras": True,
        "keras3_imported": False,
        "config_round_trip": True,
        "schedule": "WarmupLinearDecay",
        "loaded_optimizer": "AdamWeightDecay",
        "loaded_state_equal": True,
        "loaded_weights_equal": True,
        "anchor_names": ["dense/kernel/pretrained:0"],
    }
    out = np.load(tmp_path / "out.npz")
    default = reference.default_decays(params)
    expectations = {
        "bc_wd_default_exclusions": dict(
            bias_correction=True, weight_decay_rate=0.05, decays=default
        ),
        "nobc_wd_default_exclusions": dict(
            bias_correction=False, weight_decay_rate=0.05, decays=default
        ),
        "bc_no_wd": dict(bias_correction=True),
        "nobc_wd_no_exclusions": dict(bias_correction=False, weight_decay_rate=0.05),
    }
    for key, kwargs in expectations.items():
        expected = reference.adam_weight_decay(params, grads, lrs, **kwargs)
        actual = {p: out[f"{key}/{p}"] for p in params}
        reference.assert_close(actual, expected, rtol=1e-6)
    for bias_correction in (True, False):
        key = f"float32_{'' if bias_correction else 'no'}bc_wd_default_exclusions"
        expected = reference.adam_weight_decay(
            {p: v.astype(np.float32) for p, v in params.items()},
            [{p: g.astype(np.float32) for p, g in step.items()} for step in grads],
            lrs,
            bias_correction=bias_correction,
            weight_decay_rate=0.05,
            decays=default,
            dtype=np.float32,
        )
        actual = {p: out[f"{key}/{p}"] for p in params}
        assert actual[next(iter(params))].dtype == np.float32
        reference.assert_close(actual, expected, rtol=1e-5)


@pytest.mark.slow
def test_bert4keras_model_trains_with_legacy_optimizer(tmp_path):
    result = run_python(
        [SCRIPT, "bert4keras", str(tmp_path)], env={**LEGACY_ENV, "TF_KERAS": "1"}, timeout=300
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    print(result.stderr[-6000:])  # the effective learning-rate table
    print("bert4keras's own Adam on this TF:", report["bert4keras_own_adam"])
    assert report["optimizer"] == "tf_ner.optimization.legacy.AdamWeightDecay"
    assert not report["keras3_imported"]
    losses = report["loss"]
    assert losses[-1] < 0.5 * losses[0], losses
    assert report["naming"].startswith("layer naming: bert4keras ("), report["naming"]
    rules = report["rules"]
    assert rules["Embedding-Norm/gamma"] == [False, pytest.approx(0.9**3)]
    assert rules["Transformer-1-FeedForward/dense/kernel"] == [True, pytest.approx(0.9)]
    assert rules["Transformer-0-FeedForward/dense/bias"] == [False, pytest.approx(0.81)]
    assert rules["classifier/kernel"] == [True, 2.0]
