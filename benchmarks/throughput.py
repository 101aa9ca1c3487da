"""Training and inference tokens/s on fixed shapes: tf_ner against peers, each in its own process.

Shapes (random init, random token ids, no padding, vocab 21128, dropout 0.1):
    mini  L4/H256/A4/I1024,  batch 32 x length 128
    base  L12/H768/A12/I3072, batch 16 x length 128

Runners (one process each, run one after another, never concurrently):
    ours-dense                                  the encoder with a plain `Dense` and Keras's
                                                cross-entropy: the floor of every head
                                                (`peers/dense_head.py`), "x dense" below
    ours-crf, ours-globalpointer, ours-softmax   tf_ner's `NerTask.build_model` + `compile`
                                                (`AdamWeightDecay`), Keras 3; `--xla` adds
                                                the same with `jit_compile=True` (`...-xla`);
                                                `--dynamic-shapes` the same traced with the
                                                length unknown, as in `fit` (`...-dynamic`);
                                                `--bf16` the same under Keras's
                                                `mixed_bfloat16` policy (`...-bf16`)
    hf                                          Hugging Face `BertForTokenClassification`,
                                                PyTorch, `torch.optim.AdamW` (the reference);
                                                `--bf16` adds it under `torch.autocast`
                                                bfloat16 (`hf-bf16`), the reference of the
                                                `-bf16` rows: both keep float32 weights and
                                                compute the matmuls in bfloat16
    keras-hub                                   keras-hub `BertBackbone` + `Dense`, Keras 3,
                                                `keras.optimizers.AdamW` (`--xla`: also XLA)
    bert4keras-crf, bert4keras-globalpointer     bert4keras 0.11.5 under tf-keras, its AdamW
Pre-training (training only, on masked rows with 15% of the positions masked):
    ours-mlm, ours-electra                      `tf-ner pretrain --objective mlm|electra`'s
                                                model and compile (`MaskedLmTask`)
    hf-mlm                                      Hugging Face `BertForMaskedLM` as users run
                                                it: it projects every position onto the
                                                vocabulary, ours only the masked ones
    hf-mlm-gathered                             the same model with the masked positions
                                                gathered before its MLM head, as ours: the
                                                same work, the reference of the pre-training
                                                rows ("x HF"; hf-mlm's where it is not run)

Each runner times `--warmup` untimed steps, then `--steps` timed ones, for training
(forward, loss, backward, optimizer update) and inference (forward, outputs read back;
CRF models include Viterbi decoding). Tokens/s = batch x length / median step time.
The run first measures the machine's float32 matmul rate (`peers/matmul_peak_runner.py`,
TensorFlow and PyTorch at the runners' threads; the larger is the peak): "% peak" is a
runner's encoder model FLOP/s over it. "peak RSS" is the runner process's peak memory.
`--rounds N` (default 5) runs every runner once a round, in an order rotated every
round; each figure is the runner's median over the rounds with the least and the most
in brackets, and each ratio ("x HF", "x dense") the median of the per-round ratios
(`rounds.py`). The table is printed and written to `benchmarks/results/throughput.md`
and `.json` (every round's values; `--quick`: `throughput_quick.*`), with the load
average before and after each runner.

    .venv/bin/python benchmarks/throughput.py           # mini + base, 5 rounds: ~60 min, 2 cores
    .venv/bin/python benchmarks/throughput.py --xla     # also ours and keras-hub with XLA
    .venv/bin/python benchmarks/throughput.py --dynamic-shapes  # also ours as fit traces it
    .venv/bin/python benchmarks/throughput.py --sizes mini --length 48 --heads softmax --peers hf
    .venv/bin/python benchmarks/throughput.py --sizes mini --heads dense,crf --peers hf --bf16
    .venv/bin/python benchmarks/throughput.py --quick   # smoke run: mini, 2 steps, 2 rounds
    .venv/bin/python benchmarks/throughput.py --sizes mini --heads crf --peers hf
    .venv/bin/python benchmarks/throughput.py --heads mlm,electra --peers hf-mlm,hf-mlm-gathered
"""

import argparse
import datetime
import json
import os
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
RESULTS_DIR = HERE / "results"
sys.path.insert(0, str(HERE.parent))

from benchmarks import rounds  # noqa: E402
from benchmarks.processes import (  # noqa: E402
    RunnerFailed,
    machine,
    machine_line,
    machine_peak,
    peak_fraction,
    run_script,
)
from benchmarks.results_file import command_text  # noqa: E402

NER_HEADS = ("dense", "crf", "globalpointer", "efficient_globalpointer", "softmax")
PRETRAINING = ("mlm", "electra")
OUR_HEADS = NER_HEADS + PRETRAINING
PEERS = {
    "hf": ["hf_runner.py"],
    "hf-mlm": ["hf_runner.py", "--head", "mlm", "--modes", "train"],
    "hf-mlm-gathered": ["hf_runner.py", "--head", "mlm-gathered", "--modes", "train"],
    "keras-hub": ["keras_hub_runner.py"],
    "bert4keras-crf": ["bert4keras_runner.py", "--head", "crf"],
    "bert4keras-globalpointer": ["bert4keras_runner.py", "--head", "globalpointer"],
}


def train_flops_per_token(record):
    """Model FLOPs of one training token (forward x 3) of the encoder's matmuls.

    Per layer: the six dense layers (4 H^2 + 2 H I multiply-adds) and the two
    attention products (2 x length x H multiply-adds); a multiply-add is 2 FLOPs;
    embeddings, LayerNorm, softmax and the head are left out.
    """
    h, i, n = record["hidden"], record["intermediate"], record["length"]
    forward = 2 * record["layers"] * (4 * h * h + 2 * h * i + 2 * n * h)
    return 3 * forward


def runner_commands(args):
    """`[(name, argv)]` in run order: the reference first, then ours, then the other peers."""
    commands = []
    peers = [p for p in args.peers.split(",") if p]
    for name in peers:
        if name not in PEERS:
            raise SystemExit(f"--peers {name!r}: expected some of {', '.join(PEERS)}")
    heads = [h for h in args.heads.split(",") if h]
    for head in heads:
        if head not in OUR_HEADS:
            raise SystemExit(f"--heads {head!r}: expected some of {', '.join(OUR_HEADS)}")
    bf16 = getattr(args, "bf16", False)
    references = [p for p in ("hf", "hf-mlm", "hf-mlm-gathered") if p in peers]
    for name in references:
        commands.append((name, PEERS[name]))
        if bf16:
            commands.append((f"{name}-bf16", [*PEERS[name], "--bf16"]))
    for head in heads:
        runner = ["ours_runner.py", "--head", head]
        if head in PRETRAINING:
            runner += ["--modes", "train"]
        commands.append((f"ours-{head}", runner))
        if args.xla:
            commands.append((f"ours-{head}-xla", [*runner, "--xla"]))
        if getattr(args, "dynamic_shapes", False):
            commands.append((f"ours-{head}-dynamic", [*runner, "--dynamic-shapes"]))
        if bf16:
            commands.append((f"ours-{head}-bf16", [*runner, "--bf16"]))
    for name in peers:
        if name in references:
            continue
        commands.append((name, PEERS[name]))
        if name == "keras-hub" and args.xla:
            commands.append(("keras-hub-xla", [*PEERS[name], "--xla"]))
    return commands


def run_runner(name, argv, size, args):
    """Runs one runner in a fresh process; returns its JSON record (or an error record)."""
    arguments = [*argv[1:], "--size", size]
    for option in ("batch", "length", "steps", "warmup"):
        if getattr(args, option, None) is not None:
            arguments += [f"--{option}", getattr(args, option)]
    if args.threads:
        arguments += ["--threads", args.threads]
    try:
        record = run_script(argv[0], arguments, args.timeout)[-1]
    except RunnerFailed as error:
        print(f"  {name} failed: {error}", flush=True)
        return {"runner": name, "size": size, "error": str(error).splitlines()[-1].strip()}
    record["runner"] = name
    return record


def fmt(value, spec):
    return "–" if value is None else format(value, spec)


def table(records, peak=None):
    """Markdown tables, one per size, of runners' records combined over rounds
    (`rounds.combine`); `peak`: `machine_peak`'s, for the "% peak" column."""
    lines = []
    for size in dict.fromkeys(r["size"] for r in records):
        rows = [r for r in records if r["size"] == size]
        found = {r["runner"]: r for r in rows if "error" not in r}
        shape = next((r for r in rows if "error" not in r), None)
        if shape is not None:
            lines.append(
                f"### {size}: L{shape['layers']}/H{shape['hidden']}/A{shape['heads']}/"
                f"I{shape['intermediate']}, batch {shape['batch']} x length {shape['length']}, "
                f"vocab {shape['vocab']}; {shape['steps']} timed steps after {shape['warmup']} "
                f"warm-up, {shape.get('rounds_ok', 1)} rounds"
            )
        else:
            lines.append(f"### {size}")
        lines.append("")
        lines.append(
            "| runner | train tokens/s | x HF | x dense | train ms/step | GFLOP/s | % peak "
            "| train CPU ms | x dense CPU | infer tokens/s | x HF | x dense | infer ms/step "
            "| infer CPU ms | x dense CPU | peak RSS MB | threads | load before -> after |"
        )
        lines.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
        for r in rows:
            if "error" in r:
                lines.append(f"| {r['runner']} | failed: {r['error']} |" + " |" * 16)
                continue
            pretraining = r.get("head") in (*PRETRAINING, "mlm-gathered")
            # A bfloat16 row is measured against the bfloat16 reference and floor.
            suffix = "-bf16" if r["runner"].endswith("-bf16") else ""
            reference = (
                found.get("hf-mlm-gathered" + suffix, found.get("hf-mlm" + suffix))
                if pretraining
                else found.get("hf" + suffix)
            )
            dense = found.get("ours-dense" + suffix)
            floor = None if pretraining else dense
            ours = r["runner"].startswith("ours") and not pretraining
            cells = []
            for mode in ("train", "infer"):
                tokens = f"{mode}_tokens_per_s"
                cpu = f"{mode}_cpu_s_per_step"
                cells.append({
                    "tokens": rounds.show(rounds.over_rounds(r, tokens), ",.0f"),
                    "x hf": rounds.show(rounds.ratios(r, reference, tokens), ".2f"),
                    "x dense": rounds.show(rounds.ratios(r, floor, tokens), ".2f"),
                    "ms": fmt(r.get(f"{mode}_median_s", 0) * 1e3 or None, ".0f"),
                    "cpu ms": fmt(r.get(cpu) and r[cpu] * 1e3, ".0f"),
                    # PyTorch's threads spin while they wait: CPU time compares ours only.
                    "x dense cpu": (rounds.show(rounds.ratios(dense, r, cpu), ".2f")
                                    if dense and ours else "–"),
                })  # fmt: skip
            train = r.get("train_tokens_per_s")
            gflops = train * train_flops_per_token(r) / 1e9 if train else None
            # The peak is float32's: a bfloat16 row gets no fraction of it.
            fraction = peak_fraction(gflops, peak) if gflops and peak and not suffix else None
            t, i = cells
            lines.append(
                f"| {r['runner']} | {t['tokens']} | {t['x hf']} | {t['x dense']} | {t['ms']} "
                f"| {fmt(gflops, '.0f')} | {fmt(fraction, '.0%')} | {t['cpu ms']} "
                f"| {t['x dense cpu']} | {i['tokens']} | {i['x hf']} | {i['x dense']} "
                f"| {i['ms']} | {i['cpu ms']} | {i['x dense cpu']} "
                f"| {fmt(r.get('peak_rss_mb'), ',.0f')} "
                f"| {(r.get('threads') or {}).get('intra_op') or 'default'} "
                f"| {r['load_before']:.2f} -> {r['load_after']:.2f} |"
            )
        lines.append("")
    return "\n".join(lines)


def peak_line(peak):
    """The roofline sentence of a results file."""
    return (
        f"Matmul peak of this machine in this run (float32 {peak['torch']['n']}^2 GEMM): "
        f"TensorFlow {peak['tensorflow']['peak_gflops']:.0f} GFLOP/s, PyTorch "
        f'{peak["torch"]["peak_gflops"]:.0f} GFLOP/s; "% peak" divides by '
        f"{peak['gflops']:.0f}."
    )


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="mini,base", help="comma list of mini,base (tiny: tests)")
    p.add_argument(
        "--heads", default=",".join(NER_HEADS),
        help=f"tf_ner heads to measure, of {','.join(OUR_HEADS)} (default: the NER heads)",
    )  # fmt: skip
    p.add_argument(
        "--peers", default=",".join(p for p in PEERS if not p.startswith("hf-mlm")),
        help=f"peers to run, of {','.join(PEERS)} (default: the NER peers)",
    )  # fmt: skip
    p.add_argument("--batch", type=int, default=None, help="rows a batch (default: the size's)")
    p.add_argument("--length", type=int, default=None, help="tokens a row (default 128)")
    p.add_argument("--steps", type=int, default=None, help="timed steps (default: mini 10, base 5)")
    p.add_argument(
        "--warmup", type=int, default=None, help="warm-up steps (default: mini 3, base 2)"
    )
    p.add_argument("--xla", action="store_true", help="also run ours and keras-hub with XLA")
    p.add_argument(
        "--bf16", action="store_true",
        help="also run ours (mixed_bfloat16) and Hugging Face (torch.autocast) in bfloat16",
    )  # fmt: skip
    p.add_argument(
        "--dynamic-shapes", action="store_true",
        help="also run ours traced for any batch length, as fit over tf-ner's dataset runs",
    )  # fmt: skip
    p.add_argument(
        "--rounds", type=int, default=None,
        help=f"rounds of every runner, medians (default {rounds.DEFAULT_ROUNDS}; --quick: 2)",
    )  # fmt: skip
    p.add_argument(
        "--quick", action="store_true", help="smoke run: mini only, 2 steps, 1 warm-up, 2 rounds"
    )
    p.add_argument(
        "--threads", type=int, default=0, help="threads per runner (default 0: each framework's)"
    )
    p.add_argument("--timeout", type=int, default=1200, help="seconds allowed per runner")
    p.add_argument("--output", default=None, help="output path without suffix")
    args = p.parse_args(argv)
    if args.quick:
        args.sizes = "mini"
        args.steps = 2 if args.steps is None else args.steps
        args.warmup = 1 if args.warmup is None else args.warmup
    args.rounds = args.rounds or (2 if args.quick else rounds.DEFAULT_ROUNDS)
    output = pathlib.Path(
        args.output or RESULTS_DIR / ("throughput_quick" if args.quick else "throughput")
    )
    commands = runner_commands(args)
    sizes = [s for s in args.sizes.split(",") if s]
    started = datetime.datetime.now().isoformat(timespec="seconds")
    load_start = os.getloadavg()
    print(f"machine: {machine()}; load average {load_start}", flush=True)
    peak = machine_peak(args.threads)
    print(peak_line(peak), flush=True)
    found = {}  # (size, runner) -> its record of each round
    for round_index in range(args.rounds):
        for size in sizes:
            for name, runner_argv in rounds.round_order(commands, round_index):
                print(f"[round {round_index + 1}] {size} {name} ...", flush=True)
                record = run_runner(name, runner_argv, size, args)
                found.setdefault((size, name), []).append(record)
                if "error" not in record:
                    print(
                        f"  train {record.get('train_tokens_per_s', 0):,.0f} tokens/s, "
                        f"infer {record.get('infer_tokens_per_s', 0):,.0f} tokens/s "
                        f"(load {record['load_before']:.2f} -> {record['load_after']:.2f}, "
                        f"{record['process_wall_s']:.0f} s)",
                        flush=True,
                    )
    records = [rounds.combine(found[(size, name)]) for size in sizes for name, _ in commands]
    load_end = os.getloadavg()
    header = (
        f"# Throughput on fixed shapes\n\n"
        f"Run {started} on {machine_line(machine())}; load average "
        f"(1/5/15 min) {tuple(round(x, 2) for x in load_start)} at the start, "
        f"{tuple(round(x, 2) for x in load_end)} at the end.\n\n"
        f"Command: `{command_text('benchmarks/throughput.py', argv or sys.argv[1:])}`"
        f"\n\nTokens/s = batch x length / median step time (every token is real; no padding). "
        "x HF = ratio to Hugging Face `BertForTokenClassification` (PyTorch) in the same run "
        "(pre-training rows: to `BertForMaskedLM` with the masked positions gathered before "
        "its MLM head, `hf-mlm-gathered`, the work ours does; `hf-mlm` projects every "
        "position; `-bf16` rows: to `hf-bf16`, and x dense to `ours-dense-bf16`). "
        "x dense = ratio to the encoder with a plain Dense (`ours-dense`); x dense CPU = "
        "the same from the process's CPU seconds per step (all threads: steadier than wall "
        "time while other jobs share the cores). "
        "GFLOP/s = training tokens/s x the encoder's model FLOPs per training token "
        "(3 x forward matmuls); % peak is of the float32 peak, so not given for bfloat16. "
        "Each runner ran alone in its own process, once in each of "
        f"{args.rounds} rounds (order rotated every round): every figure is the median over "
        "the rounds, with the least and the most in brackets; every ratio is the median of "
        "the ratios of the same round (ms/step, CPU ms, peak RSS: medians)."
        f"\n\n{peak_line(peak)}\n\n"
    )
    text = header + table(records, peak)
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
        "records": records,
        "every_round": {f"{size} {name}": found[(size, name)] for size, name in found},
    }
    output.with_suffix(".json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {output.with_suffix('.md')} and {output.with_suffix('.json')}")
    return 0 if all("error" not in r for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
