"""tf_ner over a real epoch: the prepared slice through `Task.labelled_data` and `fit`.

Real (non-padding) tokens per second = the slice's tokens ([CLS]/[SEP] included) /
the wall time of one `model.fit(dataset, epochs=1)`, after a few untimed warm-up
batches (tracing). Every batch has `--batch` windows (the shuffled pipeline fills the
last batch of each bucket with windows drawn again; those repeats are not counted).

    python benchmarks/peers/ours_epoch_runner.py --prepared /tmp/epoch --head crf
"""

import argparse
import math
import os
import pathlib
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import harness  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from msra_prepare import load_slice, msra_train_path  # noqa: E402

from tf_ner.bert.config import BertConfig  # noqa: E402
from tf_ner.bert.tokenization import Tokenizer  # noqa: E402
from tf_ner.data.buckets import check_buckets  # noqa: E402
from tf_ner.optimization import AdamWeightDecay  # noqa: E402
from tf_ner.tasks.ner.task import NerSettings, NerTask  # noqa: E402

HEADS = ("crf", "globalpointer", "softmax", "efficient_globalpointer")


def padded_tokens(lengths, buckets, batch):
    """Positions the bucketed epoch computes: full batches of each bucket's length."""
    counts = {}
    for n in lengths:
        bucket = next(b for b in buckets if n <= b)
        counts[bucket] = counts.get(bucket, 0) + 1
    steps = sum(math.ceil(c / batch) for c in counts.values())
    return steps, sum(math.ceil(c / batch) * batch * b for b, c in counts.items())


def run_head(args, shape, head, examples, info, tokenizer, threads):
    keras.utils.set_random_seed(args.seed)
    task = NerTask(
        NerSettings(
            head=head, types=info["types"], max_length=info["max_length"], stride=info["stride"]
        )
    )
    buckets = check_buckets(args.buckets, info["max_length"])
    # The data and model `tf-ner train` builds (`Task.labelled_data`, `Task.build_model`).
    data = task.labelled_data(
        examples, tokenizer, shape["batch"], shuffle=True, seed=args.seed, buckets=buckets
    )
    dataset = data.dataset
    lengths = [len(ids) for ids in data.encoded.token_ids]
    real = sum(lengths)
    steps, padded = padded_tokens(lengths, buckets, shape["batch"])
    config = BertConfig(**harness.bert_config_fields(shape, tokenizer.vocab_size))
    model = task.build_model(config)
    optimizer = AdamWeightDecay(
        learning_rate=harness.LEARNING_RATE, weight_decay_rate=harness.WEIGHT_DECAY
    )
    task.compile(model, optimizer, jit_compile=args.xla)
    record = harness.base_record(
        f"ours-{head}" + ("-xla" if args.xla else ""),
        shape,
        framework="tf_ner (Keras 3)",
        head=head,
        feed=f"Task.labelled_data, buckets {list(buckets)}",
        xla=args.xla,
        length=info["max_length"],
        vocab=tokenizer.vocab_size,
        versions={"tensorflow": tf.__version__, "keras": keras.__version__},
        threads=threads,
    )
    if args.warmup:
        model.fit(dataset.take(args.warmup), epochs=1, verbose=0)
    start = time.perf_counter()
    cpu_start = time.process_time()
    history = model.fit(dataset, epochs=1, verbose=0)
    wall = time.perf_counter() - start
    cpu_s = time.process_time() - cpu_start
    loss = float(history.history["loss"][-1])
    record.update(
        harness.epoch_measurements(info, len(lengths), real, padded, steps, wall, cpu_s, loss)
    )
    harness.emit(record)
    keras.backend.clear_session()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--prepared", required=True, help="folder written by msra_prepare.py")
    p.add_argument("--data", default=None, help="the training file prepared (default: MSRA)")
    p.add_argument("--head", default="crf", help=f"comma list of heads: {','.join(HEADS)}")
    p.add_argument("--size", default="mini", choices=sorted(harness.SHAPES), help="model shape")
    p.add_argument("--batch", type=int, default=32, help="windows per batch")
    p.add_argument(
        "--buckets",
        default=None,
        help="comma list of bucket lengths (default: tf_ner's default_buckets)",
    )
    p.add_argument("--warmup", type=int, default=3, help="untimed batches before the epoch")
    p.add_argument("--xla", action="store_true", help="compile the train step with XLA")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights and the order")
    p.add_argument("--threads", type=int, default=0, help="intra-op threads (0: TF's default)")
    args = p.parse_args()
    threads = harness.set_tf_threads(tf, args.threads)
    if args.buckets:
        args.buckets = [int(b) for b in args.buckets.split(",")]
    shape = dict(harness.SHAPES[args.size], size=args.size, batch=args.batch)
    shape.update(steps=None, warmup=args.warmup)
    data = pathlib.Path(args.data) if args.data else msra_train_path()
    examples, info = load_slice(data, args.prepared)
    tokenizer = Tokenizer(str(pathlib.Path(args.prepared) / "vocab.txt"))
    for head in args.head.split(","):
        if head not in HEADS:
            raise SystemExit(f"--head {head!r}: expected one of {', '.join(HEADS)}")
        run_head(args, shape, head, examples, info, tokenizer, threads)


if __name__ == "__main__":
    main()
