"""The private Keras hooks the package relies on, each checked by name.

No public API does these jobs in Keras 3.15; if Keras renames one, this test fails
with the place that uses it, instead of the behaviour changing silently.
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
