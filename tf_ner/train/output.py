"""The self-contained model folder: atomic writes, the folder guard, export."""

import contextlib
import json
import os
import pathlib
import shutil
import tempfile

import keras
import tensorflow as tf

from tf_ner.bert.checkpoint import save_bert_checkpoint
from tf_ner.bert.checkpoint_io import CHECKPOINT_NAME

MODEL_FILE = "model.keras"
CONFIG_FILE = "train_config.json"
SAVED_MODEL_DIR = "saved_model"


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path beside `path`; renames it onto `path` if the block succeeds."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The temporary name keeps the whole suffix: Keras insists on ".weights.h5", ".keras".
    suffix = "".join(path.suffixes)
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name[: -len(suffix) or None]}.", suffix=suffix
    )
    os.close(handle)
    os.chmod(temporary, 0o644)  # mkstemp makes 0600; results are for everyone to read
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def atomic_write_text(path, text):
    with atomic_path(path) as temporary:
        pathlib.Path(temporary).write_text(text, encoding="utf-8")


def atomic_save_weights(model, path):
    with atomic_path(path) as temporary:
        model.save_weights(temporary, overwrite=True)


def check_output_dir(output_dir, config):
    """Refuses a folder that holds another run; returns True when resuming this run.

    A folder whose `train_config.json` equals `config` is this run (killed, or done):
    training resumes from its backup. Any other non-empty folder is an error.

    Raises:
        ValueError: the folder holds another model or unrelated files.
    """
    output_dir = pathlib.Path(output_dir)
    if not output_dir.exists() or not any(output_dir.iterdir()):
        return False
    saved = output_dir / CONFIG_FILE
    if not saved.is_file():
        raise ValueError(
            f"output dir {output_dir} is not empty and holds no {CONFIG_FILE}: choose an empty "
            f"or new folder"
        )
    from tf_ner.train.config import TrainConfig

    previous = TrainConfig.from_dict(json.loads(saved.read_text(encoding="utf-8")))
    differences = config.differences(previous)
    if differences:
        listed = ", ".join(
            f"{k}: {theirs!r} there, {ours!r} now" for k, ours, theirs in differences
        )
        raise ValueError(
            f"output dir {output_dir} holds another model ({listed}); choose another folder or "
            f"delete it"
        )
    return True


def save_model_folder(model, output_dir, bert_config, vocab_file, settings):
    """Writes everything `Recognizer.load` needs, and the encoder as a Google checkpoint."""
    output_dir = pathlib.Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(output_dir / "bert_config.json", bert_config.to_json_string())
    if pathlib.Path(vocab_file).resolve() != (output_dir / "vocab.txt").resolve():
        with atomic_path(output_dir / "vocab.txt") as temporary:
            shutil.copyfile(vocab_file, temporary)
    settings.save(output_dir)
    with atomic_path(output_dir / MODEL_FILE) as temporary:
        model.save(temporary)
    save_bert_checkpoint(model, output_dir / CHECKPOINT_NAME, prefixes=("bert/",))


def export_saved_model(model, settings, path):
    """A TensorFlow SavedModel with a `serving_default` signature, loadable without tf_ner.

    Inputs: `token_ids`, `segment_ids` int32 `[batch, length]` ([CLS] ... [SEP], 0-padded).
    Outputs: `tags` int32 `[batch, length]` (CRF: in-graph Viterbi; softmax: argmax) or
    `logits` `[batch, types, length, length]` (GlobalPointer heads; a span is an entity
    where its logit is > 0).
    """
    spec = tf.TensorSpec([None, None], tf.int32)

    @tf.function(input_signature=[spec, spec])
    def serve(token_ids, segment_ids):
        outputs = model({"token_ids": token_ids, "segment_ids": segment_ids}, training=False)
        if settings.head == "crf":
            return {"tags": tf.cast(outputs["tags"], tf.int32)}
        if settings.head == "softmax":
            tags = tf.argmax(outputs, axis=-1, output_type=tf.int32)
            return {"tags": tf.where(tf.not_equal(token_ids, 0), tags, 0)}
        return {"logits": tf.cast(outputs, tf.float32)}

    module = tf.Module()
    module.model_variables = list(model.variables)
    module.serve = serve
    with atomic_dir(path) as temporary:
        tf.saved_model.save(module, temporary, signatures={"serving_default": serve})


@contextlib.contextmanager
def atomic_dir(path):
    """Like `atomic_path` for a folder: the old folder is replaced only on success."""
    path = pathlib.Path(path)
    temporary = pathlib.Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    try:
        yield str(temporary)
        if path.exists():
            shutil.rmtree(path)
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            shutil.rmtree(temporary)


def load_model_file(output_dir):
    """The model of a folder, for inference: without its optimizer or compiled loss.

    Inference needs neither, and leaving them out keeps loading fast and independent of
    the training state (`keras.models.load_model(path)` after `import tf_ner` restores
    them too, e.g. to train further).
    """
    path = pathlib.Path(output_dir) / MODEL_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: is {output_dir} a trained tf_ner model folder?")
    return keras.models.load_model(path, compile=False)
