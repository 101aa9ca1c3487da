"""tf_ner over a real epoch, run as `tf-ner train` runs it.

The prepared slice (`slice.jsonl`) is the training file of a `TrainConfig`, and the
encoder a random checkpoint of the benchmark's shape over the prepared vocabulary
(`--bert-dir`, so the token ids are Hugging Face's). `tf_ner.train.loop.prepare` reads
and encodes it (the task's `labelled_data`, buckets, `--batch-size` or
`--batch-tokens`), `build` makes the compiled model; then `model.fit` runs the untimed
warm-up batches (the one trace of the train step, timed apart as `first_fit_s`) and one
timed epoch with the loop's own callbacks (`training_callbacks`).

The training is `tf-ner train`'s with a `--bert-dir` (its defaults for a checkpoint):
`AdamWeightDecay` at peak `harness.LEARNING_RATE` (epsilon 1e-6, bias correction,
weight decay `harness.WEIGHT_DECAY` except LayerNorm and biases), gradients clipped to
global norm 1.0, `WarmupLinearDecay`: warmup over 10% of the epoch's steps, then
linear decay to 0 at the epoch's last step. The untimed warm-up batches count as steps
of that schedule, so the timed epoch's last `--warmup` steps run at rate 0. Dropout is
the checkpoint's, `--dropout` (default `harness.DROPOUT`), for the encoder and the head,
read back from the model's dropout layers into the record (`dropout.*`, as `recipe.py`
names them). The CRF transitions train at 1000x the rate (the fine-tuning default).
The Hugging Face runner (`hf_epoch_runner.py`) differs: a constant rate, no clipping,
epsilon 1e-8, weight decay on every parameter.

Real (non-padding) tokens per second = the slice's tokens ([CLS]/[SEP] included) /
the epoch's wall time. Windows drawn again to fill a batch (`--batch-size` fills the
epoch's last batch; `--batch-tokens` needs none) cost time but are not credited;
`tokens_per_update` counts them (what each optimizer update sees).

    python benchmarks/peers/ours_epoch_runner.py --prepared /tmp/epoch --head crf
    python benchmarks/peers/ours_epoch_runner.py --prepared /tmp/epoch --head crf \
        --batch-tokens 1536
"""

import argparse
import json
import os
import pathlib
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import dense_head  # noqa: E402, F401  (registers the `dense` head)
import harness  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import recipe  # noqa: E402
import tensorflow as tf  # noqa: E402

from tf_ner.bert import write_random_checkpoint  # noqa: E402
from tf_ner.train import TrainConfig  # noqa: E402
from tf_ner.train.loop import build, prepare, training_callbacks  # noqa: E402

HEADS = ("crf", "globalpointer", "softmax", "efficient_globalpointer", "dense")


def write_checkpoint(prepared, shape, folder):
    """A random checkpoint of `shape` whose vocabulary is the prepared one, id for id."""
    vocab = (pathlib.Path(prepared) / "vocab.txt").read_text(encoding="utf-8").splitlines()
    fields = harness.bert_config_fields(shape, len(vocab))
    del fields["vocab_size"]
    write_random_checkpoint(folder, tokens=vocab, max_position_embeddings=512, **fields)
    written = (pathlib.Path(folder) / "vocab.txt").read_text(encoding="utf-8").splitlines()
    if written != vocab:
        raise SystemExit(f"{prepared}/vocab.txt does not start with the special tokens")


def epoch_counts(data):
    """Real and padded positions, and windows, of the first epoch's plan (fills included)."""
    lengths = np.array([len(ids) for ids in data.encoded.token_ids])
    real = padded = windows = 0
    for length, rows in data.batches.plan(0):
        real += int(lengths[rows].sum())
        padded += len(rows) * length
        windows += len(rows)
    return real, padded, windows


def run_head(args, shape, head, info, checkpoint, threads):
    keras.utils.set_random_seed(args.seed)
    with tempfile.TemporaryDirectory() as out:
        budget = {"batch_tokens": args.batch_tokens} if args.batch_tokens else {}
        config = TrainConfig.from_flags(
            train=str(pathlib.Path(args.prepared) / "slice.jsonl"),
            output_dir=out,
            bert_dir=str(checkpoint),
            head=head,
            max_length=info["max_length"],
            stride=info["stride"],
            buckets=tuple(args.buckets) if args.buckets else None,
            epochs=1,
            batch_size=args.batch if not args.batch_tokens else 32,
            learning_rate=harness.LEARNING_RATE,
            weight_decay=harness.WEIGHT_DECAY,
            seed=args.seed,
            jit_compile=args.xla,
            **budget,
        )
        run = prepare(config)
        model = build(run)
        data = run.splits["train"][2]
        lengths = [len(ids) for ids in data.encoded.token_ids]
        feed = "tf-ner train, " + (
            f"--batch-tokens {args.batch_tokens}" if args.batch_tokens else f"batch {args.batch}"
        )
        record = harness.base_record(
            f"ours-{head}" + ("-xla" if args.xla else ""),
            shape,
            framework="tf_ner (Keras 3)",
            head=head,
            feed=feed,
            buckets=list(data.bucket_lengths),
            batch_tokens=args.batch_tokens,
            xla=args.xla,
            compile_update=config.compile_update,
            length=info["max_length"],
            vocab=run.tokenizer.vocab_size,
            versions={"tensorflow": tf.__version__, "keras": keras.__version__},
            threads=threads,
            **recipe.dropout_settings(recipe.keras_dropout_sites(model)),
        )
        start = time.perf_counter()
        if args.warmup:
            model.fit(data.dataset.take(args.warmup), epochs=1, verbose=0)
        first_fit = time.perf_counter() - start
        callbacks, _ = training_callbacks(run)
        before = int(model.optimizer.iterations.numpy())
        start = time.perf_counter()
        cpu_start = time.process_time()
        history = model.fit(data.dataset, epochs=1, callbacks=callbacks, verbose=0)
        wall = time.perf_counter() - start
        cpu_s = time.process_time() - cpu_start
        steps = int(model.optimizer.iterations.numpy()) - before
        if steps != len(data.batches):
            raise SystemExit(f"the epoch ran {steps} steps, its plan holds {len(data.batches)}")
        planned_real, padded, windows = epoch_counts(data)
        loss = float(history.history["loss"][-1])
        record.update(
            harness.epoch_measurements(
                info, len(lengths), sum(lengths), padded, steps, wall, cpu_s, loss
            )
        )
        # Padding efficiency and tokens per update over what the epoch computed.
        record.update(
            padding_efficiency=planned_real / padded,
            tokens_per_update=planned_real / steps,
            windows_per_update=windows / steps,
            first_fit_s=first_fit,
            warmup=args.warmup,
        )
        harness.emit(record)
    keras.backend.clear_session()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--prepared", required=True, help="folder written by msra_prepare.py")
    p.add_argument("--head", default="crf", help=f"comma list of heads: {','.join(HEADS)}")
    p.add_argument("--size", default="mini", choices=sorted(harness.SHAPES), help="model shape")
    p.add_argument("--batch", type=int, default=32, help="windows per batch (--batch-size)")
    p.add_argument("--batch-tokens", type=int, default=None, help="padded tokens per batch instead")
    p.add_argument(
        "--buckets", default=None, help="comma list of bucket lengths (default: tf_ner's)"
    )
    p.add_argument("--warmup", type=int, default=3, help="untimed batches before the epoch")
    p.add_argument("--xla", action="store_true", help="compile the train step with XLA")
    p.add_argument(
        "--dropout", type=float, default=harness.DROPOUT, help="encoder and head dropout"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the weights and the order")
    p.add_argument("--threads", type=int, default=0, help="intra-op threads (0: TF's default)")
    args = p.parse_args()
    threads = harness.set_tf_threads(tf, args.threads)
    if args.buckets:
        args.buckets = [int(b) for b in args.buckets.split(",")]
    shape = dict(harness.SHAPES[args.size], size=args.size, batch=args.batch)
    shape.update(steps=None, warmup=args.warmup, dropout=args.dropout)
    prepared = pathlib.Path(args.prepared)
    info = json.loads((prepared / "slice.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as checkpoint:
        write_checkpoint(prepared, shape, checkpoint)
        for head in args.head.split(","):
            if head not in HEADS:
                raise SystemExit(f"--head {head!r}: expected one of {', '.join(HEADS)}")
            run_head(args, shape, head, info, checkpoint, threads)


if __name__ == "__main__":
    main()
