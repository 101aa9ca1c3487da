"""Where prediction's time goes: cProfiles of `Recognizer.predict` and `tf-ner predict`.

    python benchmarks/predict_profile.py --model runs/demo_msra_crf --texts 5000 \
        --output benchmarks/results/predict_profile.txt

1. `Recognizer.predict` on the first `--texts` MSRA test texts, in this process,
   after loading the folder and one warm-up call (so tracing is left out; it shows
   in part 2): the top entries by cumulative and by own time.
2. `tf-ner predict` on one text in a fresh process: its wall time unprofiled, and a
   profile of everything after the TensorFlow import (the other imports, loading the
   folder, tracing the forward function, predicting, writing).
3. TensorFlow's own profile of the forward function over the same texts' batches:
   the ops' self time by part of the model and by op type.

cProfile slows Python-heavy code more than TensorFlow's kernels; the wall seconds of
the unprofiled call are printed beside. Writes the summaries as text to `--output`.
"""

import argparse
import collections
import cProfile
import io
import json
import os
import pathlib
import pstats
import re
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # this checkout's tf_ner, here and in the child
CHILD_ENV = dict(os.environ, PYTHONPATH=str(REPO_ROOT))


def summary(stats, sort, limit):
    """The top `limit` entries of `stats` by `sort`, paths shortened."""
    out = io.StringIO()
    pstats.Stats(stats, stream=out).strip_dirs().sort_stats(sort).print_stats(limit)
    text = out.getvalue()
    return text[text.index("   ncalls") :] if "   ncalls" in text else text


def profile_predict(model_dir, texts, batch_size, limit):
    import tf_ner

    recognizer = tf_ner.load(model_dir)
    recognizer.predict(texts[:8], batch_size)
    start = time.perf_counter()
    recognizer.predict(texts, batch_size)
    plain = time.perf_counter() - start
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.runcall(recognizer.predict, texts, batch_size)
    profiled = time.perf_counter() - start
    return [
        f"## 1. Recognizer.predict on {len(texts):,} texts (batch {batch_size}), warm",
        "",
        f"Wall: {plain:.2f} s unprofiled, {profiled:.2f} s under cProfile.",
        "",
        "By cumulative time:",
        summary(profiler, "cumulative", limit),
        "By own time:",
        summary(profiler, "tottime", limit),
    ]


STARTUP_CHILD = """
import json, cProfile, sys, time
start = time.perf_counter()
from tf_ner.ground.quiet import import_tensorflow_quietly
import_tensorflow_quietly()
imported = time.perf_counter()
from tf_ner.cli import main
profiler = cProfile.Profile()
profiler.runcall(main, sys.argv[2:])
profiler.dump_stats(sys.argv[1])
print(json.dumps({"tensorflow": imported - start, "rest": time.perf_counter() - imported}))
"""


def profile_startup(model_dir, text, limit):
    """`tf-ner predict` on one text: the whole process unprofiled, then a profile of what
    follows the TensorFlow import."""
    with tempfile.TemporaryDirectory() as folder:
        folder = pathlib.Path(folder)
        (folder / "one.txt").write_text(text + "\n", encoding="utf-8")
        stats = folder / "startup.prof"
        predict = ["predict", "--model", str(model_dir), "--input", str(folder / "one.txt"),
                   "--output", str(folder / "out.jsonl"), "--format", "lines"]  # fmt: skip
        start = time.perf_counter()
        run = dict(check=True, capture_output=True, cwd=REPO_ROOT, env=CHILD_ENV, text=True)
        subprocess.run([sys.executable, "-m", "tf_ner.cli", *predict], **run)
        whole = time.perf_counter() - start
        child = subprocess.run([sys.executable, "-c", STARTUP_CHILD, str(stats), *predict], **run)
        phases = json.loads(child.stdout.strip().splitlines()[-1])
        return [
            "## 2. `tf-ner predict` on one text",
            "",
            f"Wall: {whole:.2f} s for the whole process unprofiled. Profiled run: "
            f"{phases['tensorflow']:.2f} s to import TensorFlow (unprofiled), then "
            f"{phases['rest']:.2f} s for the rest of `tf_ner.cli.main` under cProfile:",
            "",
            "By cumulative time:",
            summary(str(stats), "cumulative", limit),
            "By own time:",
            summary(str(stats), "tottime", limit),
        ]


def model_part(op_name):
    """The part of the model an op of the forward graph belongs to, from its name scope."""
    scopes = [re.sub(r"_\d+$", "", scope) for scope in op_name.split("/")]
    if "crf" in scopes:
        return "CRF Viterbi"
    if "embeddings" in scopes:
        return "embeddings (gathers, LayerNorm)"
    if "self" in scopes:
        return "self-attention (Q/K/V dense, head transposes, scores, softmax, context)"
    if "attention" in scopes:
        return "attention output dense + residual + LayerNorm"
    if "intermediate" in scopes:
        return "FFN intermediate dense + GELU"
    if "output" in scopes:
        return "FFN output dense + residual + LayerNorm"
    if "emissions" in scopes:
        return "tag classifier"
    return "other (masks, casts)"


def profile_ops(model_dir, texts, batch_size, limit):
    """TensorFlow's op profile of the forward function over the prediction batches.

    Reads the trace with TensorFlow's profiler plugin converter (not a public API).
    """
    import tensorflow as tf
    from tensorflow.python.profiler.internal import _pywrap_profiler_plugin

    import tf_ner
    from tf_ner.data.prediction_batches import make_prediction_batches
    from tf_ner.tasks.base import forward_function

    recognizer = tf_ner.load(model_dir)
    s = recognizer.settings
    batches = make_prediction_batches(texts, recognizer.tokenizer, s.max_length, s.stride,
                                      batch_size)  # fmt: skip
    batches = list(batches.dataset.as_numpy_iterator())
    forward = forward_function(recognizer.model)
    forward(batches[0])
    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        for features in batches:
            outputs = forward(features)
            outputs["tags"].numpy(), outputs["emissions"].numpy()
        tf.profiler.experimental.stop()
        paths = [str(path) for path in pathlib.Path(logdir).rglob("*.xplane.pb")]
        data, _ = _pywrap_profiler_plugin.xspace_to_tools_data(paths, "framework_op_stats", {})
    table = json.loads(data)[0]
    columns = [column["id"] for column in table["cols"]]
    rows = [dict(zip(columns, [c and c.get("v") for c in row["c"]], strict=True))
            for row in table["rows"]]  # fmt: skip
    rows = [row for row in rows if row["type"] != "IDLE"]
    total = sum(row["total_self_time"] for row in rows)
    by_type, by_part = collections.Counter(), collections.Counter()
    for row in rows:
        by_type[row["type"]] += row["total_self_time"]
        by_part[model_part(row["operation"])] += row["total_self_time"]

    def shares(counter, count):
        return [f"| {name} | {us / 1e3:,.0f} | {us / total:.1%} |"
                for name, us in counter.most_common(count)]  # fmt: skip

    tokens = sum(features["token_ids"].size for features in batches)
    return [
        f"## 3. TensorFlow ops of the forward function ({len(batches)} batches, {tokens:,} "
        "tokens with padding)",
        "",
        f"Self time of the ops, {total / 1e6:.2f} s in all (the executor's idle time left "
        "out; concurrent ops overlap).",
        "",
        "| model part | ms | share |",
        "|---|--:|--:|",
        *shares(by_part, limit),
        "",
        "| op type | ms | share |",
        "|---|--:|--:|",
        *shares(by_type, 12),
        "",
    ]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="runs/demo_msra_crf", help="a tf_ner NER model folder")
    p.add_argument("--texts", type=int, default=5000, help="MSRA test texts to predict")
    p.add_argument("--batch-size", type=int, default=64, help="windows per batch")
    p.add_argument("--limit", type=int, default=30, help="entries per summary")
    p.add_argument("--output", default=None, help="text file to write (default: print only)")
    args = p.parse_args()
    from tf_ner.data import read_dataset
    from tf_ner.demo import msra_files

    texts = [e.text for e in read_dataset(msra_files()[1], repair=True)][: args.texts]
    lines = [
        "# Profile of prediction",
        "",
        f"Command: `python benchmarks/predict_profile.py {' '.join(sys.argv[1:])}`; load "
        f"average at the start {tuple(round(x, 2) for x in os.getloadavg())} on "
        f"{os.cpu_count()} CPUs.",
        "",
        *profile_predict(args.model, texts, args.batch_size, args.limit),
        *profile_startup(args.model, texts[0], args.limit),
        *profile_ops(args.model, texts, args.batch_size, args.limit),
    ]
    text = "\n".join(lines)
    print(text)
    if args.output:
        pathlib.Path(args.output).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
