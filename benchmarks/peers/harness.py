"""What every throughput runner shares: shapes, random batches, the timing loop, the JSON line.

Imports only numpy and the standard library, so each runner chooses its framework
(and its environment variables) before anything imports TensorFlow or PyTorch.

A runner is run as a script, one framework and one model per process:

    python benchmarks/peers/hf_runner.py --size mini --steps 10 --warmup 3

and prints, as its last stdout line, one JSON object (`emit`): the shape, the step
times (seconds, every timed step), the median step time and tokens per second for
training and for inference, the load average before and after, and versions.
"""

import argparse
import functools
import json
import math
import os
import platform
import statistics
import sys
import time

import numpy as np

# Compact BERT shapes (Google's naming: L layers, H hidden, A heads, I intermediate) and
# the batch each is measured at. `tiny` exists so that tests can run every runner fast.
SHAPES = {
    "tiny": dict(layers=2, hidden=64, heads=2, intermediate=128, vocab=1000, batch=4, length=32),
    "mini": dict(
        layers=4, hidden=256, heads=4, intermediate=1024, vocab=21128, batch=32, length=128
    ),
    "base": dict(
        layers=12, hidden=768, heads=12, intermediate=3072, vocab=21128, batch=16, length=128
    ),
}
# Default timed and warm-up steps per size: a base step costs ~10x a mini step.
DEFAULT_STEPS = {"tiny": (2, 1), "mini": (10, 3), "base": (5, 2)}

# MSRA's entity types; BIO tags over them.
NUM_TYPES = 3
NUM_TAGS = 2 * NUM_TYPES + 1
SPANS_PER_ROW = 4
LEARNING_RATE = 1e-4
WEIGHT_DECAY = 0.01
DROPOUT = 0.1
# Masked-LM batches: BERT's share of predicted tokens; the id that stands for [MASK].
MASK_RATE = 0.15
MASK_ID = 1


def bert_config_fields(shape, vocab_size=None):
    """A shape as the fields of a Google `bert_config.json` (the names Hugging Face's
    `BertConfig` and tf_ner's take too), with the shape's `dropout` (default `DROPOUT`)."""
    dropout = shape.get("dropout", DROPOUT)
    return {
        "vocab_size": shape["vocab"] if vocab_size is None else vocab_size,
        "hidden_size": shape["hidden"],
        "num_hidden_layers": shape["layers"],
        "num_attention_heads": shape["heads"],
        "intermediate_size": shape["intermediate"],
        "hidden_dropout_prob": dropout,
        "attention_probs_dropout_prob": dropout,
    }


def epoch_measurements(info, windows, real, padded, steps, wall, cpu_s, final_loss):
    """The fields of an epoch runner's record: counts, padding efficiency and speeds."""
    return {
        "examples": info["examples"],
        "windows": windows,
        "real_tokens": real,
        "expected_real_tokens": info["real_tokens"],
        "optimizer_steps": steps,
        "padded_tokens": padded,
        "padding_efficiency": real / padded,
        "epoch_s": wall,
        "cpu_s": cpu_s,
        "real_tokens_per_s": real / wall,
        "padded_tokens_per_s": padded / wall,
        "step_s": wall / steps,
        "final_loss": final_loss,
    }


def bert_variable_shapes(layers, hidden, intermediate, vocab, positions):
    """`{path: shape}` of a Google-format BERT encoder with pooler."""
    shapes = {
        "bert/embeddings/word_embeddings": (vocab, hidden),
        "bert/embeddings/token_type_embeddings": (2, hidden),
        "bert/embeddings/position_embeddings": (positions, hidden),
        "bert/embeddings/LayerNorm/gamma": (hidden,),
        "bert/embeddings/LayerNorm/beta": (hidden,),
    }
    for layer in range(layers):
        prefix = f"bert/encoder/layer_{layer}"
        for name in ("query", "key", "value"):
            shapes[f"{prefix}/attention/self/{name}/kernel"] = (hidden, hidden)
            shapes[f"{prefix}/attention/self/{name}/bias"] = (hidden,)
        shapes[f"{prefix}/attention/output/dense/kernel"] = (hidden, hidden)
        shapes[f"{prefix}/attention/output/dense/bias"] = (hidden,)
        shapes[f"{prefix}/attention/output/LayerNorm/gamma"] = (hidden,)
        shapes[f"{prefix}/attention/output/LayerNorm/beta"] = (hidden,)
        shapes[f"{prefix}/intermediate/dense/kernel"] = (hidden, intermediate)
        shapes[f"{prefix}/intermediate/dense/bias"] = (intermediate,)
        shapes[f"{prefix}/output/dense/kernel"] = (intermediate, hidden)
        shapes[f"{prefix}/output/dense/bias"] = (hidden,)
        shapes[f"{prefix}/output/LayerNorm/gamma"] = (hidden,)
        shapes[f"{prefix}/output/LayerNorm/beta"] = (hidden,)
    shapes["bert/pooler/dense/kernel"] = (hidden, hidden)
    shapes["bert/pooler/dense/bias"] = (hidden,)
    return shapes


def head_names(heads, text):
    """`--head`'s comma list, each name one of `heads`."""
    names = text.split(",")
    unknown = [name for name in names if name not in heads]
    if unknown:
        raise argparse.ArgumentTypeError(f"{unknown}: expected some of {', '.join(heads)}")
    return names


def parser(description, heads=None, several=True):
    """The arguments every fixed-shape runner takes, plus `--head` when it has `heads`:
    a checked list of names, each measured in turn, or with `several=False` one name."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--size", default="mini", choices=sorted(SHAPES), help="model shape")
    p.add_argument("--batch", type=int, default=None, help="batch size (default: the size's)")
    p.add_argument("--length", type=int, default=None, help="sequence length (default: 128)")
    p.add_argument("--steps", type=int, default=None, help="timed steps per mode")
    p.add_argument("--warmup", type=int, default=None, help="untimed steps before timing")
    p.add_argument(
        "--modes", default="train,infer", help="comma list of train,infer (default: both)"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the weights and the batch")
    p.add_argument(
        "--threads", type=int, default=0, help="intra-op threads (default 0: the framework's)"
    )
    if heads and several:
        p.add_argument(
            "--head",
            default=heads[0],
            type=functools.partial(head_names, heads),
            help=f"comma list of heads, each measured in turn: {','.join(heads)}",
        )
    elif heads:
        p.add_argument("--head", default=heads[0], choices=heads, help="the head to measure")
    return p


def resolve(args):
    """`SHAPES[args.size]` with the batch/length/steps overrides applied."""
    shape = dict(SHAPES[args.size], size=args.size)
    if args.batch:
        shape["batch"] = args.batch
    if args.length:
        shape["length"] = args.length
    steps, warmup = DEFAULT_STEPS[args.size]
    shape["steps"] = args.steps if args.steps is not None else steps
    shape["warmup"] = args.warmup if args.warmup is not None else warmup
    if shape["steps"] < 1 or shape["warmup"] < 0:
        raise SystemExit(f"--steps must be >= 1 and --warmup >= 0, got {shape}")
    shape["modes"] = [m for m in args.modes.split(",") if m]
    unknown = set(shape["modes"]) - {"train", "infer"}
    if unknown:
        raise SystemExit(f"--modes: unknown {sorted(unknown)}; expected train and/or infer")
    return shape


def set_tf_threads(tf, threads):
    """Sets TensorFlow's intra- and inter-op threads (before any op runs); 0 keeps the default."""
    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    return {
        "intra_op": tf.config.threading.get_intra_op_parallelism_threads() or os.cpu_count(),
        "inter_op": tf.config.threading.get_inter_op_parallelism_threads() or os.cpu_count(),
    }


def random_batch(shape, seed):
    """Random token ids and labels of one fixed-shape batch.

    Returns:
        dict of numpy arrays: `token_ids` int32 `[batch, length]` in `[1, vocab)` (no
        padding: every position is a real token), `segment_ids` zeros, `tags` int32
        `[batch, length]` in `[0, NUM_TAGS)`, `spans` int32 `[batch, SPANS_PER_ROW, 3]`
        rows `(type, start, end)` (end inclusive) inside `[1, length - 2]`.
    """
    rng = np.random.default_rng(seed)
    batch, length = shape["batch"], shape["length"]
    token_ids = rng.integers(1, shape["vocab"], size=(batch, length), dtype=np.int32)
    tags = rng.integers(0, NUM_TAGS, size=(batch, length), dtype=np.int32)
    starts = rng.integers(1, length - 2, size=(batch, SPANS_PER_ROW))
    ends = np.minimum(starts + rng.integers(0, 6, size=starts.shape), length - 2)
    types = rng.integers(0, NUM_TYPES, size=starts.shape)
    spans = np.stack([types, starts, ends], axis=-1).astype(np.int32)
    return {
        "token_ids": token_ids,
        "segment_ids": np.zeros_like(token_ids),
        "tags": tags,
        "spans": spans,
    }


def masked_batch(shape, seed):
    """Random rows of one fixed-shape masked-LM batch: `ceil(0.15 x length)` positions of
    each row (never the first or the last, where [CLS] and [SEP] sit) replaced by the
    mask id 1; every other id in `[2, vocab)`.

    Returns:
        dict of numpy int32 arrays: `original_ids` and `token_ids` (masked) `[batch,
        length]`, `segment_ids` zeros, `masked_positions` and `masked_labels` (the
        original ids there) `[batch, P]`, `token_labels` `[batch, length]`: the original
        id at a masked position, -100 elsewhere (Hugging Face's labels).
    """
    rng = np.random.default_rng(seed)
    batch, length = shape["batch"], shape["length"]
    original = rng.integers(2, shape["vocab"], size=(batch, length), dtype=np.int32)
    predictions = math.ceil(round(MASK_RATE * length, 9))
    positions = np.sort(
        np.stack(
            [rng.choice(np.arange(1, length - 1), predictions, replace=False) for _ in range(batch)]
        ),  # fmt: skip
        axis=1,
    ).astype(np.int32)
    rows = np.arange(batch)[:, None]
    token_ids = original.copy()
    token_ids[rows, positions] = MASK_ID
    token_labels = np.full_like(original, -100)
    token_labels[rows, positions] = original[rows, positions]
    return {
        "original_ids": original,
        "token_ids": token_ids,
        "segment_ids": np.zeros_like(original),
        "masked_positions": positions,
        "masked_labels": original[rows, positions],
        "token_labels": token_labels,
    }


def time_steps(step, steps, warmup):
    """Runs `step()` `warmup` times untimed, then `steps` times timed.

    `step` must return only after its work is done (a loss read back to the host,
    outputs converted to numpy), so each wall time is the whole step.

    Returns:
        dict: `step_s` (list of wall seconds), `median_s`, `cpu_s` (process CPU
        seconds over the timed steps, all threads).
    """
    for _ in range(warmup):
        step()
    times = []
    cpu_start = time.process_time()
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    cpu = time.process_time() - cpu_start
    return {"step_s": times, "median_s": statistics.median(times), "cpu_s": cpu}


def measure(shape, train_step, infer_step):
    """Times the modes of `shape["modes"]`; returns the result fields of each mode."""
    tokens = shape["batch"] * shape["length"]
    out = {}
    for mode, step in (("train", train_step), ("infer", infer_step)):
        if mode not in shape["modes"]:
            continue
        timing = time_steps(step, shape["steps"], shape["warmup"])
        out[f"{mode}_step_s"] = timing["step_s"]
        out[f"{mode}_median_s"] = timing["median_s"]
        out[f"{mode}_tokens_per_s"] = tokens / timing["median_s"]
        out[f"{mode}_cpu_s_per_step"] = timing["cpu_s"] / shape["steps"]
    return out


def base_record(runner, shape, **extra):
    """The fields every JSON line carries: the runner, the shape, the machine state."""
    return {
        "runner": runner,
        "size": shape.get("size"),
        "layers": shape.get("layers"),
        "hidden": shape.get("hidden"),
        "heads": shape.get("heads"),
        "intermediate": shape.get("intermediate"),
        "vocab": shape.get("vocab"),
        "batch": shape.get("batch"),
        "length": shape.get("length"),
        "steps": shape.get("steps"),
        "warmup": shape.get("warmup"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_before": os.getloadavg()[0],
        **extra,
    }


def emit(record):
    """Prints `record` as the last stdout line (the driver reads that line)."""
    record["load_after"] = os.getloadavg()[0]
    sys.stdout.flush()
    print(json.dumps(record), flush=True)


def count_parameters(weights):
    """Total size of an iterable of arrays or variables (anything with `.shape`)."""
    return int(sum(int(np.prod(w.shape)) for w in weights))
