"""Prediction end to end: raw texts to character spans, tf_ner against its PyTorch peers.

Corpora (`peers/predict_prepare.py`): the first `--texts` MSRA test texts
(`sentences`), and the same texts joined into paragraphs of 1,000-3,000 characters
(`documents`). The model: a tf_ner NER model folder (`--model`, e.g. the demo's); the
peers run its encoder and tag classifier converted to a Hugging Face
`BertForTokenClassification` (same weights, same tag scores).

Runners, each in its own process (`processes.run_script`), one after another:

    ours             `Recognizer.predict` in-process: tokenisation, windows, the model
                     (CRF Viterbi included), decoding, merging, scores; after loading
                     and one warm-up call
    tf-ner predict   the whole command, `python -m tf_ner.cli predict`, start-up included;
                     with ONNX also `--runtime onnx` at the first of `--onnx-batch-sizes`
                     (a process that imports no TensorFlow)
    hf-pipeline      `pipeline("token-classification", aggregation_strategy="simple")`
                     at batch 1 (its default) and each of `--hf-batch-sizes`
    hf-forward       plain batched PyTorch forward + argmax of the same windows,
                     length-sorted, batch 32, no decoding
    hf-onnx, hf-onnx-optimized, hf-onnx-int8
                     the same windows and batches, run by ONNX Runtime on the Hugging
                     Face model exported to ONNX: as exported, after ONNX Runtime's
                     transformer optimizer (fused attention, LayerNorm, GELU), and that
                     graph quantised to int8 (`peers/hf_onnx.py`); argmax, no decoding
    ours-onnx, ours-onnx-int8
                     `Recognizer.predict` on `tf_ner.load(model, runtime="onnx")` and
                     `"onnx-int8"`: the folder exported by `tf-ner export`, in batches
                     of the first of `--onnx-batch-sizes`; float32 also at each other
                     (`ours-onnx, batch N`)
    ours-onnx, overlapping windows
                     (documents) float32 at the first batch size with sentence cuts
                     off: the windows overlap by the model's stride everywhere, as the
                     Hugging Face runners' overlap by 32
    start-up         `python -c "import tensorflow"`, and `tf-ner predict` on one text
                     (with ONNX also `--runtime onnx`)

With ONNX (the default; `--no-onnx` leaves it out), the F1 each runtime gets on the
sentences, float32 and int8, on both sides, and on the documents with each side's
windows (`peers/predict_onnx_quality.py`).

Every run first measures the machine's float32 matmul peak (TensorFlow and PyTorch,
same threads; `processes.machine_peak`); each runner's GFLOP/s counts the encoder's
forward matmuls over the tokens it computed, padding included, and is given as a
fraction of that peak. Every runner runs once in each of `--rounds` rounds (default 5,
the order rotated every round): each figure is its median over the rounds with the least
and the most in brackets, each ratio the median of the same round's ratios
(`rounds.py`). One table per run, written with the command to
`benchmarks/results/predict_throughput.md` and `.json` (`--output` to change).

    python benchmarks/predict_throughput.py --model runs/demo_msra_crf   # ~25 min, 2 cores
    python benchmarks/predict_throughput.py --model runs/demo_msra_crf --quick   # smoke run
"""

import argparse
import datetime
import json
import operator
import os
import pathlib
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "peers"))

import prediction  # noqa: E402
import processes  # noqa: E402
import rounds  # noqa: E402
from results_file import write_results  # noqa: E402

CLI_NAME = "tf-ner predict"
CLI_ONNX_NAME = "tf-ner predict --runtime onnx"
ONNX_GRAPHS = ("onnx", "onnx-optimized", "onnx-int8")  # peers/hf_onnx.py
ONNX_RUNTIMES = ("onnx", "onnx-int8")  # tf_ner.load
OVERLAPPING_NAME = "ours-onnx, overlapping windows"
DOCUMENT_WINDOWS = {  # peers/predict_onnx_quality.py's documents rows
    "ours-onnx": "the model's (sentence cuts where its settings have them)",
    OVERLAPPING_NAME: "overlapping by the stride",
    "hf-onnx-optimized": "the fast tokenizer's, overlapping by 32",
}


def forward_flops(config, batch_shapes):
    """FLOPs of the encoder's forward matmuls over batches `[rows, length]`, padding included.

    Per token of a batch padded to length n, per layer: the six dense layers
    (4 H^2 + 2 H I multiply-adds) and the two attention products (2 n H); a
    multiply-add is 2 FLOPs. Embeddings, LayerNorm, softmax, the tag classifier and
    the CRF are left out.
    """
    h, i, layers = config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"]
    return sum(
        rows * n * 2 * layers * (4 * h * h + 2 * h * i + 2 * n * h) for rows, n in batch_shapes
    )


def runner_plan(args, prepared, corpus):
    """`[(name, script, arguments)]` of one corpus, in run order."""
    data = ["--prepared", prepared, "--corpus", corpus]
    plan = []
    if not args.no_peers:
        for mode in ("forward", *(ONNX_GRAPHS if args.onnx else ())):
            arguments = [*data, "--mode", mode, "--batch-size", 32]
            plan.append((f"hf-{mode}", "predict_hf_runner.py", arguments))
        for size in args.hf_batch_sizes:
            arguments = [*data, "--mode", "pipeline", "--batch-size", size]
            plan.append((f"hf-pipeline-{size}", "predict_hf_runner.py", arguments))
    model = [*data, "--model", args.model]
    plan.append(("ours", "predict_ours_runner.py", [*model, "--batch-size", args.batch_size]))
    for runtime in ONNX_RUNTIMES if args.onnx else ():
        sizes = args.onnx_batch_sizes[: 1 if runtime == "onnx-int8" else None]
        for index, size in enumerate(sizes):  # float32 at every size asked; int8 at the first
            name = f"ours-{runtime}" + (f", batch {size}" if index else "")
            arguments = [*model, "--batch-size", size, "--runtime", runtime]
            plan.append((name, "predict_ours_runner.py", arguments))
            if corpus == "documents" and runtime == "onnx" and not index:
                overlapping = [*arguments, "--overlapping-windows"]
                plan.append((OVERLAPPING_NAME, "predict_ours_runner.py", overlapping))
    cli = ["--what", "predict", "--model", args.model, "--corpus", corpus]
    cli += ["--input", prediction.corpus_file(prepared, corpus)]
    plan.append((CLI_NAME, "predict_process_runner.py", [*cli, "--batch-size", args.batch_size]))
    if args.onnx:
        onnx = ["--runtime", "onnx", "--batch-size", args.onnx_batch_sizes[0]]
        plan.append((CLI_ONNX_NAME, "predict_process_runner.py", [*cli, *onnx]))
    return plan


def startup_plan(args, prepared):
    one = ["--what", "predict", "--model", args.model, "--corpus", "one text"]
    one += ["--input", pathlib.Path(prepared) / prediction.STARTUP_TEXT_FILE]
    plan = [
        ("import tensorflow", "predict_process_runner.py", ["--what", "import-tensorflow"]),
        (f"{CLI_NAME}, one text", "predict_process_runner.py", one),
    ]
    if args.onnx:
        plan.append((f"{CLI_ONNX_NAME}, one text", "predict_process_runner.py",
                     [*one, "--runtime", "onnx"]))  # fmt: skip
    return plan


def runner_env(threads):
    """The checkout's tf_ner first on the path; `threads` for every framework when set."""
    path = os.pathsep.join(filter(None, [str(processes.REPO_ROOT), os.environ.get("PYTHONPATH")]))
    env = {"PYTHONPATH": path}
    if threads:
        for name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
            env[name] = str(threads)
    return env


def run_rounds(plan, count, env, timeout):
    """Each runner's records of `count` rounds (order rotated every round), combined:
    medians, and every round's values (`rounds.combine`)."""
    found = {}
    for round_index in range(count):
        for name, script, arguments in rounds.round_order(plan, round_index):
            print(f"[round {round_index + 1}] {name} ...", flush=True)
            (record,) = processes.run_script(script, arguments, timeout, env=env)
            record["name"] = name
            print(f"  {record['seconds']:.2f} s, {record['texts_per_s']:,.1f} texts/s", flush=True)
            found.setdefault(name, []).append(record)
    return [rounds.combine(found[name]) for name, _, _ in plan]


def fmt(value, spec):
    return "–" if value is None else format(value, spec)


def corpus_table(records, config, peak):
    """The Markdown rows of one corpus (records combined over rounds)."""
    pipelines = [r for r in records if r["name"].startswith("hf-pipeline")]
    pipeline_best = max(pipelines, key=lambda r: r["texts_per_s"]) if pipelines else None
    forward = next((r for r in records if r["name"] == "hf-forward"), None)
    hf_plain = next((r for r in records if r["name"] == "hf-onnx"), None)
    hf_onnx = next((r for r in records if r["name"] == "hf-onnx-optimized"), None)
    in_process = {CLI_NAME: "ours", CLI_ONNX_NAME: "ours-onnx"}  # the same batches
    by_name = {r["name"]: r for r in records}
    lines = [
        "| runner | batch | texts/s | characters/s | x pipeline best | x batched forward "
        "| x HF ONNX | x HF ONNX optimized | GFLOP/s | of matmul peak | peak RSS MB | wall s "
        "| CPU s | x batched forward, CPU | entities |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in records:
        shapes = r.get("batch_shapes")
        same = by_name.get(in_process.get(r["name"]))
        if shapes is None and same and same["batch"] == r["batch"]:
            shapes = same["batch_shapes"]  # the same batches as the in-process call
        gflops = forward_flops(config, shapes) / r["seconds"] / 1e9 if shapes else None
        name = r["name"] + (" (best)" if r is pipeline_best else "")
        lines.append(
            f"| {name} | {r.get('batch') or '–'} "
            f"| {rounds.show(rounds.over_rounds(r, 'texts_per_s'), ',.1f')} "
            f"| {r['characters_per_s']:,.0f} "
            f"| {rounds.show(rounds.ratios(r, pipeline_best, 'texts_per_s'), '.2f')} "
            f"| {rounds.show(rounds.ratios(r, forward, 'texts_per_s'), '.2f')} "
            f"| {rounds.show(rounds.ratios(r, hf_plain, 'texts_per_s'), '.2f')} "
            f"| {rounds.show(rounds.ratios(r, hf_onnx, 'texts_per_s'), '.2f')} "
            f"| {fmt(gflops, '.1f')} "
            f"| {fmt(gflops and processes.peak_fraction(gflops, peak), '.1%')} "
            f"| {r.get('child_peak_rss_mb', r['peak_rss_mb']):,.0f} | {r['seconds']:.2f} "
            f"| {r['cpu_s']:.2f} | {rounds.show(rounds.ratios(forward, r, 'cpu_s'), '.2f')} "
            f"| {fmt(r.get('entities'), ',')} |"
        )
    return lines


def quality_table(quality, prepare):
    """What ONNX and int8 cost in F1 (`peers/predict_onnx_quality.py`)."""
    f1 = quality["f1"]
    fused = ", ".join(f"{name} {count}" for name, count in prepare["hf_onnx"]["fused"].items())
    return [
        "## What ONNX and int8 cost in F1",
        "",
        f"Micro entity F1 on the {quality['texts']:,} sentences against their gold "
        "entities. Each side's int8 row is compared with its own float32 row: the two "
        "sides decode differently (ours: the model's head and window merging; Hugging "
        "Face: argmax tags read as BIO spans). ONNX Runtime's optimizer fused in the "
        f"Hugging Face graph: {fused}.",
        "",
        "| side | float32 | int8 | int8 cost |",
        "|---|--:|--:|--:|",
        f"| ours (TensorFlow {f1['ours-tensorflow']:.2%}) | {f1['ours-onnx']:.2%} "
        f"| {f1['ours-onnx-int8']:.2%} | {f1['ours-onnx-int8'] - f1['ours-onnx']:+.2%} |",
        f"| Hugging Face ONNX optimized | {f1['hf-onnx-optimized']:.2%} "
        f"| {f1['hf-onnx-int8']:.2%} | {f1['hf-onnx-int8'] - f1['hf-onnx-optimized']:+.2%} |",
        "",
        "The same entities on the documents (float32 ONNX), each predictor with its windows:",
        "",
        "| predictor | windows | F1 on the documents |",
        "|---|---|--:|",
        *(
            f"| {name} | {DOCUMENT_WINDOWS[name]} | {value:.2%} |"
            for name, value in quality["f1_documents"].items()
        ),
    ]


def startup_table(records):
    """Start-up processes (combined over rounds): wall s with its range, and the command's
    start-up beyond the TensorFlow import, the median of the per-round differences."""
    lines = [
        "| process | wall s | CPU s | peak RSS MB |",
        "|---|--:|--:|--:|",
        *(
            f"| `{r['name']}` | {rounds.show(rounds.over_rounds(r, 'seconds'), '.2f')} "
            f"| {r['cpu_s']:.2f} "
            f"| {r['child_peak_rss_mb']:,.0f} |"
            for r in records
        ),
    ]
    beyond = rounds.paired(records[1], records[0], "seconds", operator.sub)
    lines.append(f"| start-up beyond the TensorFlow import | {rounds.show(beyond, '.2f')} | | |")
    return lines


def header(args, prepare, peak, config, started, load_start, load_end):
    machine = processes.machine()
    settings = json.loads((pathlib.Path(args.model) / "task.json").read_text("utf-8"))["settings"]
    cuts = settings.get("sentence_cuts", True)  # the setting's default where a folder lacks it
    tf_peak, torch_peak = peak["tensorflow"], peak["torch"]
    return [
        "# Prediction end to end: texts to character spans",
        "",
        f"Run {started} on {processes.machine_line(machine)}, threads per runner: "
        f"{args.threads or 'each framework default'}; load average (1/5/15 min) "
        f"{tuple(round(x, 2) for x in load_start)} at the start, "
        f"{tuple(round(x, 2) for x in load_end)} at the end. Each runner ran alone in its "
        f"own process, once in each of {args.rounds} rounds (order rotated every round): "
        "figures are medians over the rounds, the least and the most in brackets; ratios are "
        "medians of the same round's ratios.",
        "",
        f"Model: `{args.model}`, L{config['num_hidden_layers']}/H{config['hidden_size']}/"
        f"A{config['num_attention_heads']}/I{config['intermediate_size']}, tags "
        f"{', '.join(prepare['tags'])}; the peers run it as a Hugging Face "
        f"`BertForTokenClassification` whose classifier is the model's tag-score Dense "
        f"(largest tag-score difference {prepare['hf_score_difference']:.1e}), so they tag "
        "as our softmax head does; of a CRF head they take the emissions without the "
        "transitions (their entity counts then differ).",
        "",
        f"Corpora: `sentences`, the first {prepare['sentences']:,} texts of "
        f"{pathlib.Path(prepare['data']).name} "
        f"({prepare['sentence_characters']:,} characters, mean "
        f"{prepare['sentence_characters'] / prepare['sentences']:.1f}); `documents`, the same "
        f"texts joined into {prepare['documents']} paragraphs of {prepare['shortest_document']:,}-"
        f"{prepare['longest_document']:,} characters. Windows of 128 tokens: the Hugging Face "
        "runners' overlap by 32 tokens (the fast tokenizer's `stride`); ours are the model's "
        f"(stride {settings['stride']}, sentence cuts "
        f"{'on' if cuts else 'off'}: a window ends at a "
        "sentence end past its middle where there is one, and the next starts after it "
        f"without overlap), and `{OVERLAPPING_NAME}` overlaps by the stride everywhere.",
        "",
        f"Matmul peak (float32 {tf_peak['n']}x{tf_peak['n']} GEMM, best of {10}): TensorFlow "
        f"{tf_peak['peak_gflops']:.1f} GFLOP/s, PyTorch {torch_peak['peak_gflops']:.1f}; "
        f"'of matmul peak' divides by the larger, {peak['gflops']:.1f}. GFLOP/s = the encoder's "
        "forward matmul FLOPs (2 L (4H^2 + 2HI + 2nH) per token, n the padded length of its "
        "batch) over every token computed, **padding included**, per wall second; embeddings, "
        "LayerNorm, softmax, classifier and CRF not counted. `tf-ner predict` counts the "
        "in-process batches (the same batch size) and includes its start-up.",
        "",
        "texts/s and characters/s: per wall second of the timed call (in-process runners: "
        "after loading and a warm-up call; `tf-ner predict`: the whole process). CPU s: the "
        "process CPU seconds of that call, all threads; 'x batched forward, CPU' compares "
        "texts per CPU second, which a machine shared with other work disturbs less than "
        "wall time. Peak RSS: the runner process's (for `tf-ner predict`, the command's).",
        "",
    ]


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--model",
        default="runs/demo_msra_crf",
        help="a tf_ner NER model folder (crf or softmax head)",
    )
    p.add_argument("--texts", type=int, default=5000, help="MSRA test texts (default %(default)s)")
    p.add_argument(
        "--corpora", default=",".join(prediction.CORPORA), help="comma list of sentences,documents"
    )
    p.add_argument(
        "--batch-size", type=int, default=64,
        help="ours on TensorFlow and tf-ner predict: windows per batch (default %(default)s)",
    )  # fmt: skip
    p.add_argument(
        "--onnx-batch-sizes", default="32,64",
        help="ours on ONNX Runtime: windows per batch, comma list; int8 runs the first "
        "(default %(default)s: tf_ner's ONNX default, then TensorFlow's)",
    )  # fmt: skip
    p.add_argument("--hf-batch-sizes", default="1,8,32,64", help="the pipeline's batch sizes")
    p.add_argument(
        "--threads",
        type=int,
        default=0,
        help="threads of every runner (0: each framework's default)",
    )
    p.add_argument(
        "--no-peers", action="store_true", help="run ours and tf-ner predict only (no PyTorch)"
    )
    p.add_argument(
        "--onnx", action=argparse.BooleanOptionalAction, default=True,
        help="also both sides on ONNX Runtime, float32 and int8, and their F1 (default on)",
    )  # fmt: skip
    p.add_argument(
        "--rounds", type=int, default=None,
        help=f"rounds of every runner, medians (default {rounds.DEFAULT_ROUNDS}; --quick: 2)",
    )  # fmt: skip
    p.add_argument(
        "--startup-rounds", type=int, default=None,
        help=f"the same for the start-up processes (default {rounds.DEFAULT_ROUNDS}; --quick: 2)",
    )  # fmt: skip
    p.add_argument(
        "--work-dir",
        default=None,
        help="folder for the corpora and the HF model (default: temporary)",
    )
    p.add_argument("--timeout", type=int, default=1800, help="seconds allowed per runner")
    p.add_argument(
        "--quick", action="store_true", help="smoke run: 200 texts, pipeline batches 1 and 8"
    )
    p.add_argument("--output", default=None, help="output path without suffix")
    args = p.parse_args(argv)  # fmt: skip
    if args.quick:
        args.texts = min(args.texts, 200)
        args.hf_batch_sizes = "1,8"
    args.rounds = args.rounds or (2 if args.quick else rounds.DEFAULT_ROUNDS)
    args.startup_rounds = args.startup_rounds or (2 if args.quick else rounds.DEFAULT_ROUNDS)
    args.hf_batch_sizes = [int(b) for b in args.hf_batch_sizes.split(",") if b]
    args.onnx_batch_sizes = [int(b) for b in args.onnx_batch_sizes.split(",") if b]
    args.corpora = [c for c in args.corpora.split(",") if c]
    unknown = set(args.corpora) - set(prediction.CORPORA)
    if unknown:
        p.error(f"--corpora: unknown {sorted(unknown)}; expected some of {prediction.CORPORA}")
    if not (pathlib.Path(args.model) / "task.json").is_file():
        p.error(f"--model {args.model}: no task.json there; train one with `make demo`")
    return args


def main(argv=None):
    args = parse(argv)
    started = datetime.datetime.now().isoformat(timespec="seconds")
    load_start = os.getloadavg()
    env = runner_env(args.threads)
    config = json.loads((pathlib.Path(args.model) / "bert_config.json").read_text("utf-8"))
    print(f"machine: {processes.machine()}; load average {load_start}", flush=True)
    peak = processes.machine_peak(args.threads)
    with tempfile.TemporaryDirectory() as temporary:
        prepared = args.work_dir or temporary
        (prepare,) = processes.run_script(
            "predict_prepare.py",
            ["--model", args.model, "--out", prepared, "--texts", args.texts]
            + ["--onnx"] * args.onnx,
            args.timeout,
            env=env,
        )
        quality = None
        if args.onnx:
            (quality,) = processes.run_script(
                "predict_onnx_quality.py",
                ["--model", args.model, "--prepared", prepared, "--data", prepare["data"],
                 "--texts", args.texts],
                args.timeout,
                env=env,
            )  # fmt: skip
        results = {
            corpus: run_rounds(runner_plan(args, prepared, corpus), args.rounds, env, args.timeout)
            for corpus in args.corpora
        }
        startup = run_rounds(startup_plan(args, prepared), args.startup_rounds, env, args.timeout)
    lines = header(args, prepare, peak, config, started, load_start, os.getloadavg())
    for corpus, records in results.items():
        lines += [f"## {corpus}", "", *corpus_table(records, config, peak), ""]
        digests = {r["name"]: r.get("spans_digest") for r in records}
        for command, runner in ((CLI_NAME, "ours"), (CLI_ONNX_NAME, "ours-onnx")):
            if command in digests:
                same = digests.get(runner) == digests[command]
                verdict = "the same" if same else "DIFFERENT"
                lines += [f"`{runner}` and `{command}` predicted {verdict} spans.", ""]
    if quality:
        lines += [*quality_table(quality, prepare), ""]
    lines += [
        "## Start-up",
        "",
        f"Each process run once in each of {args.startup_rounds} rounds (medians), the model "
        "folder loaded and one text predicted and written.",
        "",
        *startup_table(startup),
    ]
    summary = {
        "started": started,
        "machine": processes.machine(),
        "argv": sys.argv[1:] if argv is None else argv,
        "matmul_peak": peak,
        "prepare": prepare,
        "onnx_quality": quality,
        "corpora": results,
        "startup": startup,
    }
    name = "predict_throughput" + ("_quick" if args.quick else "")
    write_results(lines, summary, "benchmarks/predict_throughput.py", args.output, name)


if __name__ == "__main__":
    main()
