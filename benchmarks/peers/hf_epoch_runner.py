"""Hugging Face over a real epoch, fed as `Trainer` feeds it, on the windows tf_ner prepared.

The batches come from what `transformers.Trainer` builds by default, assembled here
without `Trainer` itself: a `torch.utils.data.DataLoader` (no workers, last batch
kept) over the windows, sampled by
    default   `torch.utils.data.RandomSampler` (Trainer's default): random batches,
    grouped   `transformers.trainer_pt_utils.LengthGroupedSampler` (`group_by_length=True`):
              mega-batches of 50 batches sorted by length,
and collated by `transformers.DataCollatorForTokenClassification` (pads each batch to
its longest window; labels -100) with a `BertTokenizerFast` over the same vocab.txt.
Each step: forward with labels (the mean cross-entropy over the batch's labelled
tokens), `loss.backward()`, `torch.optim.AdamW.step()`, `zero_grad`. The optimizer is
`torch.optim.AdamW(lr=harness.LEARNING_RATE, weight_decay=harness.WEIGHT_DECAY)` with
PyTorch's other defaults: a constant rate (no warmup, no decay), no gradient clipping,
epsilon 1e-8, bias correction, weight decay on every parameter (LayerNorm and biases
too); dropout `--dropout` (default `harness.DROPOUT`) at the hidden, attention and
classifier sites, read back into the record as `dropout.*`. The tf_ner runner
(`ours_epoch_runner.py`) differs: it trains as `tf-ner train` does, with warmup and
decay, clipping and epsilon 1e-6.

`--attention eager` runs BERT's attention as separate PyTorch ops instead of
`scaled_dot_product_attention` (the default, whose fused CPU kernel runs only without
dropout); the runner is then named `hf-<feed>-eager`.

Real tokens/s = the slice's tokens / the wall time of one epoch, after a few untimed
warm-up batches.

    python benchmarks/peers/hf_epoch_runner.py --prepared /tmp/epoch --feed default
"""

import argparse
import json
import os
import pathlib
import time

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import harness  # noqa: E402
import numpy as np  # noqa: E402
import recipe  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from transformers.trainer_pt_utils import LengthGroupedSampler  # noqa: E402

FEEDS = ("default", "grouped")


def load_windows(prepared):
    arrays = np.load(pathlib.Path(prepared) / "windows.npz")
    cuts = np.cumsum(arrays["lengths"])[:-1]
    ids = np.split(arrays["token_ids"], cuts)
    labels = np.split(arrays["labels"], cuts)
    return [
        {"input_ids": i.tolist(), "labels": y.tolist()} for i, y in zip(ids, labels, strict=True)
    ]


def make_loader(windows, feed, batch, collator, seed):
    generator = torch.Generator()
    generator.manual_seed(seed)
    if feed == "default":
        sampler = torch.utils.data.RandomSampler(windows, generator=generator)
    else:
        sampler = LengthGroupedSampler(
            batch, lengths=[len(w["input_ids"]) for w in windows], generator=generator
        )
    return torch.utils.data.DataLoader(
        windows, batch_size=batch, sampler=sampler, collate_fn=collator, drop_last=False
    )


def run_feed(args, shape, feed, windows, info, tokenizer):
    torch.manual_seed(args.seed)
    config = transformers.BertConfig(
        **harness.bert_config_fields(shape, info["vocab_size"]),
        num_labels=info["num_tags"],
        attn_implementation=args.attention,
    )
    model = transformers.BertForTokenClassification(config)
    model.train()
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=harness.LEARNING_RATE, weight_decay=harness.WEIGHT_DECAY
    )
    collator = transformers.DataCollatorForTokenClassification(tokenizer)

    def step(batch):
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss.item()

    attention = model.config._attn_implementation
    record = harness.base_record(
        f"hf-{feed}" + ("" if attention == "sdpa" else f"-{attention}"),
        shape,
        framework="Hugging Face transformers (PyTorch)",
        head="softmax",
        feed=f"{feed}: "
        + ("RandomSampler" if feed == "default" else "LengthGroupedSampler")
        + " + DataCollatorForTokenClassification",
        length=info["max_length"],
        vocab=info["vocab_size"],
        versions={"torch": torch.__version__, "transformers": transformers.__version__},
        threads={"intra_op": torch.get_num_threads()},
        attention=attention,
        **recipe.dropout_settings(recipe.torch_dropout_sites(model)),
    )
    warm = make_loader(windows, feed, shape["batch"], collator, args.seed + 1)
    for k, batch in enumerate(warm):
        if k >= args.warmup:
            break
        step(batch)
    loader = make_loader(windows, feed, shape["batch"], collator, args.seed)
    real = padded = steps = 0
    start = time.perf_counter()
    cpu_start = time.process_time()
    for batch in loader:
        loss = step(batch)
        real += int(batch["attention_mask"].sum())
        padded += batch["input_ids"].numel()
        steps += 1
    wall = time.perf_counter() - start
    cpu_s = time.process_time() - cpu_start
    record.update(
        harness.epoch_measurements(info, len(windows), real, padded, steps, wall, cpu_s, loss)
    )
    record.update(tokens_per_update=real / steps, windows_per_update=len(windows) / steps)
    harness.emit(record)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--prepared", required=True, help="folder written by msra_prepare.py")
    p.add_argument("--feed", default="default", help=f"comma list of feeds: {','.join(FEEDS)}")
    p.add_argument("--size", default="mini", choices=sorted(harness.SHAPES), help="model shape")
    p.add_argument("--batch", type=int, default=32, help="windows per batch")
    p.add_argument("--warmup", type=int, default=3, help="untimed batches before the epoch")
    p.add_argument(
        "--attention",
        default="sdpa",
        choices=("sdpa", "eager"),
        help="attention implementation (sdpa: transformers' default)",
    )
    p.add_argument(
        "--dropout", type=float, default=harness.DROPOUT, help="encoder and head dropout"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the weights and the order")
    p.add_argument("--threads", type=int, default=0, help="intra-op threads (0: torch's default)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    shape = dict(harness.SHAPES[args.size], size=args.size, batch=args.batch)
    shape.update(steps=None, warmup=args.warmup, dropout=args.dropout)
    prepared = pathlib.Path(args.prepared)
    info = json.loads((prepared / "slice.json").read_text(encoding="utf-8"))
    windows = load_windows(prepared)
    tokenizer = transformers.BertTokenizerFast(vocab_file=str(prepared / "vocab.txt"))
    for feed in args.feed.split(","):
        if feed not in FEEDS:
            raise SystemExit(f"--feed {feed!r}: expected one of {', '.join(FEEDS)}")
        run_feed(args, shape, feed, windows, info, tokenizer)


if __name__ == "__main__":
    main()
