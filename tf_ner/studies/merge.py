"""One report from stability studies that differ only in their seeds (`tf-ner merge-studies`).

A study of 10 seeds may be trained in parts: seeds 1-5 in one folder, 6-10 in another,
later or on another machine, each part a `tf-ner stability` study of its own. Merging
reads each part's `results.json` (nothing else: the parts' run folders may be gone) and
writes the study they make together: `results.json`, `report.md` and `scores.png`, with
every run and the spread per setting over all seeds.

The parts must be one study: the same task, scored split and file, metrics, trivial
prediction, training subset and settings (names and flags), and the same loss threshold,
so that every run's steps to it count alike: give the later parts the first part's
threshold with `--loss-threshold` (its report prints it). No seed may be in two parts.
A part's `results.json` keeps each run's final smoothed loss and steps to the threshold
but not its loss curve, so the merged folder has no `loss.png`; the parts keep theirs.
"""

import json
import os
import pathlib

from tf_ner.ground.errors import InputError, MissingFileError, SettingsError
from tf_ner.ground.files import atomic_write_text
from tf_ner.studies import plots
from tf_ner.studies.report import format_report, summarize_settings

# What every part must share, as `results.json` names it.
SHARED = ("task", "split", "split_file", "metrics", "trivial", "training", "settings")


def read_part(folder):
    """The `results.json` of a study folder; a clear error when it has none."""
    path = pathlib.Path(folder) / "results.json"
    if not path.is_file():
        raise MissingFileError(f"{folder}: no results.json (expected a tf-ner stability folder)")
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise InputError(f"{path}: not JSON ({error})") from None
    missing = [key for key in (*SHARED, "runs", "loss_threshold", "command") if key not in results]
    if missing:
        raise InputError(f"{path}: no {', '.join(missing)} (expected a study's results)")
    return results


def _check_same_study(parts, names):
    first, name = parts[0], names[0]
    for part, other in zip(parts[1:], names[1:], strict=True):
        for key in SHARED:
            if part[key] != first[key]:
                raise SettingsError(
                    f"{other} is another study than {name}: {key} {part[key]!r} there, "
                    f"{first[key]!r} in {name}"
                )
        ours, theirs = first["loss_threshold"], part["loss_threshold"]
        for key in ("value", "smoothing_steps"):
            if ours[key] != theirs[key]:
                raise SettingsError(
                    f"{other} counted steps to another loss threshold than {name}: {key} "
                    f"{theirs[key]!r} there, {ours[key]!r} in {name}; train it again with "
                    f"--loss-threshold {ours['value']!r} --loss-smoothing "
                    f"{ours['smoothing_steps']}"
                )


def _check_seeds_apart(parts, names):
    owner = {}
    for part, name in zip(parts, names, strict=True):
        for run in part["runs"]:
            key = (run["setting"], run["seed"])
            if owner.setdefault(key, name) != name:
                raise SettingsError(
                    f"setting {key[0]!r} seed {key[1]} is in both {owner[key]} and {name}: "
                    f"the parts of a study must have different seeds"
                )


def merge_results(parts, names, command):
    """The results of the study the parts make together.

    Args:
        parts: list of two or more studies' `results.json` contents.
        names: list of str, where each part was read from (its folder), for errors and
            for the runs' folders.
        command: str, the merging command, recorded in the results.

    Returns:
        dict: a study's results (as `study_results` writes them, every run of every part,
        in the grid's order and then by seed) with `parts`: each part's folder, seeds,
        runs done and planned, and the command that trained it.
    """
    if len(parts) < 2:
        raise SettingsError(f"merging {len(parts)} study: expected two or more folders")
    _check_same_study(parts, names)
    _check_seeds_apart(parts, names)
    order = {setting["name"]: index for index, setting in enumerate(parts[0]["settings"])}
    runs = []
    for part, name in zip(parts, names, strict=True):
        runs += [{**run, "folder": os.path.join(name, run["folder"])} for run in part["runs"]]
    runs.sort(key=lambda run: (order[run["setting"]], run["seed"]))
    first = parts[0]
    results = {key: first[key] for key in SHARED}
    results.update(
        command=command,
        seeds=sorted({seed for part in parts for seed in part["seeds"]}),
        runs_planned=sum(part["runs_planned"] for part in parts),
        runs_done=len(runs),
        loss_threshold={**first["loss_threshold"], "source": "merged"},
        summary=summarize_settings(first["settings"], runs, first["split"], first["metrics"]),
        runs=runs,
        parts=[
            {
                "folder": name,
                "seeds": part["seeds"],
                "runs_done": part["runs_done"],
                "runs_planned": part["runs_planned"],
                "command": part["command"],
            }
            for part, name in zip(parts, names, strict=True)
        ],
    )
    return results


def merge_studies(folders, output_dir, command):
    """Reads the parts, writes the merged study's files to `output_dir`; returns its results."""
    names = [str(folder) for folder in folders]
    results = merge_results([read_part(folder) for folder in folders], names, command)
    out = pathlib.Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(
        out / "results.json", json.dumps(results, indent=2, ensure_ascii=False) + "\n"
    )
    atomic_write_text(out / "report.md", format_report(results))
    plots.plot_scores(results, out / "scores.png")
    return results
