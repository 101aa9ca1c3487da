"""Model Garden's own `official.nlp.optimization` (tf-models-official 2.20) against ours."""

import json

import pytest

from tests.helpers import REPO_ROOT, run_python

SCRIPT = str(REPO_ROOT / "tests" / "optimization" / "model_garden_script.py")
CALL_SITES = (
    "positional_constructor",
    "defaults_with_decay",
    "create_optimizer_positional",
    "create_optimizer_no_warmup",
)


@pytest.fixture(scope="module")
def report():
    env = {"TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = run_python([SCRIPT], env=env, timeout=600)
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_signatures_keep_model_gardens_parameters_first(report):
    assert report["signatures"] == {
        "AdamWeightDecay": True,
        "WarmUp": True,
        "create_optimizer": True,
    }


@pytest.mark.slow
@pytest.mark.parametrize("call_site", CALL_SITES)
def test_same_call_follows_model_gardens_optimizer_step_for_step(report, call_site):
    result = report[call_site]
    assert result["first_gradient_norm"] > 1.0  # gradient clipping acts
    assert result["moved"] > 1e-2
    # float32, 10 steps: the rounding of two orders of the same operations.
    assert result["error"] < 1e-4, result


@pytest.mark.slow
def test_warmup_schedule_equals_model_gardens(report):
    assert report["warmup_max_difference"] == 0.0
    assert report["warmup_round_trip_difference"] == 0.0
    assert report["warmup_rate_at_2"] == pytest.approx(1e-2 * (2 / 5) ** 2)


@pytest.mark.slow
def test_config_round_trip_and_clear_error_for_lamb(report):
    assert report["config_round_trip"]
    assert report["gradient_clip_norm"] == 1.0
    assert "optimizer_type" in report["lamb"] and "'lamb'" in report["lamb"]
