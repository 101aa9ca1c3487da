"""Real (non-padding) tokens/s over an epoch of MSRA: `tf-ner train` against HF's feeds.

All runners train the same model shape (mini: L4/H256/A4/I1024, random init, the
training file's character vocabulary, dropout 0.1 or `--dropout`) with windows of at
most 128 tokens on the same fixed slice of the MSRA training set, one epoch each, each
in its own process, one after another:

    ours-<head>      tf_ner as `tf-ner train` runs it (`peers/ours_epoch_runner.py`: the
                     loop's `prepare`, `build` and callbacks; batches padded to their
                     longest window by default), with `--batch-size 32` and with each
                     `--batch-tokens N`;
                     `dense` is the encoder with a plain Dense, the floor of every head
    hf-default       `BertForTokenClassification` fed as `Trainer` feeds it by default:
                     random batches of 32 padded to their longest
    hf-grouped       the same with `group_by_length=True`'s sampler: the reference
    hf-<feed>-eager  with `--hf-attention sdpa,eager`: the same with BERT's attention as
                     separate ops instead of `scaled_dot_product_attention`

Real tokens/s = the slice's tokens ([CLS]/[SEP] included) / the epoch's wall time,
after 3 untimed warm-up batches (tf_ner's one trace of the train step is among them:
"first fit s" is their time). Windows drawn again to fill batches are not credited;
"tokens/update" is the real tokens (fills included) per optimizer update, the measure
of equal work: `--batch-tokens 1536` gives about Hugging Face's 32 windows of 44
tokens. "% peak" = the encoder's model FLOPs over the slice's windows (3 x the forward
matmuls, attention included, at each window's own length) / epoch time, over the
machine's float32 matmul rate measured at the start of the run. "peak RSS" = the runner
process's peak memory. Hugging Face's batches come from `torch`'s `RandomSampler` or
transformers' `LengthGroupedSampler` and `DataCollatorForTokenClassification`, the
pieces `Trainer` uses, in a plain training loop (see peers/hf_epoch_runner.py).

    .venv/bin/python benchmarks/epoch_throughput.py                  # 10,000 sentences
    .venv/bin/python benchmarks/epoch_throughput.py --examples 0     # the whole training set
    .venv/bin/python benchmarks/epoch_throughput.py --quick          # 1,000 sentences

`--rounds N` (default 5) runs every runner once a round, in an order rotated every
round: each figure is the runner's median over the rounds, with the least and the most
in brackets, and each ratio the median of the per-round ratios (`rounds.py`); "every
round" lists all its epoch times. A round of the default runners takes about 20 minutes
on 2 cores (10,000 sentences), `--quick` (1,000 sentences, 2 rounds) a few.
"""

import argparse
import datetime
import json
import os
import pathlib
import sys
import tempfile

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
RESULTS_DIR = HERE / "results"
sys.path.insert(0, str(HERE.parent))

from benchmarks import rounds  # noqa: E402
from benchmarks.processes import (  # noqa: E402
    machine,
    machine_line,
    machine_peak,
    peak_fraction,
    run_script,
)
from benchmarks.results_file import command_text  # noqa: E402
from benchmarks.throughput import peak_line  # noqa: E402


def epoch_train_flops(record, lengths):
    """Model FLOPs of one training epoch over windows of `lengths` tokens.

    Per window of n tokens and per layer: the six dense layers (n (4 H^2 + 2 H I)
    multiply-adds) and the two attention products (2 n^2 H); a multiply-add is 2 FLOPs,
    training is 3 x the forward pass; embeddings, LayerNorm, softmax and the head are
    left out (as `throughput.train_flops_per_token`).
    """
    n = np.asarray(lengths, np.float64)
    h, i = record["hidden"], record["intermediate"]
    per_layer = n * (4 * h * h + 2 * h * i) + 2 * n * n * h
    return 3 * 2 * record["layers"] * float(per_layer.sum())


def feed_key(record):
    """Runners compared with each other feed the same batches: batch size or budget."""
    return record.get("batch_tokens") or 0


RATE = "real_tokens_per_s"
show = rounds.show


def table(records, peak, lengths):
    """Markdown table of runners combined over rounds (`rounds.combine`): ratios to HF
    grouped and to `dense` on the same feed, medians of the per-round ratios."""
    by_name = {r["runner"]: r for r in records}
    grouped = by_name.get("hf-grouped")
    dense = {feed_key(r): r for r in records if r["head"] == "dense" and "ours" in r["runner"]}
    lines = [
        "| runner | feed | optimizer steps | tokens/update | padding efficiency "
        "| first fit s | epoch s | every round | real tokens/s | x HF grouped | x dense | % peak "
        "| epoch CPU s | x dense CPU | peak RSS MB | load before -> after |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in records:
        ours = r["runner"].startswith("ours")
        floor = dense.get(feed_key(r)) if ours else None
        fraction = peak_fraction(epoch_train_flops(r, lengths) / r["epoch_s"] / 1e9, peak)
        first = f"{r['first_fit_s']:.1f}" if r.get("first_fit_s") is not None else "–"
        every = ", ".join(
            "–" if s is None else f"{s:.1f}" for s in rounds.over_rounds(r, "epoch_s")["values"]
        )
        lines.append(
            f"| {r['runner']} | {r['feed']} | {r['optimizer_steps']:g} "
            f"| {r['tokens_per_update']:,.0f} | {r['padding_efficiency']:.0%} | {first} "
            f"| {r['epoch_s']:.1f} | {every} | {show(rounds.over_rounds(r, RATE), ',.0f')} "
            f"| {show(rounds.ratios(r, grouped, RATE), '.2f')} "
            f"| {show(rounds.ratios(r, floor, RATE), '.2f')} | {fraction:.0%} "
            f"| {r['cpu_s']:.1f} | {show(rounds.ratios(floor, r, 'cpu_s'), '.2f')} "
            f"| {r['peak_rss_mb']:,.0f} | {r['load_before']:.2f} -> {r['load_after']:.2f} |"
        )
    crf = {feed_key(r): r for r in records if r.get("head") == "crf" and "ours" in r["runner"]}
    gp = [r for r in records if r.get("head") == "globalpointer" and "ours" in r["runner"]]
    found = [
        f"{show(rounds.ratios(r, crf[feed_key(r)], RATE), '.2f')}x ({r['feed']})"
        for r in gp
        if feed_key(r) in crf
    ]
    if found:
        lines += [
            "",
            "GlobalPointer / CRF training speed (tf_ner, median of rounds): " + ", ".join(found),
        ]
    return "\n".join(lines) + "\n"


def compiled_update(records):
    """Whether tf_ner's runners compiled the optimizer update: yes, no or mixed."""
    found = {r.get("compile_update") for r in records if r["runner"].startswith("ours")}
    return {frozenset({True}): "yes", frozenset({False}): "no"}.get(frozenset(found), "mixed")


def dropout_line(records):
    """The dropout rates the runners' models trained with, by kind of site, read back."""
    found = {}
    for record in records:
        for key, value in record.items():
            if key.startswith("dropout.") and key != "dropout.sites":
                found.setdefault(key.removeprefix("dropout."), set()).add(json.dumps(value))
    shown = "; ".join(f"{kind} {', '.join(sorted(v))}" for kind, v in sorted(found.items()))
    return f"Dropout read back from the runners' models, by kind of site: {shown}."


def check_and_show(record, info):
    """Refuse a runner that trained on other data than the slice; print its line."""
    if record["real_tokens"] != info["real_tokens"]:
        raise SystemExit(
            f"{record['runner']} trained on {record['real_tokens']} tokens, the "
            f"slice holds {info['real_tokens']}: the runners do not see the same data"
        )
    print(
        f"  {record['runner']}: {record['real_tokens_per_s']:,.0f} real tokens/s, "
        f"{record['optimizer_steps']} steps in {record['epoch_s']:.0f} s, peak RSS "
        f"{record['peak_rss_mb']:,.0f} MB (load {record['load_before']:.2f} -> "
        f"{record['load_after']:.2f})",
        flush=True,
    )


def jobs(args):
    """`[(script, extra arguments)]` in run order: HF's feeds, then ours per feed and head."""
    heads = [h for h in args.heads.split(",") if h]
    budgets = [b for b in args.batch_tokens.split(",") if b]
    ours_feeds = ([[]] if args.batch_feed else []) + [["--batch-tokens", b] for b in budgets]
    buckets = ["--buckets", args.buckets] if args.buckets else []
    found = [
        ("hf_epoch_runner.py", ["--feed", f, "--attention", a])
        for f in args.feeds.split(",")
        if f
        for a in args.hf_attention.split(",")
    ]
    for feed in ours_feeds:
        found += [("ours_epoch_runner.py", ["--head", h, *buckets, *feed]) for h in heads]
    return found


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=None, help="training file (default: MSRA train)")
    p.add_argument("--examples", type=int, default=10000, help="slice size; 0 = the whole file")
    p.add_argument(
        "--heads",
        default="dense,crf,globalpointer,efficient_globalpointer,softmax",
        help="tf_ner heads to run (dense: the floor)",
    )
    p.add_argument(
        "--batch-tokens",
        default="1536",
        help="comma list of tf_ner token budgets, each run beside --batch-size ('' for none)",
    )
    p.add_argument(
        "--no-batch-feed",
        dest="batch_feed",
        action="store_false",
        help="skip tf_ner's --batch-size feed (run the token budgets only)",
    )
    p.add_argument("--feeds", default="grouped,default", help="Hugging Face feeds to run")
    p.add_argument(
        "--hf-attention",
        default="sdpa",
        help="Hugging Face attention implementations to run: sdpa (the default), eager",
    )
    p.add_argument("--size", default="mini", help="model shape (mini; tiny for tests)")
    p.add_argument("--batch", type=int, default=32, help="windows per batch")
    p.add_argument("--max-length", type=int, default=128, help="tokens per window")
    p.add_argument("--stride", type=int, default=32, help="overlap of a long text's windows")
    p.add_argument("--buckets", default=None, help="tf_ner bucket lengths, e.g. 32,48,64,96,128")
    p.add_argument("--warmup", type=int, default=3, help="untimed batches before each epoch")
    p.add_argument("--threads", type=int, default=0, help="threads per runner (0: defaults)")
    p.add_argument(
        "--dropout", type=float, default=None, help="every runner's dropout (default: 0.1)"
    )
    p.add_argument("--quick", action="store_true", help="smoke run: 1,000 sentences, 2 rounds")
    p.add_argument("--timeout", type=int, default=3600, help="seconds allowed per runner")
    p.add_argument(
        "--rounds", type=int, default=None,
        help=f"rounds of every runner, medians (default {rounds.DEFAULT_ROUNDS}; --quick: 2)",
    )  # fmt: skip
    p.add_argument("--output", default=None, help="output path without suffix")
    args = p.parse_args(argv)
    if args.quick:
        args.examples = 1000
    args.rounds = args.rounds or (2 if args.quick else rounds.DEFAULT_ROUNDS)
    output = pathlib.Path(
        args.output
        or RESULTS_DIR / ("epoch_throughput_quick" if args.quick else "epoch_throughput")
    )
    started = datetime.datetime.now().isoformat(timespec="seconds")
    load_start = os.getloadavg()
    print(f"machine: {machine()}; load average {load_start}", flush=True)
    peak = machine_peak(args.threads)
    print(peak_line(peak), flush=True)
    data = ["--data", args.data] if args.data else []
    common = ["--size", args.size, "--batch", args.batch, "--warmup", args.warmup]
    if args.threads:
        common += ["--threads", args.threads]
    if args.dropout is not None:
        common += ["--dropout", args.dropout]
    records = []
    with tempfile.TemporaryDirectory() as prepared:
        print(f"preparing {args.examples or 'all'} examples", flush=True)
        (info,) = run_script(
            "msra_prepare.py",
            [*data, "--out", prepared, "--examples", args.examples,
             "--max-length", args.max_length, "--stride", args.stride],
            args.timeout,
        )  # fmt: skip
        lengths = np.load(pathlib.Path(prepared) / "windows.npz")["lengths"]
        print(
            f"  {info['examples']} examples, {info['windows']} windows, "
            f"{info['real_tokens']:,} tokens, vocabulary {info['vocab_size']}",
            flush=True,
        )
        found = {}  # (runner, feed) -> its record of each round
        for round_index in range(args.rounds):
            for script, extra in rounds.round_order(jobs(args), round_index):
                print(f"[round {round_index + 1}] {script} {' '.join(extra)} ...", flush=True)
                arguments = ["--prepared", prepared, *common, *extra]
                for record in run_script(script, arguments, args.timeout):
                    check_and_show(record, info)
                    found.setdefault((record["runner"], record["feed"]), []).append(record)
        records = [rounds.combine(every) for every in found.values()]
    load_end = os.getloadavg()
    command = command_text("benchmarks/epoch_throughput.py", argv or sys.argv[1:])
    header = (
        "# Real-epoch throughput on MSRA\n\n"
        f"Run {started} on {machine_line(machine())}; load average "
        f"(1/5/15 min) {tuple(round(x, 2) for x in load_start)} at the start, "
        f"{tuple(round(x, 2) for x in load_end)} at the end.\n\n"
        f"Command: `{command}`"
        f"\n\nSlice: {info['examples']} of {info['corpus_examples']} training sentences "
        f"(fixed seed), {info['windows']} windows of at most {info['max_length']} tokens, "
        f"{info['real_tokens']:,} real tokens, mean window {info['mean_length']:.1f} tokens; "
        f"model {args.size}, vocabulary {info['vocab_size']}. One epoch per runner, each in "
        "its own process; real tokens/s = the slice's tokens / epoch wall time; x dense = "
        "ratio to `ours-dense` on the same feed (x dense CPU: from the epoch's CPU seconds, all "
        "threads, which other jobs on the machine disturb less than wall time). Each runner "
        f"ran once in each of {args.rounds} rounds (order rotated every round): figures are "
        "medians over the rounds with the least and the most in brackets, ratios medians of "
        "the same round's ratios.\n\n"
        f"tf_ner's optimizer update compiled with XLA (`compile_update`, the default of "
        f"`tf-ner train`): {compiled_update(records)}.\n\n"
        f"{dropout_line(records)}\n\n"
        f"{peak_line(peak)}\n\n"
    )
    text = header + table(records, peak, lengths)
    print("\n" + text)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.with_suffix(".md").write_text(text, encoding="utf-8")
    summary = {
        "started": started,
        "machine": machine(),
        "load_start": load_start,
        "load_end": load_end,
        "argv": argv or sys.argv[1:],
        "matmul_peak": peak,
        "slice": info,
        "records": records,
        "every_round": list(found.values()),
    }
    output.with_suffix(".json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {output.with_suffix('.md')} and {output.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
