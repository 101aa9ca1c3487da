"""Optimizer step time: tf_ner `AdamWeightDecay` vs `keras.optimizers.AdamW` (and PyTorch's).

Builds the variables of a BERT-base encoder (12 layers, hidden 768, intermediate 3072,
vocab 21128, 512 positions: ~102M parameters under Google's variable paths), one fixed
random gradient per variable, and times `optimizer.apply(grads, variables)` inside a
`tf.function` for each optimizer in the same process, `--steps` steps each in each of
`--rounds` rounds (default 5), the optimizers taking turns in an order rotated every
round so that drift on a shared machine hits all alike. Prints each optimizer's median
step time over the rounds (of each round's median) with the least and the most, and
its ratio to AdamW as the median of the same round's ratios (`rounds.py`).

    .venv/bin/python benchmarks/optimizer_step.py            # ~2 minutes on 2 CPU cores
    .venv/bin/python benchmarks/optimizer_step.py --layers 2 --steps 3   # quick look

`--torch` also times `torch.optim.AdamW` (its default multi-tensor `foreach` path, and
one tensor at a time) and `clip_grad_norm_` on parameters of the same shapes, in their
own process (`peers/torch_adamw_runner.py`) once a round, after ours. The mini encoder
of the epoch benchmark: `--layers 4 --hidden 256 --intermediate 1024 --vocab 5305
--steps 20 --torch`.
"""

import argparse
import contextlib
import os
import pathlib
import platform
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tf_ner.optimization import AdamWeightDecay, WarmupLinearDecay  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from benchmarks import rounds  # noqa: E402
from benchmarks.peers import harness  # noqa: E402
from benchmarks.processes import run_script  # noqa: E402


def make_variables(shapes):
    variables = []
    for index, (path, shape) in enumerate(shapes.items()):
        *scopes, name = path.split("/")
        with contextlib.ExitStack() as stack:
            for scope in scopes:
                stack.enter_context(keras.name_scope(scope))
            init = tf.random.stateless_normal(shape, seed=[index, 0], stddev=0.02)
            variables.append(keras.Variable(init, name=name))
    grads = [
        tf.random.stateless_normal(v.shape, seed=[i, 1], stddev=1e-3)
        for i, v in enumerate(variables)
    ]
    return variables, grads


def make_optimizers(variables):
    adamw = keras.optimizers.AdamW(learning_rate=2e-5, weight_decay=0.01, epsilon=1e-6)
    # AdamW matches short names, so these exclude the same variables as our path patterns.
    adamw.exclude_from_weight_decay(var_names=["gamma", "beta", "bias"])
    optimizers = {
        "keras AdamW": adamw,
        "AdamWeightDecay": AdamWeightDecay(2e-5, weight_decay_rate=0.01),
        # As `tf_ner.train.loop.make_optimizer` builds it: a schedule, global-norm clipping.
        "AdamWeightDecay as tf-ner train": AdamWeightDecay(
            WarmupLinearDecay(2e-5, decay_steps=10_000, warmup_steps=1_000),
            weight_decay_rate=0.01,
            global_clipnorm=1.0,
        ),
        # As tf-ner train by default: the same with its per-variable steps compiled as
        # one XLA cluster (`--no-compile-update` turns it off).
        "AdamWeightDecay, XLA update": AdamWeightDecay(
            WarmupLinearDecay(2e-5, decay_steps=10_000, warmup_steps=1_000),
            weight_decay_rate=0.01,
            global_clipnorm=1.0,
            compile_update=True,
        ),
        "AdamWeightDecay +layerwise": AdamWeightDecay(
            2e-5, weight_decay_rate=0.01, layerwise_lr_decay=0.9
        ),
        "AdamWeightDecay +pretrained wd": AdamWeightDecay(
            2e-5, weight_decay_rate=0.01, pretrained_weight_decay=True
        ),
    }
    for optimizer in optimizers.values():
        optimizer.build(variables)
    return optimizers


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--layers", type=int, default=12, help="encoder layers (BERT-base: 12)")
    parser.add_argument("--hidden", type=int, default=768, help="hidden size")
    parser.add_argument("--intermediate", type=int, default=3072, help="feed-forward size")
    parser.add_argument("--vocab", type=int, default=21128, help="vocabulary (Chinese BERT)")
    parser.add_argument("--steps", type=int, default=2, help="timed steps per round")
    parser.add_argument(
        "--rounds", type=int, default=rounds.DEFAULT_ROUNDS, help="interleaved rounds"
    )
    parser.add_argument("--jit", action="store_true", help="XLA-compile the step")
    parser.add_argument("--torch", action="store_true", help="also PyTorch's AdamW (own process)")
    args = parser.parse_args()

    shapes = harness.bert_variable_shapes(
        args.layers, args.hidden, args.intermediate, args.vocab, 512
    )
    variables, grads = make_variables(shapes)
    n_params = sum(int(np.prod(s)) for s in shapes.values())
    optimizers = make_optimizers(variables)
    steps = {}
    for name, optimizer in optimizers.items():

        @tf.function(jit_compile=args.jit)
        def step(optimizer=optimizer):
            optimizer.apply(grads, variables)

        step()  # trace and warm up
        step()
        steps[name] = step

    names = list(steps)
    shape = ["--layers", args.layers, "--hidden", args.hidden]
    shape += ["--intermediate", args.intermediate, "--vocab", args.vocab]
    found = {}  # name -> per round: {"median_s", "min_s"}
    for round_index in range(args.rounds):
        for name in rounds.round_order(names, round_index):
            times = []
            for _ in range(args.steps):
                start = time.perf_counter()
                steps[name]()
                # Reading a value waits for the asynchronous step to finish.
                float(variables[0][0, 0].numpy())
                times.append(time.perf_counter() - start)
            record = {"median_s": statistics.median(times), "min_s": min(times)}
            found.setdefault(name, []).append(record)
        if args.torch:
            for record in run_script("torch_adamw_runner.py", [*shape, "--steps", args.steps], 600):
                found.setdefault(record["runner"], []).append(record)

    device = tf.config.list_logical_devices()[-1].device_type
    print(
        f"{len(variables)} variables, {n_params / 1e6:.1f}M parameters; TF {tf.__version__}, "
        f"Keras {keras.__version__}; {device}, {os.cpu_count()} CPUs, {platform.machine()}; "
        f"{args.rounds} rounds x {args.steps} steps, jit={args.jit}; medians over the rounds "
        "(least-most), ratios: medians of the same round's"
    )
    combined = {name: rounds.combine(records) for name, records in found.items()}
    base = combined["keras AdamW"]
    print(f"{'optimizer':<32}{'median ms':>26}{'min ms':>9}{'median / AdamW':>24}")
    for name, record in combined.items():
        print(
            f"{name:<32}{rounds.show(rounds.over_rounds(record, 'median_s'), '.1f', 1e3):>26}"
            f"{min(r['min_s'] for r in found[name]) * 1e3:>9.1f}"
            f"{rounds.show(rounds.ratios(record, base, 'median_s'), '.2f'):>24}"
        )


if __name__ == "__main__":
    main()
