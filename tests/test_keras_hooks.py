"""The private Keras hooks the package relies on, each checked by name.

No public API does these jobs in Keras 3.15; if Keras renames one, this test fails
with the place that uses it, instead of the behaviour changing silently. requirements.txt
allows the Keras and TensorFlow versions this has run on, no others.
"""

import inspect

import keras
import pytest
from keras.src.backend.common import variables
from keras.src.backend.tensorflow.trainer import TensorFlowTrainer

HOOKS = [
    # (owner, name, where tf_ner uses it and why)
    (keras.optimizers.Optimizer, "_clip_gradients",
     "optimization/keras_optimizer.py: clip the sum over replicas, not each replica's part"),
    (keras.optimizers.Optimizer, "_all_reduce_sum_gradients",
     "optimization/keras_optimizer.py: the same"),
    (keras.optimizers.Optimizer, "_var_key", "optimization/keras_optimizer.py: exclusions"),
    (TensorFlowTrainer, "_symbolic_build", "train/strategy.py: multi-worker build"),
    (TensorFlowTrainer, "_maybe_symbolic_build", "train/strategy.py: skipped once built"),
    (keras.callbacks.BackupAndRestore, "_load_model", "train/callbacks.py: atomic backups"),
    (keras.callbacks.BackupAndRestore, "_save_model", "train/callbacks.py: atomic backups"),
    (keras.Model, "compile_from_config", "layers/crf_model.py: restore compile on load"),
    (variables, "AutocastScope", "bert/primitives.py: Mixout reads the float32 kernel"),
]  # fmt: skip


@pytest.mark.parametrize(("owner", "name", "use"), HOOKS, ids=[h[1] for h in HOOKS])
def test_the_private_keras_hook_still_exists(owner, name, use):
    assert callable(getattr(owner, name, None)), (
        f"Keras {keras.__version__} has no {owner.__name__}.{name}; tf_ner uses it in {use}"
    )


def test_backup_and_restore_still_keeps_its_paths_and_counters(tmp_path):
    backup = keras.callbacks.BackupAndRestore(str(tmp_path))
    for name in ("_weights_path", "_training_metadata_path", "_current_epoch"):
        assert hasattr(backup, name), f"BackupAndRestore.{name} is gone (train/callbacks.py)"
    source = inspect.getsource(keras.callbacks.BackupAndRestore)
    assert "_last_batch_seen" in source and "_initial_epoch" in source, (
        "BackupAndRestore no longer records _last_batch_seen or sets _initial_epoch "
        "(train/callbacks.py resumes at the restored optimizer step through them)"
    )


def test_the_requirements_allow_the_keras_this_runs_on_and_no_other_minor():
    """The ranges say what the hooks above were checked on (requirements.txt)."""
    from packaging.requirements import Requirement
    from packaging.version import Version

    from tests.helpers import REPO_ROOT

    lines = (REPO_ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    keras_line = next(line for line in lines if line.startswith("keras"))
    specifier = Requirement(keras_line).specifier
    installed = Version(keras.__version__)
    assert installed in specifier, (keras_line, keras.__version__)
    major, minor = installed.major, installed.minor
    allowed = [Version(f"{major}.{m}") in specifier for m in (minor - 1, minor, minor + 1)]
    assert allowed == [False, True, False], keras_line
