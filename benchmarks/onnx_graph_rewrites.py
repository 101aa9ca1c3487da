"""What ONNX Runtime's graph rewrites cost or buy on tf_ner's exported graph.

    python benchmarks/peers/predict_prepare.py --model MODEL --out PREPARED --onnx
    python benchmarks/onnx_graph_rewrites.py --model MODEL --prepared PREPARED --rounds 5

One process, ONNX Runtime's CPU sessions of the same graphs over the same batches: the
prediction batches (`make_prediction_batches`, batch 32, the model's windows) of the
prepared sentences and documents. In a round each session makes one pass over a
corpus's batches, one session after another in an order rotated every round (not
batch by batch: a session's threads spin a while after each call and would slow the
next session's); the figures are medians over the rounds of each session's seconds
per pass, with the least and the most, and ratios the medians of the same round's
ratios (`benchmarks/rounds.py`).

Sessions:

- `tf_ner` (`tf_ner.tasks.onnx.inference_session`): the folder's `model.onnx`, every
  rewrite but `DISABLED_REWRITES`;
- `every rewrite`: the same graph, ONNX Runtime's defaults;
- `Hugging Face plain export`: the same weights exported by PyTorch (the prepared
  `hf/model.onnx`, `peers/hf_onnx.py`), on the same token ids, its attention mask the
  non-padding positions.
"""

import argparse
import datetime
import os
import pathlib
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks" / "peers"))

import hf_onnx  # noqa: E402
import numpy as np  # noqa: E402
import prediction  # noqa: E402

from benchmarks import rounds  # noqa: E402
from benchmarks.processes import machine, machine_line  # noqa: E402
from benchmarks.results_file import write_results  # noqa: E402

OURS = "tf_ner"
EVERY_REWRITE = "every rewrite"
HF = "Hugging Face plain export"
BATCH_SIZE = 32


def sessions(model_dir, prepared):
    """`{name: call}`, each call running one int32 batch of token ids."""
    import onnxruntime

    from tf_ner.tasks.onnx import inference_session

    graph = pathlib.Path(model_dir) / "model.onnx"
    ours = inference_session(graph)
    every = onnxruntime.InferenceSession(str(graph), providers=["CPUExecutionProvider"])
    hf = hf_onnx.session(pathlib.Path(prepared) / prediction.HF_DIR / hf_onnx.GRAPHS["onnx"])

    def tf_ner_call(session):
        names = [output.name for output in session.get_outputs()]
        return lambda ids: session.run(names, {"token_ids": ids, "segment_ids": 0 * ids})

    return {
        OURS: tf_ner_call(ours),
        EVERY_REWRITE: tf_ner_call(every),
        HF: lambda ids: hf_onnx.logits(hf, ids.astype(np.int64)),
    }


def corpus_batches(recognizer, prepared, corpus):
    """The int32 token ids of each prediction batch of a prepared corpus."""
    from tf_ner.data.prediction_batches import make_prediction_batches

    s = recognizer.settings
    texts = prediction.read_texts(prediction.corpus_file(prepared, corpus))
    batches = make_prediction_batches(
        texts, recognizer.tokenizer, s.max_length, s.stride, BATCH_SIZE
    )
    return [features["token_ids"] for features in batches]


def one_round(calls, batches, round_index):
    """Seconds each call spent on one pass over `batches`, the calls one after another
    in an order rotated every round."""
    spent = {}
    for name in rounds.round_order(list(calls), round_index):
        start = time.perf_counter()
        for ids in batches:
            calls[name](ids)
        spent[name] = time.perf_counter() - start
    return spent


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, help="an NER model folder with model.onnx")
    p.add_argument("--prepared", required=True, help="the folder predict_prepare.py --onnx wrote")
    p.add_argument("--rounds", type=int, default=rounds.DEFAULT_ROUNDS)
    p.add_argument("--output", help="results path without suffix")
    args = p.parse_args()

    import tf_ner

    recognizer = tf_ner.load(args.model)
    calls = sessions(args.model, args.prepared)
    started = datetime.datetime.now().isoformat(timespec="seconds")
    host = machine()
    results = {"machine": host, "started": started, "corpora": {}}
    lines = [
        "# ONNX Runtime's graph rewrites on tf_ner's exported graph",
        "",
        f"Run {started} on {machine_line(host)}, ONNX Runtime's "
        f"default threads; model `{args.model}`, batches of {BATCH_SIZE} windows "
        f"sorted by length. Seconds per pass over a corpus's batches: medians over "
        f"{args.rounds} rounds (least-most), the sessions taking turns; ratios: medians "
        f"of the same round's ratios.",
    ]
    for corpus in prediction.CORPORA:
        batches = corpus_batches(recognizer, args.prepared, corpus)
        one_round(calls, batches[:3], 0)  # warm-up: ONNX Runtime's first calls allocate
        passes = [one_round(calls, batches, k) for k in range(args.rounds)]
        seconds = {name: rounds.spread(p[name] for p in passes) for name in calls}
        against = {
            name: rounds.spread(p[EVERY_REWRITE] / p[name] for p in passes) for name in calls
        }
        against_hf = {name: rounds.spread(p[HF] / p[name] for p in passes) for name in calls}
        shapes = [list(ids.shape) for ids in batches]
        results["corpora"][corpus] = {
            "batch_shapes": shapes,
            "seconds": seconds,
            "x_every_rewrite": against,
            "x_hf": against_hf,
        }
        lines += [
            "",
            f"## {corpus}: {len(batches)} batches, {sum(r for r, _ in shapes)} windows, "
            f"lengths {shapes[0][1]}-{shapes[-1][1]}",
            "",
            "| session | s per pass | x every rewrite | x Hugging Face plain export |",
            "|---|--:|--:|--:|",
        ]
        for name in calls:
            lines.append(
                f"| {name} | {rounds.show(seconds[name], '.3f')} | "
                f"{rounds.show(against[name], '.3f')} | {rounds.show(against_hf[name], '.3f')} |"
            )
    write_results(
        lines, results, "benchmarks/onnx_graph_rewrites.py", args.output,
        default_name="onnx_graph_rewrites",
    )  # fmt: skip


if __name__ == "__main__":
    main()
