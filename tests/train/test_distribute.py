"""`train` under tf.distribute: MirroredStrategy over two logical CPU devices, and two
MultiWorkerMirroredStrategy workers on 127.0.0.1, each against one device.

Dropout is 0 in these runs: with dropout on, each replica draws its own masks for its
half of the batch, so the replicas could not match one device bit for bit (the kill
test in test_resume.py covers dropout). Everything else is the real training path: the
CRF head, AdamWeightDecay with warmup, decay and global norm clipping.
"""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

from tests.helpers import REPO_ROOT, run_python
from tests.train.corpus import write_corpus
from tests.train.weights import iterations, max_abs_difference, read_model_weights

SCRIPTS = REPO_ROOT / "tests" / "train"
# The CPU devices alone: a GPU would change the replica count (and two workers would share it).
CPU_ONLY = {"CUDA_VISIBLE_DEVICES": "-1", "TF_CPP_MIN_LOG_LEVEL": "2"}
STEPS = 6  # 24 windows, global batch 8, 2 epochs
TIMEOUT = 300


@pytest.mark.slow
def test_mirrored_strategy_over_two_cpus_trains_like_one_device(tmp_path):
    train_file = write_corpus(tmp_path, count=24)
    result = run_python(
        [str(SCRIPTS / "mirrored_script.py"), str(train_file), str(tmp_path)],
        env=CPU_ONLY,
        timeout=TIMEOUT,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["default"]["replicas"] == 1
    assert report["mirrored"]["replicas"] == 2
    assert report["default"]["steps"] == report["mirrored"]["steps"] == STEPS
    assert report["mirrored"]["test"] == pytest.approx(report["default"]["test"])

    one = read_model_weights(tmp_path / "default" / "model.keras")
    two = read_model_weights(tmp_path / "mirrored" / "model.keras")
    assert iterations(one) == iterations(two) == STEPS
    # The logged loss is the global batch's (a per-replica loss not divided by the
    # replica count would show here as twice the loss).
    losses = _losses(tmp_path / "default")
    assert _losses(tmp_path / "mirrored") == pytest.approx(losses, rel=1e-5)
    assert losses[-1] < 0.9 * losses[0], "training barely moved: the comparison means little"
    difference = max_abs_difference(one, two)
    assert difference < 1e-5, f"weights differ by up to {difference}"


def _losses(output_dir):
    lines = (output_dir / "train_log.csv").read_text().splitlines()
    header = lines[0].split(",")
    return [float(line.split(",")[header.index("loss")]) for line in lines[1:]]


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _start(args, log, tf_config=None):
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    if tf_config is not None:
        env["TF_CONFIG"] = json.dumps(tf_config)
    return subprocess.Popen(
        [sys.executable, *map(str, args)],
        cwd=REPO_ROOT,
        env={**env, **CPU_ONLY},
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _run_workers(tmp_path, train_file, out, with_single, *extra):
    """Two workers of one cluster on 127.0.0.1 (and, with `with_single`, the same run on
    one device meanwhile, never part of the cluster); returns their logs and reports."""
    cluster = {"worker": [f"127.0.0.1:{port}" for port in _free_ports(2)]}
    names = ["worker0", "worker1"] + (["single"] if with_single else [])
    processes, logs = [], []
    for index, name in enumerate(names):
        logs.append(open(tmp_path / f"{name}.log", "w"))
        weights = tmp_path / f"{name}.npz"
        if name == "single":
            args = [train_file, tmp_path / "single", "default", weights]
            processes.append(_start([SCRIPTS / "worker_script.py", *args], logs[-1]))
            continue
        config = {"cluster": cluster, "task": {"type": "worker", "index": index}}
        args = [train_file, out, "multi-worker", weights, *(extra[index] if extra else ())]
        processes.append(_start([SCRIPTS / "worker_script.py", *args], logs[-1], config))
    try:
        for process in processes:
            process.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pass
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        for log in logs:
            log.close()
    outputs = [(tmp_path / f"{name}.log").read_text() for name in names]
    for process, output in zip(processes, outputs, strict=True):
        assert process.returncode == 0, f"exit {process.returncode}:\n{output[-6000:]}"
    reports = [json.loads(output.strip().splitlines()[-1]) for output in outputs]
    weights = [dict(np.load(tmp_path / f"{name}.npz")) for name in names]
    return outputs, reports, weights


@pytest.mark.slow
@pytest.mark.serial
def test_two_workers_on_localhost_end_with_identical_weights(tmp_path):
    train_file = write_corpus(tmp_path, count=24)
    out = tmp_path / "model"
    outputs, reports, (worker0, worker1, single) = _run_workers(tmp_path, train_file, out, True)
    assert [r["replicas"] for r in reports] == [2, 2, 1]
    assert [r["steps"] for r in reports] == [STEPS] * 3

    difference = max_abs_difference(worker0, worker1)
    assert difference == 0.0, f"the workers' weights differ by up to {difference}"
    difference = max_abs_difference(worker0, single)
    assert difference < 1e-5, f"one device and two workers differ by up to {difference}"
    # Only the chief (worker 0) wrote the model folder, holding the weights it ended with.
    assert "CollectiveAllReduceStrategy with 2 replica(s)" in outputs[1]
    assert f"saved the model to {out}" in outputs[0]
    assert "saved the model" not in outputs[1]
    saved = read_model_weights(out / "model.keras")
    assert iterations(saved) == STEPS
    assert not (out / "backup").exists()
    assert not [p for p in out.iterdir() if "worker" in p.name]


@pytest.mark.slow
@pytest.mark.serial
def test_two_workers_with_disagreeing_clocks_stop_together_on_a_time_budget(tmp_path):
    # Worker 1's clock runs 1.6x fast: reading its own clock, it would stop early and
    # leave worker 0 waiting in a collective until the timeout.
    train_file = write_corpus(tmp_path, count=24)
    budget = [("0.25", "1"), ("0.25", "1.6")]  # 15 seconds of training
    _, reports, (worker0, worker1) = _run_workers(
        tmp_path, train_file, tmp_path / "model", False, *budget
    )
    assert reports[0]["steps"] == reports[1]["steps"] > 3
    assert all("time budget of 0.25 minutes spent" in r["stop_reason"] for r in reports)
    difference = max_abs_difference(worker0, worker1)
    assert difference == 0.0, f"the workers' weights differ by up to {difference}"
