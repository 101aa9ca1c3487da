"""The run's side of the model folder: the folder guard and weight backups."""

import json
import pathlib

from tf_ner.ground.errors import SettingsError
from tf_ner.ground.files import atomic_path

CONFIG_FILE = "train_config.json"


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
        raise SettingsError(
            f"output dir {output_dir} is not empty and holds no {CONFIG_FILE}: choose an empty "
            f"or new folder"
        )
    previous = type(config).from_dict(json.loads(saved.read_text(encoding="utf-8")))
    differences = config.differences(previous)
    if differences:
        listed = ", ".join(
            f"{k}: {theirs!r} there, {ours!r} now" for k, ours, theirs in differences
        )
        raise SettingsError(
            f"output dir {output_dir} holds another model ({listed}); choose another folder or "
            f"delete it"
        )
    return True
