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
"""

import dataclasses
import importlib
import json
import pathlib
import shutil
import zipfile

import keras
import tensorflow as tf

from tf_ner.bert.checkpoint import load_bert_checkpoint, save_bert_checkpoint
from tf_ner.bert.checkpoint_io import CHECKPOINT_NAME
from tf_ner.bert.config import BertConfig
from tf_ner.bert.tokenization import Tokenizer
from tf_ner.ground.errors import InputError, MissingFileError
from tf_ner.ground.files import atomic_dir, atomic_path, atomic_write_text
from tf_ner.tasks import TASKS

SETTINGS_FILE = "task.json"
CONFIG_FILE = "bert_config.json"
VOCAB_FILE = "vocab.txt"
MODEL_FILE = "model.keras"
SAVED_MODEL_DIR = "saved_model"


def write_folder(task, model, folder, bert_config, vocab_file):
    """Writes the trained model's folder: what `load` reads, and for a task that keeps
    its model, a SavedModel for serving (`export_saved_model`)."""
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


def load_model(task, folder):
    """The trained model of a folder, for inference.

    A kept model is read from `model.keras` without its optimizer or compiled loss:
    inference needs neither, and leaving them out keeps loading fast and independent
    of the training state (`keras.models.load_model(path)` after
    `import tf_ner.keras_objects` restores them too, e.g. to train further). Other
    tasks' models are built and given the checkpoint (`Task.inference_model`).
    """
    folder = pathlib.Path(folder)
    if not task.saves_model:
        model = task.build_model(BertConfig.from_json_file(folder / CONFIG_FILE))
        load_bert_checkpoint(model, folder)
        return task.inference_model(model)
    path = folder / MODEL_FILE
    if not path.is_file():
        raise MissingFileError(f"{path} not found: is {folder} a trained tf_ner model folder?")
    register_named_modules(path)
    return keras.models.load_model(path, compile=False)


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


def load(model_dir):
    """The predictor of a model folder, for whichever task it holds.

    Args:
        model_dir: a folder written by `tf-ner train` (or `tf-ner pretrain`).

    Returns:
        The task's predictor: a `Recognizer` for NER, a `TextClassifier` for
        classification, a `MaskFiller` for a pre-trained encoder.

    Raises:
        MissingFileError: a file of the folder is missing (named).
    """
    model_dir = pathlib.Path(model_dir)
    task = read_task(model_dir)
    do_lower_case = getattr(task.settings, "do_lower_case", None)
    tokenizer = Tokenizer(model_dir / VOCAB_FILE, do_lower_case=do_lower_case)
    return task.predictor(load_model(task, model_dir), tokenizer)
