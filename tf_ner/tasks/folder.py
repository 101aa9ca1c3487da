"""The model folder: what `tf-ner train` writes and every loader reads.

A folder holds `task.json` (the task and its settings), `bert_config.json`,
`vocab.txt`, `model.keras` (the whole Keras model, optimizer included) and the encoder
as a Google checkpoint (`bert_model.ckpt.*`) and a TensorFlow SavedModel
(`saved_model/`), besides the training run's logs.
"""

import pathlib
import shutil

import keras
import tensorflow as tf

from tf_ner.bert.checkpoint import save_bert_checkpoint
from tf_ner.bert.checkpoint_io import CHECKPOINT_NAME
from tf_ner.bert.tokenization import Tokenizer
from tf_ner.files import atomic_dir, atomic_path, atomic_write_text
from tf_ner.tasks.base import load_task

MODEL_FILE = "model.keras"
SAVED_MODEL_DIR = "saved_model"


def save_model_folder(model, output_dir, task, bert_config, vocab_file):
    """Writes everything `load` needs, and the encoder as a Google checkpoint."""
    save_checkpoint_folder(model, output_dir, task, bert_config, vocab_file)
    with atomic_path(pathlib.Path(output_dir) / MODEL_FILE) as temporary:
        model.save(temporary)


def save_checkpoint_folder(model, output_dir, task, bert_config, vocab_file, prefixes=("bert/",)):
    """`bert_config.json`, `vocab.txt`, `task.json` and the model's variables under
    `prefixes` as a Google checkpoint: a `--bert-dir` for any task."""
    output_dir = pathlib.Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(output_dir / "bert_config.json", bert_config.to_json_string())
    if pathlib.Path(vocab_file).resolve() != (output_dir / "vocab.txt").resolve():
        with atomic_path(output_dir / "vocab.txt") as temporary:
            shutil.copyfile(vocab_file, temporary)
    task.save(output_dir)
    save_bert_checkpoint(model, output_dir / CHECKPOINT_NAME, prefixes=prefixes)


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


def load(model_dir):
    """The predictor of a model folder, for whichever task it holds.

    Args:
        model_dir: a folder written by `tf-ner train` (or `tf-ner pretrain`).

    Returns:
        The task's predictor: a `Recognizer` for NER, a `TextClassifier` for
        classification, a `MaskFiller` for a pre-trained encoder.

    Raises:
        FileNotFoundError: a file of the folder is missing (named).
    """
    model_dir = pathlib.Path(model_dir)
    task = load_task(model_dir)
    do_lower_case = getattr(task.settings, "do_lower_case", None)
    tokenizer = Tokenizer(model_dir / "vocab.txt", do_lower_case=do_lower_case)
    return task.predictor(task.load_model(model_dir), tokenizer)
