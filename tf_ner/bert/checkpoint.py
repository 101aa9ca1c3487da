"""Loading Google-format checkpoints into the Keras encoder, re-initialising chosen parts.

Re-initialising the pooler and the top L encoder layers before fine-tuning helps on
small data ("Revisiting Few-sample BERT Fine-tuning", Zhang et al., ICLR 2021, sec. 5).
"""

import dataclasses
import logging
import re

import numpy as np

from tf_ner.bert.checkpoint_io import OPTIMIZER_VARIABLE, CheckpointError, CheckpointReader
from tf_ner.ground.errors import SettingsError

logger = logging.getLogger(__name__)

LAYER_PATTERN = re.compile(r"(?:^|/)bert/encoder/layer_(\d+)/")
POOLER_PREFIX = "bert/pooler/"
# The encoder proper: a model that has these but the checkpoint lacks them was built
# from a config that does not match the checkpoint.
REQUIRED_PREFIXES = ("bert/embeddings/", "bert/encoder/")


def variable_name(variable):
    """A variable's checkpoint name: Keras 3 `path`, or a TF1 name without `:0`."""
    name = getattr(variable, "path", None) or variable.name
    return name[:-2] if name.endswith(":0") else name


def layer_index(name):
    """The encoder layer index in a variable name, or None."""
    match = LAYER_PATTERN.search(name)
    return int(match.group(1)) if match else None


def reinit_selector(names, reinit_top_layers=0, reinit_pooler=False):
    """A predicate over variable names that picks the variables to re-initialise.

    Args:
        names: every variable name of the model (to count its encoder layers).
        reinit_top_layers: int L, the top L encoder layers.
        reinit_pooler: bool, `bert/pooler/*`.

    Raises:
        ValueError: L negative or larger than the number of encoder layers.
    """
    num_layers = 1 + max((i for i in map(layer_index, names) if i is not None), default=-1)
    if not 0 <= reinit_top_layers <= num_layers:
        raise SettingsError(
            f"reinit_top_layers={reinit_top_layers}, but the model has {num_layers} encoder "
            f"layers; expected 0 <= reinit_top_layers <= {num_layers}"
        )
    first = num_layers - reinit_top_layers

    def selected(name):
        index = layer_index(name)
        if index is not None and index >= first:
            return True
        return reinit_pooler and name.startswith(POOLER_PREFIX)

    return selected


def initial_value(name, shape, initializer_range, rng):
    """Google's initialisation for a BERT variable: LayerNorm 1/0, biases 0, the rest
    truncated normal (stddev `initializer_range`, cut at two stddevs)."""
    if name.endswith("LayerNorm/gamma"):
        return np.ones(shape, np.float32)
    if name.rsplit("/", 1)[-1] in ("beta", "bias", "output_bias"):
        return np.zeros(shape, np.float32)
    values = rng.standard_normal(shape)
    while True:
        outside = np.abs(values) > 2
        if not outside.any():
            break
        values[outside] = rng.standard_normal(int(outside.sum()))
    return (values * initializer_range).astype(np.float32)


@dataclasses.dataclass
class LoadReport:
    """What `load_bert_checkpoint` did with each variable (names, sorted)."""

    checkpoint: str
    loaded: list
    reinitialized: list
    missing: list
    unused: list
    optimizer_slots: list

    def __str__(self):
        return (
            f"checkpoint {self.checkpoint}: {len(self.loaded)} loaded, "
            f"{len(self.reinitialized)} re-initialised, {len(self.missing)} left at init "
            f"(not in checkpoint), {len(self.unused)} unused (not in model), "
            f"{len(self.optimizer_slots)} optimizer variables ignored"
        )


def load_bert_checkpoint(
    model,
    ckpt_path,
    reinit_top_layers=0,
    reinit_pooler=False,
    seed=None,
    initializer_range=None,
    strict=True,
):
    """Assigns a Google-format checkpoint to a Keras model's variables by name.

    Args:
        model: a `keras.Model` or layer whose variable paths are Google names
            (`tf_ner.bert.build_bert`, or any model containing its `BertEncoder`).
        ckpt_path: checkpoint prefix, `.index` file or the folder holding it.
        reinit_top_layers: int, re-initialise the top L encoder layers.
        reinit_pooler: bool, re-initialise `bert/pooler`.
        seed: int or None, seed of the re-initialisation.
        initializer_range: stddev of the truncated-normal re-initialisation; default
            the encoder's `BertConfig.initializer_range` (0.02 if none is found).
        strict: bool, raise when an embeddings/encoder variable of the model is
            missing from the checkpoint (a config that does not match it).

    Returns:
        `LoadReport` with `.loaded`, `.reinitialized`, `.missing` (in the model, not in
        the checkpoint: left at their initial value), `.unused` (in the checkpoint, not
        in the model) and `.optimizer_slots` (Adam slots and step counters, ignored).

    Raises:
        FileNotFoundError: no checkpoint at `ckpt_path`.
        CheckpointError: a shape mismatch (names the variable and both shapes), a
            missing encoder variable under `strict`, or an unreadable checkpoint.
        ValueError: `reinit_top_layers` larger than the number of layers.
    """
    reader = CheckpointReader(ckpt_path)
    variables = {variable_name(v): v for v in model.weights}
    selected = reinit_selector(variables, reinit_top_layers, reinit_pooler)
    if initializer_range is None:
        initializer_range = _initializer_range(model)
    rng = np.random.default_rng(seed)
    loaded, reinitialized, missing = [], [], []
    for name in sorted(variables):
        variable = variables[name]
        shape = tuple(variable.shape)
        if selected(name):
            variable.assign(initial_value(name, shape, initializer_range, rng))
            reinitialized.append(name)
        elif name in reader:
            if reader.shapes[name] != shape:
                raise CheckpointError(
                    f"{name}: the model has shape {shape}, checkpoint {reader.path} has "
                    f"{reader.shapes[name]}; does bert_config.json match the checkpoint?"
                )
            variable.assign(reader.read(name).astype(variable.dtype))
            loaded.append(name)
        else:
            missing.append(name)
    if strict:
        absent = [n for n in missing if n.startswith(REQUIRED_PREFIXES)]
        if absent:
            raise CheckpointError(
                f"checkpoint {reader.path} lacks {len(absent)} encoder variable(s) of the "
                f"model, e.g. {absent[0]}; does bert_config.json (num_hidden_layers) match "
                f"the checkpoint? Pass strict=False to leave them at init."
            )
    optimizer_slots = [n for n in reader.names() if OPTIMIZER_VARIABLE.search(n)]
    unused = [n for n in reader.names() if n not in variables and n not in optimizer_slots]
    report = LoadReport(reader.path, loaded, reinitialized, missing, unused, optimizer_slots)
    _log(report, variables)
    return report


def _initializer_range(model):
    from tf_ner.bert.modeling import BertEncoder

    stack = [model]
    while stack:
        layer = stack.pop()
        if isinstance(layer, BertEncoder):
            return layer.config.initializer_range
        stack.extend(getattr(layer, "layers", []))
    return 0.02


def _log(report, variables):
    status = {n: "*INIT_FROM_CKPT*" for n in report.loaded}
    status.update({n: "*REINITIALIZED*" for n in report.reinitialized})
    for name in sorted(variables):
        logger.info(
            "  name = %s, shape = %s %s", name, tuple(variables[name].shape), status.get(name, "")
        )
    logger.info("%s", report)
    if report.missing:
        logger.info("left at init: %s", ", ".join(report.missing))
    if report.unused:
        logger.info("in checkpoint but not in model: %s", ", ".join(report.unused))


def save_bert_checkpoint(model, ckpt_path, prefixes=("bert/", "cls/")):
    """Writes the model's BERT variables as a Google-format checkpoint.

    Args:
        model: a Keras model or layer with Google-named variables.
        ckpt_path: checkpoint prefix, e.g. `out_dir/bert_model.ckpt`.
        prefixes: which variable names to write (heads are left out by default).

    Returns:
        The names written.
    """
    from tf_ner.bert.checkpoint_io import write_checkpoint

    tensors = {
        variable_name(v): np.asarray(v.numpy() if hasattr(v, "numpy") else v)
        for v in model.weights
        if variable_name(v).startswith(tuple(prefixes))
    }
    write_checkpoint(ckpt_path, tensors)
    return sorted(tensors)
