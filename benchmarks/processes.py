"""Running benchmark runners: one fresh process each, with its peak memory, and the
machine's matmul roofline measured in the same run.

A runner prints JSON lines on stdout (its records); `run_script` returns them with
the process's wall time, its peak resident memory (`ru_maxrss` of that child alone,
from `os.wait4`) and the command. `machine_peak` runs
`peers/matmul_peak_runner.py` once per framework, so that every table of a run can
report each runner's FLOP rate as a fraction of what this machine's GEMM reaches.
"""

import json
import os
import pathlib
import platform
import shlex
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
PEERS_DIR = HERE / "peers"
REPO_ROOT = HERE.parent


class RunnerFailed(RuntimeError):
    """A runner exited non-zero, printed no record, or ran past its time limit."""


def run_script(script, arguments, timeout, env=None):
    """Runs `peers/<script>` (or a path) with `arguments` in a fresh Python process.

    Args:
        script: a file name under benchmarks/peers/, or a path.
        arguments: list of str.
        timeout: seconds before the process is killed.
        env: extra environment variables (over os.environ, TensorFlow's C++ log quiet).

    Returns:
        list of dicts: the JSON lines it printed, each with `process_wall_s`,
        `peak_rss_mb` (the process's peak resident memory) and `command`.

    Raises:
        RunnerFailed: naming the command, with the tail of its stderr.
    """
    path = pathlib.Path(script)
    if not path.is_absolute():
        path = PEERS_DIR / script
    cmd = [sys.executable, str(path), *map(str, arguments)]
    full_env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONWARNINGS="ignore")
    full_env.update(env or {})
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=full_env, stdout=out, stderr=err)
        rusage = _wait(proc, timeout, cmd)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    records = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not records:
        tail = "\n    ".join(stderr.strip().splitlines()[-15:])
        raise RunnerFailed(f"{shlex.join(cmd)} failed ({proc.returncode}):\n    {tail}")
    for record in records:
        record["process_wall_s"] = wall
        record["peak_rss_mb"] = rusage.ru_maxrss / 1024  # Linux: kilobytes
        record["command"] = shlex.join(["python", *cmd[1:]])
    return records


def _wait(proc, timeout, cmd):
    """Waits for `proc` (killing it after `timeout` s); its own resource usage."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return rusage
        if time.monotonic() > deadline:
            proc.kill()
            os.wait4(proc.pid, 0)
            raise RunnerFailed(f"{shlex.join(cmd)} ran past {timeout} s")
        time.sleep(0.05)


def run_tf_ner(arguments, log):
    """Runs `tf-ner ARGUMENTS` in a fresh process from the repository root, printing the
    command and appending the process's output to `log`; raises if it exits non-zero."""
    arguments = [str(a) for a in arguments]
    print("$ " + shlex.join(["tf-ner", *arguments]), flush=True)
    with open(log, "a", encoding="utf-8") as out:
        subprocess.run([sys.executable, "-m", "tf_ner.cli", *arguments], check=True,
                       cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT)  # fmt: skip


# /proc/cpuinfo flags, widest first
VECTOR_FLAGS = (("avx512f", "AVX-512"), ("avx2", "AVX2"), ("avx", "AVX"))


def machine_peak(threads=0, timeout=300):
    """The float32 GEMM rate of this machine now, in TensorFlow and in PyTorch.

    Returns:
        dict: `{"tensorflow": record, "torch": record}`, each with `peak_gflops`;
        `"gflops"`: the larger of the two, the roofline the tables divide by.
    """
    peaks = {}
    for framework in ("tensorflow", "torch"):
        arguments = ["--framework", framework, "--threads", threads]
        peaks[framework] = run_script("matmul_peak_runner.py", arguments, timeout)[-1]
    peaks["gflops"] = max(peaks[f]["peak_gflops"] for f in ("tensorflow", "torch"))
    return peaks


def peak_fraction(gflops, peak):
    """A runner's GFLOP/s as a fraction of the machine's matmul peak (`machine_peak`)."""
    return gflops / peak["gflops"]


def machine(cpuinfo="/proc/cpuinfo"):
    """The CPU model, its widest vector instructions, its count and the platform, for a
    results file's header (`vector`: "AVX-512", "AVX2", "AVX" or "none known"; two
    machines of one model name, e.g. "AMD EPYC", may differ there, and matrix products
    with them). `cpuinfo`: the file read (Linux's)."""
    model, flags = None, set()
    try:
        for line in pathlib.Path(cpuinfo).read_text().splitlines():
            key, _, value = (part.strip() for part in line.partition(":"))
            if key == "model name" and model is None:
                model = value
            elif key == "flags" and not flags:
                flags = set(value.split())
    except OSError:
        pass
    model = model or platform.processor() or "unknown"
    vector = next((name for flag, name in VECTOR_FLAGS if flag in flags), "none known")
    return {
        "cpu": model, "vector": vector, "cpus": os.cpu_count(), "platform": platform.platform()
    }  # fmt: skip


def machine_line(found):
    """`"MODEL (N CPUs, VECTOR)"` of a `machine()` record, for a header."""
    return f"{found['cpu']} ({found['cpus']} CPUs, {found['vector']})"
