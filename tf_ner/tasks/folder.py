"""The model folder: what `tf-ner train` writes and every loader reads, in one place.

A folder holds `task.json` (the task and its settings), `bert_config.json`,
`vocab.txt` and the encoder as a Google checkpoint (`bert_model.ckpt.*`): a
`--bert-dir` for any task. A task that keeps its whole model (`Task.saves_model`)
adds `model.keras` (the Keras model, optimizer included) and a TensorFlow SavedModel
(`saved_model/`); one that does not (masked LM) is rebuilt from the checkpoint.
Besides these, the training run writes its logs. Every file is written atomically.

Reading a folder registers what it reads: the task's module and its head's (through
their registries) and every `tf_ner` module that `model.keras` names, so that Keras
finds each class without any import by the caller.

Keras and TensorFlow are imported by the functions that write or read the Keras model:
`load` with an ONNX runtime reads a folder without them.
"""

import dataclasses
import importlib
import json
import pathlib
import shutil
import tempfile
import zipfile

from tf_ner.bert.config import BertConfig
from tf_ner.bert.tokenization import Tokenizer
from tf_ner.ground.errors import InputError, MissingFileError
from tf_ner.ground.files import atomic_dir, atomic_path, atomic_write_text
from tf_ner.tasks import TASKS
from tf_ner.tasks.onnx import OnnxModel, convert_to_onnx, file_sha256, quantize_int8

SETTINGS_FILE = "task.json"
CONFIG_FILE = "bert_config.json"
VOCAB_FILE = "vocab.txt"
MODEL_FILE = "model.keras"
SAVED_MODEL_DIR = "saved_model"
# The exported graphs: float32, and dynamically quantised to int8.
ONNX_FILES = {"onnx": "model.onnx", "onnx-int8": "model.int8.onnx"}
RUNTIMES = ("tensorflow", *ONNX_FILES)


def write_folder(task, model, folder, bert_config, vocab_file):
    """Writes the trained model's folder: what `load` reads, and for a task that keeps
    its model, a SavedModel for serving (`export_saved_model`)."""
    from tf_ner.bert.checkpoint import save_bert_checkpoint
    from tf_ner.bert.checkpoint_io import CHECKPOINT_NAME

    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / CONFIG_FILE, bert_config.to_json_string())
    if pathlib.Path(vocab_file).resolve() != (folder / VOCAB_FILE).resolve():
        with atomic_path(folder / VOCAB_FILE) as temporary:
            shutil.copyfile(vocab_file, temporary)
    write_task(task, folder)
    save_bert_checkpoint(model, folder / CHECKPOINT_NAME, prefixes=task.checkpoint_prefixes())
    if task.saves_model:
        with atomic_path(folder / MODEL_FILE) as temporary:
            model.save(temporary)
        export_saved_model(model, task, folder / SAVED_MODEL_DIR)


def write_task(task, folder):
    """`task.json`: the task's name and its settings (`read_task` reads it back)."""
    values = {"task": task.name, "settings": dataclasses.asdict(task.settings)}
    text = json.dumps(values, indent=2, ensure_ascii=False) + "\n"
    atomic_write_text(pathlib.Path(folder) / SETTINGS_FILE, text)


def export_saved_model(model, task, path):
    """A TensorFlow SavedModel with a `serving_default` signature, loadable without tf_ner.

    Inputs: `token_ids`, `segment_ids` int32 `[batch, length]` ([CLS] ... [SEP], 0-padded).
    Outputs: the task's `serving_outputs` (NER: `tags` int32 `[batch, length]` for tag
    heads, `logits` `[batch, types, length, length]` for GlobalPointer heads, where a
    span is an entity if its logit is > 0).
    """
    import tensorflow as tf

    spec = tf.TensorSpec([None, None], tf.int32)

    @tf.function(input_signature=[spec, spec], autograph=False)
    def serve(token_ids, segment_ids):
        features = {"token_ids": token_ids, "segment_ids": segment_ids}
        return task.serving_outputs(model(features, training=False), features)

    module = tf.Module()
    module.model_variables = list(model.variables)
    module.serve = serve
    with atomic_dir(path) as temporary:
        tf.saved_model.save(module, temporary, signatures={"serving_default": serve})


def read_task(folder):
    """The task of a model folder, from its `task.json` (its module imported).

    Raises:
        MissingFileError: no `task.json` (not a model folder).
        SettingsError: an unknown task or setting, named.
    """
    path = pathlib.Path(folder) / SETTINGS_FILE
    if not path.is_file():
        raise MissingFileError(f"{path} not found: is {folder} a tf_ner model folder?")
    values = json.loads(path.read_text(encoding="utf-8"))
    return TASKS.get(values["task"]).from_settings(values["settings"], path)


def load_model(task, folder, float32=False):
    """The trained model of a folder, for inference.

    A kept model is read from `model.keras` without its optimizer or compiled loss:
    inference needs neither, and leaving them out keeps loading fast and independent
    of the training state (`keras.models.load_model(path)` after
    `import tf_ner.keras_objects` restores them too, e.g. to train further). Other
    tasks' models are built and given the checkpoint (`Task.inference_model`).

    Args:
        float32: compute in float32 a model trained under a mixed-precision policy
            (its variables are float32 either way).
    """
    import keras

    from tf_ner.bert.checkpoint import load_bert_checkpoint

    folder = pathlib.Path(folder)
    if not task.saves_model:
        model = task.build_model(BertConfig.from_json_file(folder / CONFIG_FILE))
        load_bert_checkpoint(model, folder)
        return task.inference_model(model)
    path = folder / MODEL_FILE
    if not path.is_file():
        raise MissingFileError(f"{path} not found: is {folder} a trained tf_ner model folder?")
    register_named_modules(path)
    if not float32:
        return keras.models.load_model(path, compile=False)
    with tempfile.TemporaryDirectory() as directory:
        return keras.models.load_model(float32_copy(path, directory), compile=False)


def float32_copy(path, directory):
    """A copy in `directory` of the `.keras` file `path` whose mixed-precision dtype
    policies are float32 (`path` itself when it has none)."""
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
        if not _policies_to_float32(config):
            return path
        copy = pathlib.Path(directory) / MODEL_FILE
        with zipfile.ZipFile(copy, "w") as out:
            for item in archive.infolist():
                changed = item.filename == "config.json"
                out.writestr(item, json.dumps(config) if changed else archive.read(item))
    return copy


def _policies_to_float32(config):
    """Sets every mixed-precision `DTypePolicy` in a Keras config to float32; how many."""
    changed = 0
    if isinstance(config, dict):
        inner = config.get("config")
        if config.get("class_name") == "DTypePolicy" and inner["name"].startswith("mixed_"):
            inner["name"] = "float32"
            changed += 1
        values = config.values()
    else:
        values = config if isinstance(config, list) else ()
    return changed + sum(_policies_to_float32(value) for value in values)


def register_named_modules(path):
    """Imports each `tf_ner` module that a `.keras` file names as a class's home, so
    that Keras finds the class (only modules of this package are imported).

    Raises:
        InputError: a module this version of tf_ner does not have.
    """
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
    modules = {module for module, _ in named_classes(config) if module.startswith("tf_ner.")}
    for module in sorted(modules):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError:
            raise InputError(
                f"{path} holds a class of {module}, which this version of tf_ner does not "
                f"have: was it written by another version?"
            ) from None


def named_classes(config):
    """`(module, registered name)` of every registered class a Keras config names."""
    if isinstance(config, dict):
        module, name = config.get("module"), config.get("registered_name")
        if isinstance(module, str) and isinstance(name, str):
            yield module, name
        for value in config.values():
            yield from named_classes(value)
    elif isinstance(config, list):
        for value in config:
            yield from named_classes(value)


def read_tokenizer(model_dir, task):
    """The folder's tokenizer, reading text as training did (the casing and `fold_width`
    its task recorded; a folder written before `fold_width` does not fold)."""
    return Tokenizer(
        pathlib.Path(model_dir) / VOCAB_FILE,
        do_lower_case=getattr(task.settings, "do_lower_case", None),
        fold_width=getattr(task.settings, "fold_width", False),
    )


def load(model_dir, runtime="tensorflow", threads=None):
    """The predictor of a model folder, for whichever task it holds.

    Args:
        model_dir: a folder written by `tf-ner train` (or `tf-ner pretrain`).
        runtime: `"tensorflow"`; `"onnx"`: the folder's `model.onnx` (written by
            `tf-ner export --format onnx`, `export_onnx`) run by ONNX Runtime;
            `"onnx-int8"`: its int8 version `model.int8.onnx` (`--format onnx-int8`).
            An ONNX predictor predicts (NER and classification) but does not evaluate,
            and neither it nor this call imports TensorFlow or Keras; it reads
            `task.json`, `vocab.txt` and the graph alone (with `model.keras` there, the
            graph must have been exported from it).
        threads: ONNX Runtime's threads (None: its default).

    Returns:
        The task's predictor: a `Recognizer` for NER, a `TextClassifier` for
        classification, a `MaskFiller` for a pre-trained encoder.

    Raises:
        MissingFileError: a file of the folder is missing (named).
        InputError: an unknown runtime, or an ONNX graph of another model.
    """
    if runtime not in RUNTIMES:
        raise InputError(f"runtime {runtime!r}: expected one of {', '.join(RUNTIMES)}")
    model_dir = pathlib.Path(model_dir)
    task = read_task(model_dir)
    tokenizer = read_tokenizer(model_dir, task)
    if runtime in ONNX_FILES:
        path = model_dir / ONNX_FILES[runtime]
        if not path.is_file():
            raise MissingFileError(
                f"{path} not found: write it with tf-ner export --model {model_dir} "
                f"--format {runtime}"
            )
        source = model_dir / MODEL_FILE  # absent from a folder copied for serving
        model = OnnxModel(path, source if source.is_file() else None, threads)
        return task.predictor(model, tokenizer)
    return task.predictor(load_model(task, model_dir), tokenizer)


def export_onnx(model_dir, output=None, int8=False):
    """Writes the folder's model as an ONNX graph (`tf_ner.tasks.onnx`), by default in
    the folder, where `load` finds it: in float32 whatever precision it was trained in
    (ONNX Runtime's CPU kernels have no bfloat16 matrix products), as `model.onnx`
    (`runtime="onnx"`); with `int8`, that graph dynamically quantised to int8
    (`quantize_int8`), as `model.int8.onnx` (`runtime="onnx-int8"`).

    Returns:
        The path written.

    Raises:
        InputError: a folder whose task keeps no model (a pre-trained encoder), or the
            optional packages missing.
    """
    model_dir = pathlib.Path(model_dir)
    task = read_task(model_dir)
    if not task.saves_model or task.predictor_class is None:
        raise InputError(
            f"{model_dir} holds a {task.name} folder: only NER and classification models "
            f"export to ONNX"
        )
    model = load_model(task, model_dir, float32=True)
    runtime = "onnx-int8" if int8 else "onnx"
    output = pathlib.Path(output) if output else model_dir / ONNX_FILES[runtime]
    with atomic_path(output) as temporary:
        if not int8:
            convert_to_onnx(model, temporary, file_sha256(model_dir / MODEL_FILE))
        else:
            with tempfile.TemporaryDirectory() as work:
                float_path = pathlib.Path(work) / ONNX_FILES["onnx"]
                convert_to_onnx(model, float_path, file_sha256(model_dir / MODEL_FILE))
                quantize_int8(float_path, temporary)
    return output
