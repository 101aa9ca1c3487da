"""The TF1 assignment map of Google's `modeling.py`, with re-initialisation filters."""

import collections
import re

from tf_ner.bert.checkpoint import reinit_selector, variable_name
from tf_ner.bert.checkpoint_io import OPTIMIZER_VARIABLE, CheckpointError, CheckpointReader
from tf_ner.ground.errors import SettingsError


def get_assignment_map_from_checkpoint(
    tvars, init_checkpoint, reinit_top_layers=0, reinit_pooler=False, exclude=()
):
    """Maps checkpoint variables onto graph variables of the same name (TF1 graphs).

    A drop-in for Google's function of the same name: pass the result to
    `tf.compat.v1.train.init_from_checkpoint(init_checkpoint, assignment_map)`. The
    variables it leaves out (the top L layers, the pooler, names matching `exclude`)
    keep the fresh values of their own initialisers.

    Args:
        tvars: the graph's variables (`tf.compat.v1.trainable_variables()`).
        init_checkpoint: checkpoint prefix, `.index` file or folder.
        reinit_top_layers: int, leave out the top L encoder layers.
        reinit_pooler: bool, leave out `bert/pooler/*`.
        exclude: regex patterns (`re.search`) of further names to leave out.

    Returns:
        `(assignment_map, initialized_variable_names)`: an ordered dict
        `{checkpoint_name: checkpoint_name}` and a dict holding each mapped name and
        `name + ":0"` (as Google's `run_classifier.py` expects, to log
        `*INIT_FROM_CKPT*`).

    Raises:
        CheckpointError: a mapped variable whose shape differs from the checkpoint's.
        ValueError: `reinit_top_layers` larger than the number of layers, or an
            invalid `exclude` pattern.
    """
    try:
        patterns = [re.compile(p) for p in exclude]
    except re.error as error:
        raise SettingsError(f"exclude: invalid regex {error.pattern!r}: {error}") from None
    variables = collections.OrderedDict((variable_name(v), v) for v in tvars)
    selected = reinit_selector(variables, reinit_top_layers, reinit_pooler)
    reader = CheckpointReader(init_checkpoint)
    assignment_map = collections.OrderedDict()
    initialized_variable_names = {}
    for name in reader.names():
        if name not in variables or OPTIMIZER_VARIABLE.search(name):
            continue
        if selected(name) or any(p.search(name) for p in patterns):
            continue
        shape = tuple(variables[name].shape.as_list())
        if shape != reader.shapes[name]:
            raise CheckpointError(
                f"{name}: the graph has shape {shape}, checkpoint {reader.path} has "
                f"{reader.shapes[name]}; does bert_config.json match the checkpoint?"
            )
        assignment_map[name] = name
        initialized_variable_names[name] = 1
        initialized_variable_names[name + ":0"] = 1
    return assignment_map, initialized_variable_names
