"""Reading and writing Google-format TF checkpoints (`bert_model.ckpt.index` + `.data-*`)."""

import os
import pathlib
import re
import tempfile

import numpy as np
import tensorflow as tf

from tf_ner.ground.errors import InputError, MissingFileError
from tf_ner.ground.files import atomic_write_text

CHECKPOINT_NAME = "bert_model.ckpt"

# Variables a training run saves beside the weights: Adam slots (Google's
# `adam_m`/`adam_v`, Keras 1's `/Adam`, `/Adam_1`), step counters and beta powers.
OPTIMIZER_VARIABLE = re.compile(
    r"(/adam_[mv]$|/Adam(_\d+)?$|(^|/)global_step$|(^|/)beta[12]_power$|(^|/)_CHECKPOINTABLE_)"
)


class CheckpointError(InputError):
    """A checkpoint that is missing, truncated, or does not fit the model."""


def resolve_checkpoint(path):
    """Returns the checkpoint prefix for a prefix, a `.index` file or a folder.

    A folder is searched for a `checkpoint` state file, then for `bert_model.ckpt`,
    then for a single `*.index`.

    Raises:
        FileNotFoundError: nothing there; the message lists what was looked for.
    """
    path = pathlib.Path(path)
    if path.suffix == ".index" and path.is_file():
        return str(path.with_suffix(""))
    if path.is_dir():
        latest = tf.train.latest_checkpoint(str(path))
        if latest and pathlib.Path(latest + ".index").is_file():
            return latest
        if (path / f"{CHECKPOINT_NAME}.index").is_file():
            return str(path / CHECKPOINT_NAME)
        indexes = sorted(path.glob("*.index"))
        if len(indexes) == 1:
            return str(indexes[0].with_suffix(""))
        raise MissingFileError(
            f"no checkpoint in {path}: expected {CHECKPOINT_NAME}.index and "
            f"{CHECKPOINT_NAME}.data-00000-of-00001 (found {len(indexes)} *.index files)"
        )
    if pathlib.Path(str(path) + ".index").is_file():
        return str(path)
    raise MissingFileError(
        f"checkpoint not found: {path} (expected {path}.index and {path}.data-* files, "
        f"or a folder holding {CHECKPOINT_NAME}.*)"
    )


class CheckpointReader:
    """Reads a Google-format checkpoint by variable name, with errors that name it.

    Args:
        path: a checkpoint prefix, its `.index` file, or the folder holding it.
    """

    def __init__(self, path):
        self.path = resolve_checkpoint(path)
        try:
            self._reader = tf.train.load_checkpoint(self.path)
        except (tf.errors.OpError, ValueError) as error:
            raise CheckpointError(
                f"cannot read checkpoint {self.path}: {_first_line(error)} (is it a TF "
                f"checkpoint, and are its .index and .data files complete?)"
            ) from None
        self.shapes = {
            name: tuple(shape) for name, shape in self._reader.get_variable_to_shape_map().items()
        }

    def __contains__(self, name):
        return name in self.shapes

    def names(self):
        return sorted(self.shapes)

    def read(self, name):
        """The value of variable `name` as a numpy array.

        Raises:
            KeyError: no such variable.
            CheckpointError: the data file is truncated or corrupt.
        """
        if name not in self.shapes:
            raise KeyError(f"{name} is not in checkpoint {self.path}")
        try:
            return np.asarray(self._reader.get_tensor(name))
        except (tf.errors.OpError, IndexError, ValueError) as error:  # IndexError: short read
            raise CheckpointError(
                f"checkpoint {self.path}: cannot read variable {name}: {_first_line(error)} "
                f"(the .data file may be truncated)"
            ) from None


def write_checkpoint(prefix, tensors):
    """Writes `{name: array}` as a TF checkpoint Google's code reads by those names.

    Also writes the `checkpoint` state file beside it, so the folder can be passed
    wherever a checkpoint is expected. Each file appears whole or not at all: the
    checkpoint is written in a temporary folder beside, its files then renamed.

    Args:
        prefix: path prefix, e.g. `out_dir/bert_model.ckpt`.
        tensors: mapping from variable name to array.

    Returns:
        The prefix, as a str.
    """
    prefix = pathlib.Path(prefix)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    names = sorted(tensors)
    with tempfile.TemporaryDirectory(dir=prefix.parent, prefix=f".{prefix.name}.") as temporary:
        tf.raw_ops.SaveV2(
            prefix=str(pathlib.Path(temporary) / prefix.name),
            tensor_names=names,
            shape_and_slices=[""] * len(names),
            tensors=[tf.convert_to_tensor(np.asarray(tensors[n])) for n in names],
        )
        for written in pathlib.Path(temporary).iterdir():
            os.replace(written, prefix.parent / written.name)
    state = f'model_checkpoint_path: "{prefix.name}"\nall_model_checkpoint_paths: "{prefix.name}"\n'
    atomic_write_text(prefix.parent / "checkpoint", state)
    return str(prefix)


def _first_line(error):
    message = getattr(error, "message", None) or str(error)
    return message.strip().splitlines()[0] if message.strip() else type(error).__name__
