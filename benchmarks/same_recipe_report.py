"""The results file of `same_recipe.py`: the spread of each row's scores over its seeds,
and the Markdown report (every row, then every run)."""

import datetime
import os

from tf_ner.studies.statistics import summarize

METRICS = {"ner": ("f1",), "classification": ("accuracy", "macro_f1")}


def summarise(runs, task):
    """One entry per (row, label, side): each metric's runs, mean, sample standard
    deviation, min and max over its runs (`summarize`, as the stability study's)."""
    groups = {}
    for run in runs:
        groups.setdefault((run["row"], run["label"], run["side"], run["split"]), []).append(run)
    summary = []
    for (row, label, side, split), members in groups.items():
        records = [m["record"] for m in members]
        entry = {
            "row": row,
            "label": label,
            "side": side,
            "split": split,
            "seeds": [m["seed"] for m in members],
            "differs": members[0]["differs"],
        }
        for metric in (*METRICS[task], "steps", "tokens_per_s"):
            entry[metric] = summarize([r[metric] for r in records])
        summary.append(entry)
    return summary


def now():
    return datetime.datetime.now().isoformat(timespec="seconds")


def recipe_text(a):
    return (
        f"{a.bert_size} from random initialisation, peak learning rate {a.learning_rate:g}, "
        f"warmup {a.warmup} steps, linear decay to 0 at the end of {a.minutes:g} minutes, "
        f"dropout {a.dropout:g} (hidden, attention, classifier), weight decay "
        f"{a.weight_decay:g} (not biases and LayerNorm), gradients clipped at global norm "
        f"{a.clip_norm:g}, batch {a.batch_size}, Adam betas (0.9, 0.999), windows of "
        f"{a.max_length} tokens"
    )


def short(value, most=40):
    """A setting's value for a table cell: long ones (digests, label lists) cut."""
    text = str(value)
    return text if len(text) <= most else text[: most - 3] + "..."


def fmt(entry, key="mean", spec=".2f", scale=100):
    value = entry[key]
    return "–" if value is None else format(value * scale, spec)


def report(a, results, summary, runs):
    """The Markdown lines of the results file (`results`: its JSON, without the runs)."""
    metrics = METRICS[a.task]
    head = " | ".join(f"{m} mean | sd | min | max" for m in metrics)
    lines = [
        f"# Same recipe: tf_ner against Hugging Face, {a.task}, {a.minutes:g} minutes a run",
        "",
        f"Written {results['written']} on {results['machine']['cpu']} ({os.cpu_count()} CPUs); "
        "each run alone in its own process, one after another, the sides taking turns seed "
        "by seed.",
        "",
        f"Recipe: {recipe_text(a)}. Data: {results['data']}.",
        "",
    ]
    if results["reference"]:
        source = results["reference"]
        lines += [
            f"Paired runs (the 'same' row of each seed) from `{source['file']}`, written "
            f"{source['written']} on {source['cpu']}.",
            "",
        ]
    lines += [
        "Different by construction in every row: the libraries and their execution (Keras "
        "`fit` of a `tf.function` against eager PyTorch), the feed (each run's `feed` in the "
        "JSON; tf_ner: its default feed, windows sorted by length and each batch padded to its "
        "longest since 2026-12-07, buckets every 8 tokens before; Hugging Face: "
        "`LengthGroupedSampler`, batches padded to their longest), where Adam's epsilon "
        "enters (tf_ner before bias correction, PyTorch after it) and the initial weights "
        "(tf_ner truncated normal, PyTorch normal, both std 0.02). "
        "Every other setting is read back from both sides and checked equal, except what a "
        "row's 'differs' column names.",
        "",
        f"| row | side | split | differs from the paired run | seeds | {head} "
        "| steps mean | tokens/s mean |",
        "|---|---|---|---|--:|" + "--:|" * (4 * len(metrics) + 2),
    ]
    for e in summary:
        differs = "; ".join(f"{n} {short(x)} vs {short(y)}" for n, x, y in e["differs"])
        differs = differs or "nothing"
        values = " | ".join(
            " | ".join(fmt(e[m], k) for k in ("mean", "std", "min", "max")) for m in metrics
        )
        side = "tf_ner" if e["side"] == "ours" else "Hugging Face"
        lines.append(
            f"| {e['row']}: {e['label']} | {side} | {e['split']} | {differs} "
            f"| {e[metrics[0]]['runs']} | {values} | {e['steps']['mean']:,.0f} "
            f"| {e['tokens_per_s']['mean']:,.0f} |"
        )
    lines += [
        "",
        "## Every run",
        "",
        "| # | row | side | seed | split | "
        + " | ".join(metrics)
        + " | steps | training s | tokens/s | load before -> after | paired run |",
        "|--:|---|---|--:|---|" + "--:|" * (len(metrics) + 3) + "---|---|",
    ]
    for k, run in enumerate(runs, 1):
        r = run["record"]
        scores = " | ".join(f"{100 * r[m]:.2f}" for m in metrics)
        lines.append(
            f"| {k} | {run['row']}: {run['label']} | {run['side']} | {run['seed']} "
            f"| {run['split']} | {scores} | {r['steps']} | {r['training_seconds']:.0f} "
            f"| {r['tokens_per_s']:,.0f} | {run['load_before'][0]:.2f} -> "
            f"{run['load_after'][0]:.2f} | {paired_text(run.get('paired'), metrics)} |"
        )
    return lines


def paired_text(paired, metrics):
    """`row side seed s: scores, steps` of the run a run is compared with, or '–'."""
    if not paired:
        return "–"
    scores = ", ".join(f"{m} {100 * paired[m]:.2f}" for m in metrics)
    who = f"{paired['row']} {paired['side']} seed {paired['seed']}"
    return f"{who}: {scores}, {paired['steps']} steps"
