"""Test F1 on MSRA after the same training time, from random initialisation.

Every tf_ner head (CRF, GlobalPointer, EfficientGlobalPointer, softmax) trains a
`--bert-size` encoder from scratch on the full MSRA training set for `--minutes` of
training, then is scored on the MSRA test set (entity-level, character spans). The
reference (`hf`) is Hugging Face `BertForTokenClassification` (PyTorch) of the same shape
at the same recipe (peak rate, 300 warmup steps, decay to 0 at the budget's end, no
dropout, on the same windows, vocabulary and labels, length-grouped batches:
`peers/hf_recipe_runner.py`); one seed each: `same_recipe.py` compares the two over seeds
with every setting checked. Each system runs alone in its own process, one after the
other. Writes a Markdown table and JSON to `benchmarks/results/`.

    python benchmarks/msra_quality.py                    # 25 minutes each (about 2 h)
    python benchmarks/msra_quality.py --minutes 5 --systems crf,hf
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

from benchmarks.results_file import write_results  # noqa: E402
from tf_ner.demo import msra_files  # noqa: E402

# What helps a transformer trained from scratch here (see the closing notes of the
# issue): a larger peak rate than fine-tuning, warmup, decay to 0 at the budget's end.
OURS = {
    "crf": ["--head", "crf"],
    "globalpointer": ["--head", "globalpointer"],
    "efficient_globalpointer": ["--head", "efficient_globalpointer"],
    "softmax": ["--head", "softmax"],
}


def run_ours(head, args, train, test, workdir):
    out = pathlib.Path(workdir) / head
    command = [
        sys.executable,
        "-m",
        "tf_ner.cli",
        "train",
        "--train",
        str(train),
        "--test",
        str(test),
        "--repair",
        "--bert-size",
        args.bert_size,
        *OURS[head],
        "--epochs",
        "100",
        "--time-budget",
        str(args.minutes),
        "--batch-size",
        "32",
        "--max-length",
        "128",
        "--learning-rate",
        str(args.learning_rate),
        "--warmup",
        "300",
        "--seed",
        str(args.seed),
        "--output-dir",
        str(out),
        *args.extra,
    ]
    subprocess.run(command, check=True, cwd=ROOT)
    scores = json.loads((out / "test_scores.json").read_text())["overall"]
    summary = json.loads((out / "train_summary.json").read_text())
    return {"system": f"tf_ner {head}", **scores, **summary, "command": " ".join(command[1:])}


def run_hf(args, train, test, workdir):
    """The reference at the recipe of `run_ours` (`tf-ner train`'s from-scratch dropout 0)."""
    command = [
        sys.executable, str(ROOT / "benchmarks" / "peers" / "hf_recipe_runner.py"),
        "--train", str(train), "--test", str(test), "--repair", "--minutes", str(args.minutes),
        "--bert-size", args.bert_size, "--learning-rate", str(args.learning_rate),
        "--warmup", "300", "--dropout", "0", "--max-length", "128", "--seed", str(args.seed),
        "--output-dir", str(pathlib.Path(workdir) / "hf"),
    ]  # fmt: skip
    proc = subprocess.run(command, check=True, cwd=ROOT, capture_output=True, text=True)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return {**result, "command": " ".join(command[1:])}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=25.0, help="training time of each system")
    parser.add_argument("--systems", default="crf,globalpointer,efficient_globalpointer,softmax,hf")
    parser.add_argument("--bert-size", default="mini")
    parser.add_argument(
        "--learning-rate", type=float, default=1e-3, help="peak rate of every system"
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--output",
        help="output path without suffix (default benchmarks/results/msra_quality_SIZE_Nmin)",
    )
    parser.add_argument(
        "--extra", nargs=argparse.REMAINDER, default=[], help="more tf-ner train flags"
    )
    args = parser.parse_args()
    train, test = msra_files()
    results = []
    with tempfile.TemporaryDirectory() as workdir:
        for system in args.systems.split(","):
            result = (
                run_hf(args, train, test, workdir)
                if system == "hf"
                else run_ours(system, args, train, test, workdir)
            )
            results.append(result)
            print(json.dumps(result), flush=True)
    lines = [
        f"MSRA test, {args.bert_size} encoder from random init, {args.minutes:g} minutes of "
        f"training each, {os.cpu_count()} CPU cores, {datetime.date.today()}",
        "",
        "| system | test P | test R | test F1 | steps | training s |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['system']} | {100 * r['precision']:.2f} | {100 * r['recall']:.2f} "
            f"| {100 * r['f1']:.2f} | {r['steps']} | {r['training_seconds']:.0f} |"
        )
    write_results(
        lines, results, "benchmarks/msra_quality.py", args.output,
        f"msra_quality_{args.bert_size}_{args.minutes:g}min",
    )  # fmt: skip


if __name__ == "__main__":
    main()
