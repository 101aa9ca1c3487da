"""`run_study`: K seeds × a grid of settings on one training subset, and its report.

The study folder holds `study.json` (what the study is), the training subset, one
`tf-ner train` folder per run (`runs/<setting>/seed-<k>/`, its output in
`runs/<setting>/seed-<k>.log`), and the report: `results.json`, `report.md`,
`scores.png`, `loss.png`, written again after every run so that a partial study reads.

Run again, a study trains only what is missing: a finished run (its folder has its final
scores) is read back, a killed one resumes. It refuses a folder holding a study of other
base settings, subset or grid, naming the difference; the seeds may change (more seeds
extend a study; the report covers the seeds asked for).
"""

import dataclasses
import json
import pathlib
import sys

from tf_ner.ground.errors import SettingsError
from tf_ner.ground.files import atomic_write_text
from tf_ner.studies import plots, runs
from tf_ner.studies.grid import (
    Setting,
    check_grid,
    check_seeds,
    parse_setting,
    setting_config,
)
from tf_ner.studies.report import format_report, study_results
from tf_ner.studies.subset import draw_subset, write_subset
from tf_ner.tasks import TASKS
from tf_ner.train.config import TrainConfig

STUDY_FILE = "study.json"
SUBSET_STEM = "train-subset"
# Base settings the study sets per run: they may differ between invocations.
_PER_RUN = ("output_dir", "seed")


@dataclasses.dataclass
class StudyResult:
    """What `run_study` did.

    Attributes:
        output_dir: str, the study folder.
        results: dict, the content of `results.json`.
        trained: int, runs trained (or resumed) by this call.
        reused: int, finished runs read back.
    """

    output_dir: str
    results: dict
    trained: int
    reused: int


def study_differences(previous, current):
    """What differs between two `study.json` contents (base, subset, grid), as phrases."""
    found = []
    before = TrainConfig.from_dict(previous["base"])
    now = TrainConfig.from_dict(current["base"])
    for name, ours, theirs in now.differences(before):
        if name not in _PER_RUN:
            found.append(f"base setting {name}: {theirs!r} there, {ours!r} now")
    for key in ("size", "seed"):
        if previous["subset"][key] != current["subset"][key]:
            found.append(
                f"subset {key}: {previous['subset'][key]!r} there, {current['subset'][key]!r} now"
            )
    old = {s["name"]: s["flags"] for s in previous["settings"]}
    new = {s["name"]: s["flags"] for s in current["settings"]}
    for name in sorted(old.keys() - new.keys()):
        found.append(f"setting {name!r} ({old[name] or 'no flags'}) there, not now")
    for name in sorted(new.keys() - old.keys()):
        found.append(f"setting {name!r} ({new[name] or 'no flags'}) now, not there")
    for name in sorted(old.keys() & new.keys()):
        if old[name] != new[name]:
            found.append(f"setting {name!r}: flags {old[name]!r} there, {new[name]!r} now")
    return found


def _check_study_file(study_dir, description):
    path = study_dir / STUDY_FILE
    if path.is_file():
        try:
            differences = study_differences(
                json.loads(path.read_text(encoding="utf-8")), description
            )
        except SettingsError as error:
            raise SettingsError(
                f"{path} cannot be read as a study of this version of tf_ner ({error}); "
                f"use another --output-dir"
            ) from None
        if differences:
            raise SettingsError(
                f"study folder {study_dir} holds another study ({'; '.join(differences)}); "
                f"use another --output-dir, or delete it"
            )
    elif study_dir.is_dir() and any(study_dir.iterdir()):
        raise SettingsError(
            f"study folder {study_dir} is not empty and holds no {STUDY_FILE}: choose an empty "
            f"or new folder"
        )


def _training_data(task_class, config, subset, subset_seed, study_dir):
    """`(examples, train_file, subset_file)`: the subset drawn, or the whole file."""
    examples, _ = task_class.read(config.train, config.format, config.repair)
    if subset is None:
        return examples, config.train, None
    chosen = draw_subset(examples, subset, subset_seed)
    # Formats are told apart by content; the name only helps people ("auto" writes the
    # task's own format, jsonl for NER and classification).
    suffix = ".jsonl" if config.format == "auto" else pathlib.Path(config.train).suffix
    return chosen, str(study_dir / (SUBSET_STEM + suffix)), chosen


def _write_subset(task_class, config, examples, path):
    """Writes the subset; an existing one must read back as the same examples."""
    path = pathlib.Path(path)
    if path.is_file():
        again, _ = task_class.read(path, config.format, config.repair)
        if list(again) != list(examples):
            raise SettingsError(
                f"{config.train} changed since the study began: the subset drawn from it now "
                f"differs from {path}; use another --output-dir"
            )
        return
    write_subset(task_class, config, examples, path)


def _progress(index, total, record, metric_keys, split, how):
    scores = record.scores.get(split, {})
    shown = ", ".join(
        f"{split} {m} {scores[m]:.4f}" for m in metric_keys if scores.get(m) is not None
    )
    return (
        f"[{index}/{total}] {record.setting} seed {record.seed}: {shown or 'no score'}, "
        f"{record.steps} steps, {record.seconds:.1f}s ({how})"
    )


def write_report(study, records, loss_threshold=None, loss_smoothing=10):
    """Writes `results.json`, `report.md`, `scores.png` and `loss.png`; returns the results."""
    study_dir = pathlib.Path(study["output_dir"])
    results, curves = study_results(study, records, loss_threshold, loss_smoothing)
    atomic_write_text(
        study_dir / "results.json", json.dumps(results, indent=2, ensure_ascii=False) + "\n"
    )
    atomic_write_text(study_dir / "report.md", format_report(results))
    plots.plot_scores(results, study_dir / "scores.png")
    plots.plot_losses(results, curves, study_dir / "loss.png")
    return results


def _plan(config, settings, seeds, study_dir, train_file):
    """`[(setting, seed, TrainConfig)]` of every run, each checked (errors name the setting)."""
    plan = [
        (s, seed, setting_config(config, s, seed, runs.run_folder(study_dir, s.name, seed),
                                 train_file))
        for s in settings for seed in seeds
    ]  # fmt: skip
    if any(run.strategy == "multi-worker" for _, _, run in plan):
        # A process sets up its collective ops once: runs one after another cannot.
        raise SettingsError(
            "--strategy multi-worker: a study trains its runs one after another in one "
            "process; run it on one machine (auto, default or mirrored)"
        )
    return plan


def _run_all(study, plan, stream, loss_threshold, loss_smoothing):
    """Trains (or reads back) every run, the report written after each one trained."""
    split, metrics = study["split"], study["metrics"]
    records, trained = [], 0
    for index, (setting, seed, run_config) in enumerate(plan, 1):
        folder = pathlib.Path(run_config.output_dir)
        if runs.is_finished(folder):
            from tf_ner.train.output import check_output_dir

            check_output_dir(folder, run_config)  # a folder of another run is refused
            how = "finished before"
        else:
            log = folder.parent / f"{folder.name}.log"
            how = "resumed" if runs.prepare_folder(run_config) else "trained"
            try:
                runs.train_run(run_config, log)
            except Exception:
                print(f"run {setting.name} seed {seed} stopped; its output: {log}", file=stream)
                raise
            trained += 1
        records.append(runs.read_run(folder, setting.name, seed, setting.flags))
        print(_progress(index, len(plan), records[-1], metrics, split, how), file=stream,
              flush=True)  # fmt: skip
        if how != "finished before":
            write_report(study, records, loss_threshold, loss_smoothing)
    return records, trained


def run_study(
    config, settings=None, seeds=(1, 2, 3, 4, 5), subset=None, subset_seed=0,
    loss_threshold=None, loss_smoothing=10, command=None, stream=None,
):  # fmt: skip
    """Trains every setting with every seed on one training subset; writes the report.

    Args:
        config: `TrainConfig`, the base settings; `output_dir` is the study folder, and
            `seed` is unused (each run has its own).
        settings: iterable of `Setting`, or of `"NAME=FLAGS"` strings; default one
            setting, `base`, with no flags.
        seeds: iterable of ints, the seeds of each setting.
        subset: int, the number of training examples drawn (once, with `subset_seed`)
            for every run; None: the whole training file.
        subset_seed: int.
        loss_threshold: float, or None for the default (see `report.md`).
        loss_smoothing: int, the steps over which the training loss is smoothed.
        command: str, the command line, shown in the report.
        stream: where progress lines go (stdout).

    Returns:
        `StudyResult`.

    Raises:
        ValueError: a bad setting (named), subset or seed list; a folder that holds
            another study (the difference named); raised before any run is trained.

    Example:
    ```python
    base = TrainConfig(train="train.txt", test="test.txt", output_dir="runs/stability",
                       bert_dir="checkpoints/bert", epochs=5)
    run_study(base, ["google=--no-bias-correction", "bias-corrected="], seeds=range(1, 11),
              subset=500)
    ```
    """
    stream = stream or sys.stdout
    settings = check_grid(
        parse_setting(s) if isinstance(s, str) else s for s in settings or [Setting("base")]
    )
    seeds = check_seeds(seeds)
    if loss_smoothing < 1:
        raise SettingsError(f"loss_smoothing={loss_smoothing}: expected a positive number of steps")
    study_dir = pathlib.Path(config.output_dir)
    task_class = TASKS.get(config.task)
    split = "test" if config.test else "dev" if config.dev else None
    if split is None:
        raise SettingsError("a study compares test scores: give a --test file (or at least --dev)")
    examples, train_file, subset_examples = _training_data(
        task_class, config, subset, subset_seed, study_dir
    )
    plan = _plan(config, settings, seeds, study_dir, train_file)
    description = {
        "base": dataclasses.asdict(config),
        "subset": {"size": subset, "seed": subset_seed if subset else None},
        "settings": [dataclasses.asdict(s) for s in settings],
        "seeds": list(seeds),
        "command": command,
    }
    _check_study_file(study_dir, description)
    scored, _ = task_class.read(getattr(config, split), config.format, config.repair)
    prediction, trivial = task_class.trivial_scores(examples, scored, config.task_settings)
    metrics = [task_class.selection_metric]
    metrics += [m for m in task_class.summary_metrics if m in trivial]
    study_dir.mkdir(parents=True, exist_ok=True)
    if subset_examples is not None:
        _write_subset(task_class, config, subset_examples, train_file)
    atomic_write_text(study_dir / STUDY_FILE, json.dumps(description, indent=2) + "\n")
    study = {
        "output_dir": str(study_dir),
        "command": command or "tf_ner.studies.run_study(...) from Python",
        "task": config.task,
        "split": split,
        "split_file": getattr(config, split),
        "metrics": metrics,
        "trivial": {"prediction": prediction, "scores": trivial},
        "training": {
            "file": config.train,
            "examples": len(examples),
            "subset_size": subset,
            "subset_seed": description["subset"]["seed"],
            "subset_file": None if subset is None else pathlib.Path(train_file).name,
        },
        "settings": description["settings"],
        "seeds": list(seeds),
        "runs_planned": len(plan),
    }
    print(
        f"tf-ner stability -> {study_dir}: {len(settings)} setting(s) × {len(seeds)} seed(s) "
        f"= {len(plan)} runs on {len(examples)} training examples"
        + (f" (subset seed {subset_seed})" if subset else "")
        + f"; scored by {split} {metrics[0]}, trivial prediction {trivial[metrics[0]]:.4f}",
        file=stream, flush=True,
    )  # fmt: skip
    records, trained = _run_all(study, plan, stream, loss_threshold, loss_smoothing)
    results = write_report(study, records, loss_threshold, loss_smoothing)
    print(f"report: {study_dir / 'report.md'}", file=stream, flush=True)
    return StudyResult(str(study_dir), results, trained, len(plan) - trained)
