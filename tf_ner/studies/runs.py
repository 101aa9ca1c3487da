"""The runs of a stability study: each a normal `train` in its own folder, read back.

Runs are trained in this process, one after the other: a subprocess per run would pay
the TensorFlow import (about 7 s) each time, a large part of a few-sample run. Between
runs Keras's session is cleared, garbage collected, and the global dtype policy (which a
`--mixed-precision` setting changes) restored, so a run does not depend on the one
before it beyond what `train` itself seeds (`keras.utils.set_random_seed(seed)`).
"""

import contextlib
import csv
import dataclasses
import gc
import json
import pathlib
import shutil

FINISHED_FILE = "train_summary.json"  # `train` writes it after the final scores


@dataclasses.dataclass
class RunRecord:
    """What a finished run left in its folder.

    Attributes:
        setting: str, the setting's name.
        seed: int.
        flags: str, the setting's flags.
        folder: str, the run's folder.
        scores: dict, the final scores by split (`"test"`, `"dev"`): the task's overall
            scores (floats) from `<split>_scores.json`.
        steps: int, optimizer steps taken.
        seconds: float, training seconds (`train_summary.json`).
        loss_steps: list of ints, the steps of the loss curve (`train_steps.csv`).
        losses: list of floats, the loss of each row.
    """

    setting: str
    seed: int
    flags: str
    folder: str
    scores: dict
    steps: int
    seconds: float
    loss_steps: list
    losses: list


def run_folder(study_dir, setting, seed):
    """`<study_dir>/runs/<setting>/seed-<seed>`."""
    return pathlib.Path(study_dir) / "runs" / setting / f"seed-{seed}"


def is_finished(folder):
    return (pathlib.Path(folder) / FINISHED_FILE).is_file()


def latest_attempt(rows):
    """The loss rows of the attempt that finished, from the rows in file order.

    A killed run appends again when it resumes, from its last backup (or from step 1
    when it restarts): a row whose step is not after the previous row's starts a new
    attempt, which replaces the earlier rows from that step on.

    Args:
        rows: list of `(step, loss)`.

    Returns:
        list of `(step, loss)`, steps increasing.
    """
    kept = []
    for step, loss in rows:
        while kept and kept[-1][0] >= step:
            kept.pop()
        kept.append((step, loss))
    return kept


def read_loss_curve(path):
    """`(steps, losses)` of a `train_steps.csv` (see `StepLossLog`); empty if none."""
    path = pathlib.Path(path)
    if not path.is_file():
        return [], []
    with path.open(encoding="utf-8") as f:
        rows = [(int(r["step"]), float(r["loss"])) for r in csv.DictReader(f)]
    rows = latest_attempt(rows)
    return [s for s, _ in rows], [v for _, v in rows]


def _overall(path):
    """The floats among a scores file's overall scores, or None without the file."""
    if not path.is_file():
        return None
    values = json.loads(path.read_text(encoding="utf-8"))
    values = values.get("overall", values)
    return {k: v for k, v in values.items() if isinstance(v, float)}


def read_run(folder, setting, seed, flags):
    """The `RunRecord` of a finished run's folder."""
    folder = pathlib.Path(folder)
    summary = json.loads((folder / FINISHED_FILE).read_text(encoding="utf-8"))
    scores = {}
    for split in ("test", "dev"):
        found = _overall(folder / f"{split}_scores.json")
        if found is not None:
            scores[split] = found
    loss_steps, losses = read_loss_curve(folder / "train_steps.csv")
    return RunRecord(
        setting, seed, flags, str(folder), scores, int(summary["steps"]),
        float(summary["training_seconds"]), loss_steps, losses,
    )  # fmt: skip


def prepare_folder(config):
    """Makes a run's folder ready for `train`: True when it resumes a killed run.

    A folder of another run is refused (`check_output_dir`). A killed run with a backup
    (`BackupAndRestore` writes one at each epoch's end) resumes from it; one killed
    before its first backup, or after its last (while evaluating), is deleted so that it
    restarts cleanly rather than mixing two attempts.
    """
    from tf_ner.train.output import check_output_dir

    folder = pathlib.Path(config.output_dir)
    if not check_output_dir(folder, config):
        return False
    if (folder / "backup").is_dir():
        return True
    shutil.rmtree(folder)
    return False


def train_run(config, log_path):
    """Trains one run in this process, its output appended to `log_path`.

    Args:
        config: the run's `TrainConfig`.
        log_path: str or path-like, the run's log (what `tf-ner train` would print).

    Returns:
        `TrainResult` without its model.
    """
    import keras

    from tf_ner.train.loop import train

    log_path = pathlib.Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    policy = keras.mixed_precision.global_policy()
    try:
        with log_path.open("a", encoding="utf-8") as log, contextlib.redirect_stdout(log):
            result = train(config)
        result.model = None
        return result
    finally:
        keras.mixed_precision.set_global_policy(policy)
        keras.backend.clear_session()
        gc.collect()
