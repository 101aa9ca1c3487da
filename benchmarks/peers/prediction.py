"""What the prediction runners share: the corpora, the timed call, the JSON record.

Imports only the standard library, so each runner chooses its framework before
anything imports TensorFlow or PyTorch. The prepared folder (`predict_prepare.py`)
holds one text per line in `sentences.txt`, `documents.txt` and `one.txt`, and the
Hugging Face copy of the model in `hf/`.

A runner prints one JSON line per measurement (`emit`): the corpus, texts and
characters, the seconds of the timed call, and `batch_shapes`, the `[rows, length]`
of every forward batch, padding included, from which the driver counts FLOPs.
"""

import dataclasses
import hashlib
import json
import os
import pathlib
import random
import sys
import time

CORPORA = ("sentences", "documents")
HF_DIR = "hf"
STARTUP_TEXT_FILE = "one.txt"


def corpus_file(prepared, corpus):
    """The one-text-per-line file of a corpus in the prepared folder."""
    return pathlib.Path(prepared) / f"{corpus}.txt"


def read_texts(path):
    """The texts of a one-text-per-line file (the final newline ends the last text)."""
    text = pathlib.Path(path).read_text(encoding="utf-8")
    return text[:-1].split("\n") if text.endswith("\n") else text.split("\n")


def write_texts(texts, path):
    """Writes one text per line; a text holding a line break is refused."""
    for index, text in enumerate(texts):
        if "\n" in text or "\r" in text or not text:
            raise ValueError(f"text {index} is empty or holds a line break: {text[:40]!r}")
    pathlib.Path(path).write_text("\n".join(texts) + "\n", encoding="utf-8")


def join_documents(texts, shortest=1000, longest=3000, seed=0):
    """Consecutive texts joined (with nothing between them) into paragraphs.

    Each paragraph takes texts until the next would pass a length drawn uniformly from
    `[shortest, longest]`, once it holds at least `shortest` characters; a short
    remainder at the end joins the last paragraph. Every text is used once, in order.

    Returns:
        list of str.
    """
    rng = random.Random(seed)
    documents, current, target = [], "", rng.randint(shortest, longest)
    for text in texts:
        if len(current) >= shortest and len(current) + len(text) > target:
            documents.append(current)
            current, target = "", rng.randint(shortest, longest)
        current += text
    if documents and len(current) < shortest:
        documents[-1] += current
    elif current:
        documents.append(current)
    return documents


def overlapping_windows(recognizer):
    """`recognizer` with sentence cuts off: the windows of its long texts overlap by the
    model's stride everywhere, as the Hugging Face runners' windows do."""
    task = recognizer.task
    task.settings = dataclasses.replace(task.settings, sentence_cuts=False)
    return recognizer


def span_set(spans_per_text):
    """Every text's spans as one set of `(text index, start, end, type)` (a score after
    the type is left out)."""
    return {(i, *span[:3]) for i, spans in enumerate(spans_per_text) for span in spans}


def document_gold(documents, examples):
    """Each document's gold spans: the consecutive `examples` it joins, their entities
    moved by where each text starts in it."""
    gold, remaining = [], iter(examples)
    for index, document in enumerate(documents):
        spans, position = [], 0
        while position < len(document):
            example = next(remaining, None)
            if example is None or not document.startswith(example.text, position):
                raise SystemExit(f"document {index} is not the sentences joined in order")
            spans += [(s + position, e + position, t) for s, e, t in example.entities]
            position += len(example.text)
        gold.append(spans)
    return gold


def spans_digest(spans_per_text):
    """A short digest of every text's `(start, end, type)` spans, to compare runs."""
    canonical = json.dumps([sorted(map(list, spans)) for spans in spans_per_text])
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def timed(call):
    """`(result, wall seconds, process CPU seconds)` of `call()`."""
    cpu, start = time.process_time(), time.perf_counter()
    result = call()
    return result, time.perf_counter() - start, time.process_time() - cpu


def record(runner, corpus, texts, seconds, **fields):
    """The fields every measurement carries."""
    return {
        "runner": runner,
        "corpus": corpus,
        "texts": len(texts),
        "characters": sum(len(t) for t in texts),
        "seconds": seconds,
        "texts_per_s": len(texts) / seconds,
        "characters_per_s": sum(len(t) for t in texts) / seconds,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        **fields,
    }


def onnx_threads():
    """ONNX Runtime's intra-op threads for a runner: `OMP_NUM_THREADS` where the driver
    sets it (`--threads`), else None (ONNX Runtime's default, the physical cores)."""
    return int(os.environ.get("OMP_NUM_THREADS", 0)) or None


def emit(values):
    sys.stdout.flush()
    print(json.dumps(values), flush=True)
