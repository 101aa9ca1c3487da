"""Real (non-padding) tokens/s over an epoch of MSRA: tf_ner's buckets against HF's feeds.

All runners train the same model shape (mini: L4/H256/A4/I1024, random init, the
training file's character vocabulary) with batch 32 and windows of at most 128 tokens
on the same fixed slice of the MSRA training set, one epoch each, each in its own
process, one after another:

    ours-crf, ours-globalpointer   tf_ner: `make_dataset` (shuffled, bucketed every
                                   8 tokens by default) + `model.fit`
    hf-default                     `BertForTokenClassification` fed as `Trainer` feeds it
                                   by default: random batches padded to their longest
    hf-grouped                     the same with `group_by_length=True`'s sampler

Same work: one epoch over the same windows at the same batch size, so the same number
of optimizer steps (tf_ner's shuffled pipeline fills the last batch of each bucket, at
most one extra step per bucket, which it is not credited for). Real tokens/s = the
slice's tokens ([CLS]/[SEP] included) / the epoch's wall time, after 3 untimed warm-up
batches. Hugging Face's batches come from `torch`'s `RandomSampler` or transformers'
`LengthGroupedSampler` and `DataCollatorForTokenClassification`, the pieces `Trainer`
uses, in a plain training loop (no `Trainer` object; see peers/hf_epoch_runner.py).

    .venv/bin/python benchmarks/epoch_throughput.py                    # 10,000 sentences, ~10 min
    .venv/bin/python benchmarks/epoch_throughput.py --examples 0       # the whole training set
    .venv/bin/python benchmarks/epoch_throughput.py --quick            # 1,000 sentences
"""

import argparse
import datetime
import json
import os
import pathlib
import shlex
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
PEERS_DIR = HERE / "peers"
RESULTS_DIR = HERE / "results"
REPO_ROOT = HERE.parent


def run(script, arguments, timeout):
    """Runs a peers/ script in a fresh process; returns its JSON lines (raises on failure)."""
    cmd = [sys.executable, str(PEERS_DIR / script), *arguments]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONWARNINGS="ignore")
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    records = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not records:
        tail = "\n    ".join(proc.stderr.strip().splitlines()[-15:])
        raise SystemExit(f"{shlex.join(cmd)} failed ({proc.returncode}):\n    {tail}")
    for record in records:
        record["process_wall_s"] = time.perf_counter() - start
        record["command"] = shlex.join(["python", *cmd[1:]])
    return records


def table(records):
    """Markdown table with ratios to both Hugging Face feeds."""
    by_name = {r["runner"]: r for r in records}
    default, grouped = by_name.get("hf-default"), by_name.get("hf-grouped")

    def ratio(record, reference):
        if reference is None:
            return "–"
        return f"{record['real_tokens_per_s'] / reference['real_tokens_per_s']:.2f}"

    lines = [
        "| runner | feed | optimizer steps | padding efficiency | epoch s | real tokens/s "
        "| x HF default | x HF grouped | load before -> after |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in records:
        lines.append(
            f"| {r['runner']} | {r['feed']} | {r['optimizer_steps']} "
            f"| {r['padding_efficiency']:.0%} | {r['epoch_s']:.1f} "
            f"| {r['real_tokens_per_s']:,.0f} | {ratio(r, default)} | {ratio(r, grouped)} "
            f"| {r['load_before']:.2f} -> {r['load_after']:.2f} |"
        )
    crf, gp = by_name.get("ours-crf"), by_name.get("ours-globalpointer")
    if crf and gp:
        lines.append("")
        lines.append(
            f"GlobalPointer / CRF training speed (tf_ner): "
            f"{gp['real_tokens_per_s'] / crf['real_tokens_per_s']:.2f}x"
        )
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=None, help="training file (default: MSRA train)")
    p.add_argument("--examples", type=int, default=10000, help="slice size; 0 = the whole file")
    p.add_argument("--heads", default="crf,globalpointer", help="tf_ner heads to run")
    p.add_argument("--feeds", default="default,grouped", help="Hugging Face feeds to run")
    p.add_argument("--size", default="mini", help="model shape (mini; tiny for tests)")
    p.add_argument("--batch", type=int, default=32, help="windows per batch")
    p.add_argument("--max-length", type=int, default=128, help="tokens per window")
    p.add_argument("--stride", type=int, default=32, help="overlap of a long text's windows")
    p.add_argument("--buckets", default=None, help="tf_ner bucket lengths, e.g. 32,48,64,96,128")
    p.add_argument("--warmup", type=int, default=3, help="untimed batches before each epoch")
    p.add_argument("--threads", type=int, default=0, help="threads per runner (0: defaults)")
    p.add_argument("--quick", action="store_true", help="smoke run: 1,000 sentences")
    p.add_argument("--timeout", type=int, default=3600, help="seconds allowed per runner")
    p.add_argument("--output", default=None, help="output path without suffix")
    args = p.parse_args(argv)
    if args.quick:
        args.examples = 1000
    output = pathlib.Path(
        args.output
        or RESULTS_DIR / ("epoch_throughput_quick" if args.quick else "epoch_throughput")
    )
    started = datetime.datetime.now().isoformat(timespec="seconds")
    load_start = os.getloadavg()
    data = ["--data", args.data] if args.data else []
    common = ["--size", args.size, "--batch", str(args.batch), "--warmup", str(args.warmup)]
    if args.threads:
        common += ["--threads", str(args.threads)]
    records = []
    with tempfile.TemporaryDirectory() as prepared:
        print(f"load average {load_start}; preparing {args.examples or 'all'} examples", flush=True)
        (info,) = run(
            "msra_prepare.py",
            [
                *data,
                "--out",
                prepared,
                "--examples",
                str(args.examples),
                "--max-length",
                str(args.max_length),
                "--stride",
                str(args.stride),
            ],
            args.timeout,
        )
        print(
            f"  {info['examples']} examples, {info['windows']} windows, "
            f"{info['real_tokens']:,} tokens, vocabulary {info['vocab_size']}",
            flush=True,
        )
        jobs = [
            (
                "ours_epoch_runner.py",
                ["--head", head, *data, *(["--buckets", args.buckets] if args.buckets else [])],
            )
            for head in args.heads.split(",")
            if head
        ] + [("hf_epoch_runner.py", ["--feed", feed]) for feed in args.feeds.split(",") if feed]
        for script, extra in jobs:
            print(f"{script} {' '.join(extra)} ...", flush=True)
            for record in run(script, ["--prepared", prepared, *common, *extra], args.timeout):
                if record["real_tokens"] != info["real_tokens"]:
                    raise SystemExit(
                        f"{record['runner']} trained on {record['real_tokens']} tokens, the "
                        f"slice holds {info['real_tokens']}: the runners do not see the same data"
                    )
                print(
                    f"  {record['runner']}: {record['real_tokens_per_s']:,.0f} real tokens/s, "
                    f"{record['optimizer_steps']} steps in {record['epoch_s']:.0f} s "
                    f"(load {record['load_before']:.2f} -> {record['load_after']:.2f})",
                    flush=True,
                )
                records.append(record)
    load_end = os.getloadavg()
    command = shlex.join(["python", "benchmarks/epoch_throughput.py", *(argv or sys.argv[1:])])
    header = (
        "# Real-epoch throughput on MSRA\n\n"
        f"Run {started}; {os.cpu_count()} CPUs; load average (1/5/15 min) "
        f"{tuple(round(x, 2) for x in load_start)} at the start, "
        f"{tuple(round(x, 2) for x in load_end)} at the end.\n\n"
        f"Command: `{command}`"
        f"\n\nSlice: {info['examples']} of {info['corpus_examples']} training sentences "
        f"(fixed seed), {info['windows']} windows of at most {info['max_length']} tokens, "
        f"{info['real_tokens']:,} real tokens, mean window {info['mean_length']:.1f} tokens; "
        f"model {args.size}, batch {args.batch}, vocabulary {info['vocab_size']}. One epoch "
        "per runner, each in its own process; real tokens/s = the slice's tokens / epoch "
        "wall time.\n\n"
    )
    text = header + table(records)
    print("\n" + text)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.with_suffix(".md").write_text(text, encoding="utf-8")
    summary = {
        "started": started,
        "load_start": load_start,
        "load_end": load_end,
        "argv": argv or sys.argv[1:],
        "slice": info,
        "records": records,
    }
    output.with_suffix(".json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {output.with_suffix('.md')} and {output.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
