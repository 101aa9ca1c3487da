"""The reference Chinese encoder shipped in `checkpoints/`: pre-trained here, with its card.

1. The pre-training corpus (`tf_ner.data.pretraining_corpus`): MSRA's training texts and
   People's Daily 1998, without any text that shares 12 characters with an MSRA test
   sentence or a review; or `--corpus`. InsuranceQA stays out by default: its data is
   for research use only, and an encoder shipped for any use should not depend on it.
2. `tf-ner pretrain --bert-size SIZE` with a recipe of `benchmarks/pretraining_recipes.py`
   for `--minutes`, in `--workdir` (a killed run resumes with the same command).
3. The Google-format files (`bert_config.json`, `vocab.txt`, `bert_model.ckpt.*`), the
   task's `task.json` (so `tf_ner.load` fills in masks with it), the held-out curve and
   `CARD.md` are copied to `checkpoints/NAME/`. The shipped `bert_config.json` says
   dropout 0.1 (BERT's, what fine-tuning uses by default), the pre-training ran without.

    python benchmarks/reference_encoder.py --recipe budget-hold-electra --minutes 120 \\
        --workdir /work/runs/reference
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

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.pretraining_recipes import RECIPES  # noqa: E402

NAME = "tf_ner_zh_mini"
SHIPPED = ("bert_config.json", "vocab.txt", "task.json", "dev_steps.csv", "curves.png")
FINE_TUNING_DROPOUT = 0.1


def corpus_file(args, work):
    """The corpus path and its report (written once into the work folder)."""
    if args.corpus:
        return pathlib.Path(args.corpus), {"file": args.corpus}
    from tf_ner.data.pretraining_corpus import write_pretraining_corpus

    path, report_file = work / "corpus.txt", work / "corpus.json"
    if not report_file.is_file():
        reports = write_pretraining_corpus(path, args.sources.split(","))
        report_file.write_text(json.dumps([dataclasses.asdict(r) for r in reports]))
    return path, json.loads(report_file.read_text())


def pretrain(args, corpus, folder):
    command = [
        "tf-ner", "pretrain", "--train", str(corpus), "--bert-size", args.bert_size,
        "--epochs", "1000", "--time-budget", f"{args.minutes:g}", "--output-dir", str(folder),
        *RECIPES[args.recipe],
    ]  # fmt: skip
    print("$ " + " ".join(command), flush=True)
    subprocess.run([sys.executable, "-m", "tf_ner.cli", *command[1:]], check=True, cwd=ROOT)
    return command


def held_out_curve(folder):
    with (folder / "dev_steps.csv").open() as f:
        return list(csv.DictReader(f))


def continuing_flags(flags):
    """A recipe's flags without those that start a new encoder (`--position-init`)."""
    kept, skip = [], False
    for flag in flags:
        if skip:
            skip = False
        elif flag == "--position-init":
            skip = True
        else:
            kept.append(flag)
    return kept


def card(args, folder, corpus_report, command):
    summary = json.loads((folder / "train_summary.json").read_text())
    config = json.loads((folder / "train_config.json").read_text())
    bert = json.loads((folder / "bert_config.json").read_text())
    scores = json.loads((folder / "dev_scores.json").read_text())
    task = json.loads((folder / "task.json").read_text())["settings"]
    rows = config["batch_size"] * config["gradient_accumulation"]
    tokens = summary["steps"] * rows * task["max_length"]
    size = sum(p.stat().st_size for p in folder.glob("bert_model.ckpt.*"))
    curve = held_out_curve(folder)
    references = summary["references"]
    lines = [
        f"# {NAME}: a Chinese character-level BERT ({args.bert_size}), pre-trained by tf_ner",
        "",
        f"- Shape: L{bert['num_hidden_layers']} / H{bert['hidden_size']} / "
        f"A{bert['num_attention_heads']}, intermediate {bert['intermediate_size']}, "
        f"vocabulary {bert['vocab_size']:,} (characters of the corpus, lower-cased), "
        f"{bert['max_position_embeddings']} positions; float32, checkpoint {size / 1e6:.1f} MB.",
        f"- Dropout: pre-trained with {bert['hidden_dropout_prob']:g}; `bert_config.json` "
        f"says {FINE_TUNING_DROPOUT:g}, BERT's, which fine-tuning takes by default "
        f"(`--dropout` overrides it).",
        f"- Objective: {task['objective']} ({'replaced-token detection, ' if task['objective'] == 'electra' else ''}"  # noqa: E501
        f"{task['mask_rate']:.0%} of the {'whole words' if task['whole_word_masking'] else 'characters'} "  # noqa: E501
        f"chosen); the encoder is `bert/`, a `--bert-dir` for every task.",
        f"- Recipe `{args.recipe}` of `benchmarks/pretraining_recipes.py` "
        f"(`benchmarks/results/pretraining_recipes.md` compares it at equal time): "
        f"`{' '.join(RECIPES[args.recipe])}`.",
        f"- Training: {summary['steps']:,} optimizer steps of {rows} rows of "
        f"{task['max_length']} tokens ({tokens / 1e6:.1f} million token positions) in "
        f"{summary['training_seconds'] / 60:.0f} minutes on {os.cpu_count()} CPU cores, "
        f"{datetime.date.today()}.",
        f"- Corpus: {json.dumps(corpus_report, ensure_ascii=False)}",
        "",
        f"Held-out masked-token accuracy at the end: {100 * scores['accuracy']:.2f}% "
        f"(trivial baselines on the same masks: "
        + ", ".join(f"{k} {100 * v:.2f}%" for k, v in references.items())
        + ")"
        + (
            f"; replaced-token accuracy {100 * scores['discriminator_accuracy']:.2f}%"
            if "discriminator_accuracy" in scores
            else ""
        )
        + ". For ELECTRA the accuracy is the generator's.",
        "",
        "| step | held-out accuracy | loss |",
        "|--:|--:|--:|",
        *(
            f"| {int(float(r['step']))} | {100 * float(r['accuracy']):.2f} | "
            f"{float(r['loss']):.3f} |"
            for r in curve
        ),
        "",
        "Curves: `curves.png` (training loss, held-out scores and the baselines).",
        "",
        "Remake it (the corpus and the run; about the same minutes on 2 cores):",
        "",
        f"    python benchmarks/reference_encoder.py --recipe {args.recipe} "
        f"--minutes {args.minutes:g} --workdir WORKDIR",
        "",
        "Its pre-training command:",
        "",
        "    " + " ".join(command),
        "",
        "Continue pre-training from it (further pre-training, fresh optimizer state):",
        "",
        f"    tf-ner pretrain --bert-dir checkpoints/{NAME} --train CORPUS "
        f"{' '.join(continuing_flags(RECIPES[args.recipe]))} --time-budget MINUTES "
        f"--output-dir NEW_FOLDER",
    ]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", required=True, choices=list(RECIPES))
    parser.add_argument("--minutes", type=float, default=120.0)
    parser.add_argument("--bert-size", default="mini")
    parser.add_argument("--corpus", help="text file (default: --sources assembled)")
    parser.add_argument(
        "--sources",
        default="msra_train,peoples_daily_1998",
        help="tf_ner.data.pretraining_corpus sources, comma-separated",
    )
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--output", default=str(ROOT / "checkpoints" / NAME))
    args = parser.parse_args()
    work = pathlib.Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    corpus, corpus_report = corpus_file(args, work)
    folder = work / "encoder"
    command = pretrain(args, corpus, folder)
    out = pathlib.Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    for path in [*(folder / n for n in SHIPPED), *folder.glob("bert_model.ckpt.*")]:
        shutil.copyfile(path, out / path.name)
    shipped_config = json.loads((folder / "bert_config.json").read_text())
    for name in ("hidden_dropout_prob", "attention_probs_dropout_prob"):
        shipped_config[name] = FINE_TUNING_DROPOUT
    (out / "bert_config.json").write_text(json.dumps(shipped_config, indent=2) + "\n")
    (out / "CARD.md").write_text(card(args, folder, corpus_report, command), encoding="utf-8")
    print((out / "CARD.md").read_text())


if __name__ == "__main__":
    main()
