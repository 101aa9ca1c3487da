"""Optimizer step time: tf_ner `AdamWeightDecay` vs `keras.optimizers.AdamW` (and PyTorch's).

Builds the variables of a BERT-base encoder (12 layers, hidden 768, intermediate 3072,
vocab 21128, 512 positions: ~102M parameters under Google's variable paths), one fixed
random gradient per variable, and times `optimizer.apply(grads, variables)` inside a
`tf.function` for each optimizer in the same process, interleaving rounds so that
drift on a shared machine hits all alike. Prints per-step median and minimum times and
their ratios to AdamW (on a busy machine the minimum is the steadier figure).

    .venv/bin/python benchmarks/optimizer_step.py            # ~2 minutes on 2 CPU cores
    .venv/bin/python benchmarks/optimizer_step.py --layers 2 --steps 3   # quick look

`--torch` also times `torch.optim.AdamW` (its default multi-tensor `foreach` path, and
one tensor at a time) and `clip_grad_norm_` on parameters of the same shapes, in their
own process (`peers/torch_adamw_runner.py`). The mini encoder of the epoch benchmark:
`--layers 4 --hidden 256 --intermediate 1024 --vocab 5305 --steps 20 --torch`.
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
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
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

    times = {name: [] for name in optimizers}
    names = list(steps)
    for round_index in range(args.rounds):
        # Rotate the order so that no optimizer always runs right after the same one.
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            step = steps[name]
            for _ in range(args.steps):
                start = time.perf_counter()
                step()
                # Reading a value waits for the asynchronous step to finish.
                float(variables[0][0, 0].numpy())
                times[name].append(time.perf_counter() - start)

    device = tf.config.list_logical_devices()[-1].device_type
    print(
        f"{len(variables)} variables, {n_params / 1e6:.1f}M parameters; TF {tf.__version__}, "
        f"Keras {keras.__version__}; {device}, {os.cpu_count()} CPUs, {platform.machine()}; "
        f"{args.rounds} rounds x {args.steps} steps, jit={args.jit}"
    )
    base = statistics.median(times["keras AdamW"])
    base_min = min(times["keras AdamW"])
    print(
        f"{'optimizer':<32}{'median ms':>10}{'min ms':>9}{'median / AdamW':>16}{'min / AdamW':>13}"
    )
    for name, values in times.items():
        median, fastest = statistics.median(values), min(values)
        print(
            f"{name:<32}{median * 1e3:>10.1f}{fastest * 1e3:>9.1f}"
            f"{median / base:>16.2f}{fastest / base_min:>13.2f}"
        )
    if args.torch:
        shape = ["--layers", args.layers, "--hidden", args.hidden]
        shape += ["--intermediate", args.intermediate, "--vocab", args.vocab]
        steps = args.rounds * args.steps
        for record in run_script("torch_adamw_runner.py", [*shape, "--steps", steps], 600):
            median, fastest = record["median_s"], record["min_s"]
            print(
                f"{record['runner']:<32}{median * 1e3:>10.1f}{fastest * 1e3:>9.1f}"
                f"{median / base:>16.2f}{fastest / base_min:>13.2f}"
            )


if __name__ == "__main__":
    main()
