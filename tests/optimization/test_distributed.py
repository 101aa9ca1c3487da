"""Keras 3 `model.fit` under MirroredStrategy (two logical CPUs) equals one device."""

import json

import pytest

from tests.helpers import REPO_ROOT, run_python


@pytest.mark.slow
def test_mirrored_strategy_fit_equals_single_device():
    script = REPO_ROOT / "tests" / "optimization" / "mirrored_fit_script.py"
    result = run_python([str(script)], env={"TF_CPP_MIN_LOG_LEVEL": "2"}, timeout=300)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["replicas"] == 2
    assert report["steps"] == [16, 16]
    assert report["max_abs_moved"] > 1e-2  # training did move the weights
    assert report["max_abs_diff"] < 1e-5, report
