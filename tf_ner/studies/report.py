"""A stability study's results (`results.json`) and report (`report.md`), from its runs.

`study_results` computes everything from the finished runs' records and the study's
description; `format_report` writes the report from those results alone, so the two
files always agree, and a study run again over finished runs writes them identically.
"""

import os

from tf_ner.studies import statistics


def _score(record, split, metric):
    return record.scores.get(split, {}).get(metric)


def _run_entry(record, study_dir, split, metric, trivial, smoothing):
    """One run's line of `results.json`, with its smoothed curve (dropped before writing)."""
    score = _score(record, split, metric)
    smoothed = (
        statistics.smooth_losses(record.loss_steps, record.losses, smoothing)
        if record.loss_steps else []
    )  # fmt: skip
    return {
        "setting": record.setting,
        "seed": record.seed,
        "flags": record.flags,
        "folder": os.path.relpath(record.folder, study_dir),
        "test": record.scores.get("test"),
        "dev": record.scores.get("dev"),
        "steps": record.steps,
        "seconds": record.seconds,
        "final_smoothed_loss": statistics.finite(smoothed[-1]) if smoothed else None,
        "steps_to_threshold": None,
        "failed": score is None or statistics.is_failed(score, trivial[metric]),
        "_curve": (record.loss_steps, smoothed),
    }


def study_results(study, records, loss_threshold=None, loss_smoothing=10):
    """The study's results, as written to `results.json`.

    Args:
        study: dict describing the study (`study.StudyPlan.describe()`): task, split,
            metrics, trivial prediction, training subset, settings, seeds, command.
        records: the finished runs' `RunRecord`s, in the grid's order.
        loss_threshold: float, or None for the default (`statistics.default_threshold`).
        loss_smoothing: int, the steps of the loss's smoothing window.

    Returns:
        `(results, curves)`: the JSON-ready dict, and each run's smoothed loss curve
        `{(setting, seed): (steps, losses)}` (for the plot).
    """
    split, metrics = study["split"], study["metrics"]
    trivial = study["trivial"]["scores"]
    runs = [
        _run_entry(r, study["output_dir"], split, metrics[0], trivial, loss_smoothing)
        for r in records
    ]
    if loss_threshold is None:
        threshold = statistics.default_threshold(
            [run["final_smoothed_loss"] for run in runs], [run["failed"] for run in runs]
        )
        source = "default"
    else:
        threshold, source = float(loss_threshold), "given"
    curves = {}
    for run in runs:
        steps, smoothed = run.pop("_curve")
        curves[(run["setting"], run["seed"])] = (steps, smoothed)
        run["steps_to_threshold"] = statistics.steps_to_threshold(steps, smoothed, threshold)
    summary = summarize_settings(study["settings"], runs, split, metrics)
    results = {key: value for key, value in study.items() if key != "output_dir"}
    results.update(
        runs_done=len(runs),
        loss_threshold={"value": threshold, "source": source, "smoothing_steps": loss_smoothing},
        summary=summary,
        runs=runs,
    )
    return results, curves


def base_setting(settings):
    """The name of the study's base, the one setting without flags; None when there is
    no such setting, several, or no other setting to compare with it."""
    bare = [setting["name"] for setting in settings if not setting["flags"]]
    return bare[0] if len(bare) == 1 and len(settings) > 1 else None


def summarize_settings(settings, runs, split, metrics):
    """`{setting name: entry}`: per setting, the spread of each metric on `split`, failed
    runs, median steps to the loss threshold (and how many never reached it), median steps
    and training seconds, from the runs' lines of `results.json`; and for each setting
    but the base (`base_setting`), `vs_base`: Welch's test of its first metric against
    the base's (`statistics.welch`, None with fewer than two runs a side)."""

    def scores(mine, metric):
        return [run[split][metric] for run in mine if (run[split] or {}).get(metric) is not None]

    by_setting = {s["name"]: [run for run in runs if run["setting"] == s["name"]] for s in settings}
    base = base_setting(settings)
    summary = {}
    for name, mine in by_setting.items():
        entry = {metric: statistics.summarize(scores(mine, metric)) for metric in metrics}
        if base is not None and name != base:
            entry["vs_base"] = statistics.welch(
                scores(mine, metrics[0]), scores(by_setting[base], metrics[0])
            )
        reached = [run["steps_to_threshold"] for run in mine]
        entry.update(
            runs=len(mine),
            failed=sum(run["failed"] for run in mine),
            median_steps_to_threshold=statistics.median(reached),
            never_reached_threshold=sum(step is None for step in reached),
            median_steps=statistics.median([run["steps"] for run in mine]),
            median_seconds=statistics.median([run["seconds"] for run in mine]),
        )
        summary[name] = entry
    return summary


def _number(value, digits=4):
    return "n/a" if value is None else f"{value:.{digits}f}"


def _count(value):
    return "n/a" if value is None else f"{value:g}"


def _score_table(results, metric, full):
    """A row per setting: the spread of `metric`; with `full`, failures, steps, seconds."""
    split = results["split"]
    head = f"| setting | flags | runs | mean {metric} | std | min | max |"
    rule = "|---|---|---:|---:|---:|---:|---:|"
    if full:
        head += (
            " failed | median steps to loss threshold | never reached | median steps | "
            "median training seconds |"
        )
        rule += "---:|---:|---:|---:|---:|"
    base = base_setting(results["settings"]) if full else None
    if base is not None:
        head += f" vs {base}: difference (Welch t, p) |"
        rule += "---:|"
    lines = [head, rule]
    for setting in results["settings"]:
        entry = results["summary"][setting["name"]]
        stats = entry[metric]
        flags = f"`{setting['flags']}`" if setting["flags"] else "(base)"
        line = (
            f"| {setting['name']} | {flags} | {stats['runs']} | {_number(stats['mean'])} | "
            f"{_number(stats['std'])} | {_number(stats['min'])} | {_number(stats['max'])} |"
        )
        if full:
            line += (
                f" {entry['failed']} | {_count(entry['median_steps_to_threshold'])} | "
                f"{entry['never_reached_threshold']} | {_count(entry['median_steps'])} | "
                f"{_number(entry['median_seconds'], 1)} |"
            )
        if base is not None:
            line += f" {_versus(entry.get('vs_base')) if setting['name'] != base else ''} |"
        lines.append(line)
    return f"{split.capitalize()} {metric} by setting:\n\n" + "\n".join(lines)


def _versus(test):
    if test is None:
        return "n/a"
    return f"{test['difference']:+.4f} (t {test['t']:+.2f}, p {test['p']:.3g})"


def _runs_table(results):
    split, metrics = results["split"], results["metrics"]
    head = " | ".join(f"{split} {m}" for m in metrics)
    lines = [
        f"| setting | seed | {head} | failed | steps | steps to loss threshold | "
        f"final smoothed loss | training seconds |",
        "|---|---:|" + "---:|" * len(metrics) + "---|---:|---:|---:|---:|",
    ]
    for run in results["runs"]:
        scores = " | ".join(_number((run[split] or {}).get(m)) for m in metrics)
        lines.append(
            f"| {run['setting']} | {run['seed']} | {scores} | {'yes' if run['failed'] else 'no'} "
            f"| {run['steps']} | {_count(run['steps_to_threshold'])} | "
            f"{_number(run['final_smoothed_loss'])} | {_number(run['seconds'], 1)} |"
        )
    return "\n".join(lines)


def _versus_definition(results):
    base = base_setting(results["settings"])
    if base is None:
        return []
    return [
        f"- **vs {base}**: the setting's mean {results['split']} {results['metrics'][0]} minus "
        f"that of {base} (the setting without flags), with Welch's t (unequal variances) and "
        f"its two-sided p (Welch-Satterthwaite degrees of freedom); each setting is compared "
        f"on its own, with no correction for the number of settings compared."
    ]


def _commands(results):
    """The command; for a merged study, also each part's folder, seeds and command."""
    text = f"Command:\n\n```\n{results['command']}\n```"
    for part in results.get("parts", ()):
        text += (
            f"\n\nPart `{part['folder']}`, seeds {', '.join(map(str, part['seeds']))} "
            f"({part['runs_done']} of {part['runs_planned']} runs done):\n\n"
            f"```\n{part['command']}\n```"
        )
    return text


def _plots(results):
    scores = "`scores.png` (the score of every run, per setting)"
    if "parts" in results:
        return (
            f"Plot: {scores}. The loss curves stay in the merged studies' folders (their "
            f"`loss.png`): a study's `results.json` keeps no curve."
        )
    return (
        f"Plots: {scores} and `loss.png` (the smoothed training loss per setting: the median "
        f"across seeds and the 25-75% band)."
    )


def format_report(results):
    """`report.md`: the tables, the exact command, the subset, and the definitions."""
    split, metrics, training = results["split"], results["metrics"], results["training"]
    trivial = results["trivial"]
    loss = results["loss_threshold"]
    if training["subset_size"] is None:
        drawn = f"all {training['examples']} examples of `{training['file']}`"
    else:
        drawn = (
            f"{training['subset_size']} examples drawn from `{training['file']}` with subset "
            f"seed {training['subset_seed']}, written to `{training['subset_file']}`"
        )
    trivial_scores = ", ".join(f"{split} {m} {_number(trivial['scores'][m])}" for m in metrics)
    if loss["value"] is None:
        threshold = "none (no run logged a training loss)"
    elif loss["source"] == "given":
        threshold = f"{loss['value']:.4f}, given by `--loss-threshold`"
    elif loss["source"] == "merged":
        threshold = (
            f"{loss['value']:.4f}, the same in every merged study; each counted its own runs' "
            f"steps to it from their loss curves"
        )
    else:
        threshold = (
            f"{loss['value']:.4f}, the default: the largest final smoothed training loss among "
            f"the runs that did not fail (among all runs when every run failed), so that every "
            f"run that did not fail reaches it; it is recomputed as runs are added"
        )
    parts = [
        f"# Stability study: {results['task']}, {training['examples']} training examples",
        _commands(results),
        f"Runs done: {results['runs_done']} of {results['runs_planned']} "
        f"({len(results['settings'])} setting(s) × seeds "
        f"{', '.join(map(str, results['seeds']))}).",
        f"Training data: {drawn}. Every run trains on this same data, so the spread of the "
        f"scores comes from the training seed alone (the initialisation of new weights, "
        f"dropout, the order of the data).",
        f"Score: the {split} set's {' and '.join(metrics)} (`{results['split_file']}`), after "
        f"the run restored its best epoch by dev score when a dev set was given.",
        f"Trivial prediction: {trivial['prediction']}: {trivial_scores}.",
        *(_score_table(results, m, full=i == 0) for i, m in enumerate(metrics)),
        "## Definitions",
        "\n".join(
            [
                f"- **failed**: a run whose {split} {metrics[0]} is no better than the trivial "
                f"prediction's ({_number(trivial['scores'][metrics[0]])}, within "
                f"{statistics.FAIL_TOLERANCE:g}); Mosbach et al. (2021) call a run failed when it "
                f"does no better than the majority classifier.",
                "- **mean, std, min, max** over the runs of a setting; std is the sample standard "
                "deviation (ddof=1), n/a with one run.",
                f"- **smoothed training loss** at a logged step s: the mean loss per step over the "
                f"steps (s - {loss['smoothing_steps']}, s], from the rows of each run's "
                f"`train_steps.csv` (each row the mean over the steps since the previous row), "
                f"each weighted by the steps it covers; the same for every run.",
                f"- **loss threshold**: {threshold}.",
                "- **steps to loss threshold**: the first logged optimizer step at which the "
                "smoothed training loss is at or below the threshold; the median is over the runs "
                "that reached it, *never reached* counts the others.",
                "- **training seconds**: `training_seconds` of the run's `train_summary.json` "
                "(time in training steps; dev evaluation at epoch ends excluded).",
                *_versus_definition(results),
            ]
        ),  # fmt: skip
        "## Runs",
        _runs_table(results),
        _plots(results),
    ]
    return "\n\n".join(parts) + "\n"
