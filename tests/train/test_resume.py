"""The kill test: `tf-ner train` killed after its first epoch resumes to the very result
of an uninterrupted run (same steps, same weights, same per-epoch losses).

Dropout stays on (0.1): the resumed epochs only retrace the uninterrupted
ones because `DeterministicEpochs` re-seeds the data order and every dropout layer at
each epoch's start, and `BackupAndRestore` restores weights and optimizer state.
"""

import csv
import os
import re
import signal
import subprocess
import threading

import numpy as np
import pytest

from tests.helpers import REPO_ROOT
from tests.train.corpus import train_command, write_corpus
from tests.train.weights import iterations, max_abs_difference, read_model_weights

EPOCHS = 4
FLAGS = (
    "--epochs", str(EPOCHS), "--batch-size", "4", "--learning-rate", "1e-3", "--seed", "7",
    "--dropout", "0.1",
)  # fmt: skip
TIMEOUT = 300


def start(command):
    env = dict(os.environ, PYTHONUNBUFFERED="1", TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process, timeout=TIMEOUT):
    """Waits for `process`; returns its output, failing with it unless it exited with 0."""
    try:
        output, _ = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, f"exit {process.returncode}:\n{output[-6000:]}"
    return output


def kill_at_line(process, marker, timeout=TIMEOUT):
    """SIGKILLs `process` as soon as it prints a line starting with `marker`; returns the
    output read until then. Fails (and kills it) if the line does not come in time."""
    lines = []
    timer = threading.Timer(timeout, process.kill)
    timer.start()
    try:
        for line in process.stdout:
            lines.append(line)
            if line.startswith(marker):
                os.kill(process.pid, signal.SIGKILL)
                break
    finally:
        timer.cancel()
        if process.poll() is None:
            process.kill()
        process.communicate()
    output = "".join(lines)
    assert lines and lines[-1].startswith(marker), f"no line {marker!r}:\n{output[-6000:]}"
    return output


def steps_taken(output):
    return int(re.search(r"^stopped: .*; (\d+) steps in", output, re.M).group(1))


def epoch_losses(output_dir):
    with open(output_dir / "train_log.csv", newline="") as handle:
        return {int(row["epoch"]): float(row["loss"]) for row in csv.DictReader(handle)}


@pytest.mark.slow
def test_killed_run_resumes_to_the_uninterrupted_result(tmp_path):
    train_file = write_corpus(tmp_path, count=32)
    reference_dir, resumed_dir = tmp_path / "reference", tmp_path / "killed"
    reference = start(train_command(train_file, reference_dir, *FLAGS))
    try:
        # "epoch 1: ..." is printed after epoch 1's end wrote the backup and the logs.
        killed_output = kill_at_line(
            start(train_command(train_file, resumed_dir, *FLAGS)), "epoch 1:"
        )
        assert "steps/epoch" in killed_output
        assert (resumed_dir / "backup" / "latest.weights.h5").is_file()
        assert not (resumed_dir / "model.keras").exists(), "the run ended before the kill"
        assert sorted(epoch_losses(resumed_dir)) == [0]

        resumed_output = finish(start(train_command(train_file, resumed_dir, *FLAGS)))
        reference_output = finish(reference)
    finally:
        if reference.poll() is None:
            reference.kill()
            reference.communicate()

    assert "resuming" in resumed_output
    epochs_run = re.findall(r"^epoch (\d+): ", resumed_output, re.M)
    assert epochs_run == [str(e) for e in range(2, EPOCHS + 1)], resumed_output[-4000:]
    assert not (resumed_dir / "backup").exists()  # deleted once training completed

    steps = steps_taken(reference_output)
    assert steps == EPOCHS * 8  # 32 windows, batch 4
    assert steps_taken(resumed_output) == steps
    reference_weights = read_model_weights(reference_dir / "model.keras")
    resumed_weights = read_model_weights(resumed_dir / "model.keras")
    assert iterations(reference_weights) == iterations(resumed_weights) == steps
    # Epoch by epoch the logged losses agree: the same batches and dropout masks.
    np.testing.assert_allclose(
        list(epoch_losses(resumed_dir).values()),
        list(epoch_losses(reference_dir).values()),
        rtol=1e-6,
    )
    difference = max_abs_difference(reference_weights, resumed_weights)
    assert difference <= 1e-6, f"weights differ by up to {difference}"
