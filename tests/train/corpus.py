"""A tiny, deterministic NER corpus for the training tests, and the `tf-ner train` command."""

import random
import sys

from tf_ner.data import Example
from tf_ner.data.formats.jsonl import write_jsonl

PEOPLE = ["张三", "李四", "王五", "赵六", "孙七"]
PLACES = ["北京", "上海", "广州", "深圳", "南京"]
ORGS = ["人民银行", "长江大学", "中国银行"]


def tiny_examples(count, seed=0):
    """`count` short sentences with PER, LOC and ORG entities (character spans)."""
    rng = random.Random(seed)
    examples = []
    for _ in range(count):
        person, place, org = rng.choice(PEOPLE), rng.choice(PLACES), rng.choice(ORGS)
        text = f"{person}昨天去{place}的{org}开会"
        at = len(person) + 3
        entities = [
            (0, len(person), "PER"),
            (at, at + len(place), "LOC"),
            (at + len(place) + 1, at + len(place) + 1 + len(org), "ORG"),
        ]
        examples.append(Example(text, entities))
    return examples


def write_corpus(folder, count=24, seed=0):
    """Writes `train.jsonl` with `count` examples into `folder`; returns its path."""
    path = folder / "train.jsonl"
    write_jsonl(tiny_examples(count, seed), path)
    return path


def train_command(train_file, output_dir, *flags):
    """`python -m tf_ner.cli train` on a tiny encoder, plus `flags`."""
    return [
        sys.executable,
        "-m",
        "tf_ner.cli",
        "train",
        "--train",
        str(train_file),
        "--bert-size",
        "tiny",
        "--head",
        "crf",
        "--max-length",
        "32",
        "--stride",
        "8",
        "--output-dir",
        str(output_dir),
        *flags,
    ]
