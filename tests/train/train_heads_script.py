"""Trains one model folder per head through the `tf-ner train` parser, then records
what the training process's own in-memory models say, for the fresh-process tests.

Usage: python tests/train/train_heads_script.py OUT_DIR HEAD[,HEAD...] [--mixed-precision POLICY]

Writes OUT_DIR/<head>/ (the model folder) and OUT_DIR/<head>.in_memory.json with the
test scores of the in-memory model, its predictions on the test texts, and
OUT_DIR/<head>.optimizer.npz with its optimizer's variables.
"""

import json
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))

from tests.train.corpus import tiny_examples  # noqa: E402
from tf_ner.cli import build_parser  # noqa: E402
from tf_ner.data import Example  # noqa: E402
from tf_ner.data.formats.jsonl import write_jsonl  # noqa: E402
from tf_ner.tasks.folder import read_task, read_tokenizer  # noqa: E402
from tf_ner.tasks.ner.recognizer import Recognizer  # noqa: E402

HEADS = ("crf", "softmax", "globalpointer", "efficient_globalpointer")


def mislabelled_examples():
    """Two test sentences whose gold entities differ from the corpus's rule (a type
    changed; a boundary moved, an entity dropped, HTML in the text), so that the error
    page of `tf-ner evaluate --errors` has errors to show."""
    first, second = tiny_examples(2, seed=4)
    (start, end, _), place, org = first.entities
    retyped = Example(first.text, [(start, end, "ORG"), place, org])
    person, (start, end, type_), _ = second.entities
    moved = Example(second.text + "<b>&amp;", [person, (start, end - 1, type_)])
    return [retyped, moved]


def main(out, heads, extra):
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(tiny_examples(32, seed=1), out / "train.jsonl")
    write_jsonl(tiny_examples(8, seed=2) + mislabelled_examples(), out / "test.jsonl")
    texts = [e.text for e in tiny_examples(6, seed=3)] + ["", "北京" * 30]
    (out / "texts.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
    for head in heads:
        folder = out / head
        argv = [
            "train",
            "--train", str(out / "train.jsonl"),
            "--test", str(out / "test.jsonl"),
            "--bert-size", "tiny",
            "--head", head,
            *(["--head-size", "16"] if "globalpointer" in head else []),
            "--max-length", "24",
            "--stride", "4",
            "--batch-size", "8",
            "--epochs", "10",
            "--max-steps", "24",
            "--learning-rate", "2e-3",
            "--warmup", "0",
            "--output-dir", str(folder),
            *extra,
        ]  # fmt: skip
        args = build_parser().parse_args(argv)
        result = args.run(args)
        task = read_task(folder)
        in_memory = Recognizer(result.model, task, read_tokenizer(folder, task))
        test = {k: v for k, v in result.test.items() if k != "report"}
        record = {"test": test, "predictions": in_memory.predict(texts)}
        (out / f"{head}.in_memory.json").write_text(json.dumps(record), encoding="utf-8")
        optimizer = result.model.optimizer
        np.savez(
            out / f"{head}.optimizer.npz",
            **{f"v{i}": np.asarray(v) for i, v in enumerate(optimizer.variables)},
        )


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]), sys.argv[2].split(","), sys.argv[3:])
