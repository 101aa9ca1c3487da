"""Helpers for tests: running Python in a fresh process."""

import os
import pathlib
import subprocess
import sys

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]


def run_python(code_or_args, env=None, timeout=600, cwd=None, check=True):
    """Runs Python in a fresh process; returns the CompletedProcess, raising on failure
    (unless `check=False`)."""
    args = code_or_args if isinstance(code_or_args, list) else ["-c", code_or_args]
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, *args],
        env=full_env,
        cwd=cwd or REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"subprocess failed ({proc.returncode}):\nSTDOUT:\n{proc.stdout[-4000:]}\n"
            f"STDERR:\n{proc.stderr[-4000:]}"
        )
    return proc


def without_tensorflow(directory):
    """`run_python`'s `env` for a process in which `import tensorflow` and `import keras`
    fail as on a machine that has neither: packages of those names that raise
    ModuleNotFoundError, made in `directory` and put first on the path."""
    for name in ("tensorflow", "keras", "tf_keras"):
        package = pathlib.Path(directory) / name
        package.mkdir(parents=True, exist_ok=True)
        raising = f'raise ModuleNotFoundError("No module named {name!r}", name={name!r})\n'
        (package / "__init__.py").write_text(raising)
    path = [str(directory), os.environ.get("PYTHONPATH", "")]
    return {"PYTHONPATH": os.pathsep.join(entry for entry in path if entry)}
