"""What the PyTorch references share: their flags, the model's shape, and the training
loop (a time budget, warmup, linear decay)."""

import argparse
import time

import torch
from transformers import BertConfig

from tf_ner.train.config import BERT_SIZES


def reference_parser(description, minutes, learning_rate):
    """The flags of a reference script; it adds its own for the sequence length."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--train", required=True)
    parser.add_argument("--test", required=True)
    parser.add_argument("--minutes", type=float, default=minutes)
    parser.add_argument("--bert-size", default="mini")
    parser.add_argument("--learning-rate", type=float, default=learning_rate)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", required=True)
    return parser


def reference_config(bert_size, vocab_size, num_labels):
    """Hugging Face's `BertConfig` of Google's compact shape `bert_size` (tf_ner's sizes)."""
    layers, hidden = BERT_SIZES[bert_size]
    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=hidden // 64,
        intermediate_size=4 * hidden,
        max_position_embeddings=512,
        num_labels=num_labels,
    )


def train_on_budget(model, optimizer, count, loss_of, args, rng):
    """Trains until `args.minutes` are spent; returns `(steps, training_seconds)`.

    Shuffled batches of `args.batch_size` rows (the last partial batch of an epoch left
    out), the rate `args.learning_rate * warm * (1 - elapsed / budget)` with a linear
    warmup over `args.warmup` steps, gradients clipped to norm 1.

    Args:
        model: the `torch.nn.Module` (put in training mode).
        optimizer: its optimizer.
        count: int, rows in the training set.
        loss_of: callable `(row_indices) -> loss tensor` of a batch.
        args: namespace with `minutes`, `batch_size`, `learning_rate`, `warmup`.
        rng: `numpy.random.Generator`, the batches' order.
    """
    budget = args.minutes * 60
    steps, started = 0, time.monotonic()
    model.train()
    while time.monotonic() - started < budget:
        order = rng.permutation(count)
        for first in range(0, len(order) - args.batch_size + 1, args.batch_size):
            elapsed = time.monotonic() - started
            if elapsed >= budget:
                break
            warm = min(1.0, (steps + 1) / args.warmup) if args.warmup else 1.0
            for group in optimizer.param_groups:
                group["lr"] = args.learning_rate * warm * max(0.0, 1 - elapsed / budget)
            loss_of(order[first : first + args.batch_size]).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            optimizer.zero_grad()
            steps += 1
    return steps, time.monotonic() - started
