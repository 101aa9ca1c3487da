"""The run's side of the model folder: the folder guard, weight backups, SavedModel export."""

import json
import pathlib

import tensorflow as tf

from tf_ner.files import atomic_dir, atomic_path

CONFIG_FILE = "train_config.json"
SAVED_MODEL_DIR = "saved_model"


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
    previous = type(config).from_dict(json.loads(saved.read_text(encoding="utf-8")))
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
