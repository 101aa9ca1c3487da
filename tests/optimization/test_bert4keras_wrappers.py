"""bert4keras 0.11.5's `extend_with_*_v2` optimizer wrappers around our tf-keras optimizer."""

import json

import pytest

from tests.helpers import REPO_ROOT, run_python

SCRIPT = str(REPO_ROOT / "tests" / "optimization" / "bert4keras_wrappers_script.py")
# float32 Adam: the bias correction's 1 - 0.999**t alone carries a 1e-5 relative error.
FLOAT32 = 1e-4


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("bert4keras_wrappers")
    env = {"TF_KERAS": "1", "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = run_python([SCRIPT, str(workdir)], env=env, timeout=600)
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_unwrapped_optimizer_equals_numpy_reference(report):
    assert report["unwrapped_error"] < FLOAT32


@pytest.mark.slow
def test_piecewise_linear_lr_first_step_has_zero_learning_rate(report):
    assert report["piecewise_moved_steps"] == [2]  # of 2 steps: step 1 ran at lr 0
    assert report["piecewise_error"] < FLOAT32  # step 2 at lr / 4, moments from both


@pytest.mark.slow
def test_gradient_accumulation_updates_once_per_k_steps(report):
    assert report["accumulation_moved_steps"] == [5, 9]  # k = 4, of 9 steps
    assert report["accumulation_error"] < FLOAT32  # the mean of 4 gradients, t = 5


@pytest.mark.slow
def test_exponential_moving_average_is_kept_and_applied(report):
    assert report["ema_slot_error"] < 1e-6
    assert report["ema_differs_from_raw"] > 1e-2
    assert report["ema_applied_error"] < 1e-6  # apply_ema_weights divides by 1 - 0.9**t
    assert report["ema_reset_error"] == 0.0


@pytest.mark.slow
def test_lookahead_syncs_to_slow_weights_every_k_steps(report):
    assert report["lookahead_first_step_error"] < FLOAT32  # slow starts at 0: half the step
    assert report["lookahead_slow_equals_weights_after_sync"] == 0.0
    assert report["lookahead_off_sync_differs"] > 1e-3


@pytest.mark.slow
def test_weight_decay_wrapper_shrinks_weights_as_our_own_decay_does(report):
    assert report["decayed_variables"] > 0
    assert report["decay_zero_gradient_error"] < 1e-6
    assert report["decay_wrapper_equals_builtin"] < FLOAT32
