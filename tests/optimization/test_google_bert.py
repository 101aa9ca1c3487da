"""Google's own BERT code (bert-tensorflow 1.0.4) trained with its optimizer and ours."""

import json

import numpy as np
import pytest

from tests.helpers import REPO_ROOT, run_python

SCRIPT = str(REPO_ROOT / "tests" / "optimization" / "google_bert_script.py")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("google_bert")
    result = run_python(
        [SCRIPT, str(workdir)],
        env={"TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"},
        timeout=600,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_without_bias_correction_google_trajectory_is_reproduced_exactly(report):
    assert report["ours_without_correction"] == report["google"]
    assert report["max_weight_difference_without_correction"] == 0.0
    # With grappler's default arithmetic rewrites the two graphs' gradients differ in the
    # last bit from the fifth step on; the trajectories stay within float32 rounding.
    assert report["max_weight_difference_with_grappler_arithmetic"] < 1e-5


@pytest.mark.slow
def test_with_bias_correction_the_loss_falls_and_differs_from_google(report):
    corrected, google = report["ours_with_correction"], report["google"]
    assert corrected[-1] < 0.7 * corrected[0], corrected
    # The first two steps are identical (warmup: step 0 has learning rate 0).
    assert corrected[:2] == google[:2]
    assert np.max(np.abs(np.subtract(corrected[2:], google[2:]))) > 1e-2


@pytest.mark.slow
def test_saver_checkpoint_resumes_the_uninterrupted_trajectory(report):
    assert report["resumed"] == report["uninterrupted"]
    assert report["uninterrupted"][-1] < 0.7 * report["uninterrupted"][0]


@pytest.mark.slow
def test_google_positional_arguments_bind_as_in_google_code(report):
    # (learning_rate, weight_decay_rate, beta_1, beta_2, epsilon, exclude, name) and the
    # defaults (exclude_from_weight_decay=None decays LayerNorm and biases too).
    for case in ("positional", "defaults_with_decay"):
        assert report[case] == {"attributes_equal": True, "max_weight_difference": 0.0}, case
    assert report["signatures"] == {"AdamWeightDecayOptimizer": True, "create_optimizer": True}
