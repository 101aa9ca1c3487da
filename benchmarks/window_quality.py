"""What sentence cuts do to entity F1 and to the tokens computed on long texts.

    python benchmarks/window_quality.py --models runs/msra_crf,runs/msra_gp --texts 2000

The corpus is the prediction benchmark's documents: the first `--texts` texts of the
MSRA test file joined into paragraphs of 1,000-3,000 characters
(`peers/prediction.join_documents`, seed 0, as `peers/predict_prepare.py` joins them),
their gold entities moved with them (`peers/prediction.document_gold`). Each model
folder (TensorFlow) predicts the documents twice: with its own windows (`sentence_cuts`
as its `task.json` says, on unless trained with `--no-sentence-cuts`) and with sentence
cuts off, its windows then overlapping by its stride everywhere
(`peers/prediction.overlapping_windows`); and the sentences themselves, which fit one
window each, as the F1 that no window edge touches. Micro entity F1 over exact
`(document, start, end, type)` spans (`tf_ner.metrics.prf`); windows and tokens
computed, [CLS] and [SEP] included. Deterministic: one pass, no rounds, no timing
(`predict_throughput.py` times the windows).

Writes `benchmarks/results/window_quality.md` and `.json` (`--output` to change).
"""

import argparse
import datetime
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "peers"))

import prediction  # noqa: E402
import processes  # noqa: E402
from results_file import write_results  # noqa: E402


def windows_of(recognizer, documents):
    """`(windows, tokens)` the recognizer's settings compute over `documents`."""
    from tf_ner.data.prediction_batches import make_prediction_batches

    s = recognizer.settings
    batches = make_prediction_batches(
        documents, recognizer.tokenizer, s.max_length, s.stride, sentence_cuts=s.sentence_cuts
    )
    windows = [window for text_windows in batches.windows for window in text_windows]
    return len(windows), sum(window.num_tokens + 2 for window in windows)


def scored(recognizer, texts, gold):
    """Micro precision, recall and F1 of the recognizer's spans of `texts`."""
    from tf_ner.metrics.prf import prf

    found = prf(prediction.span_set(gold), prediction.span_set(recognizer.predict_spans(texts)))
    return {key: found[key] for key in ("precision", "recall", "f1", "predicted", "support")}


def on_documents(recognizer, documents, gold):
    """The windows the recognizer's settings compute over `documents`, and its F1 there."""
    windows, tokens = windows_of(recognizer, documents)
    return {
        "sentence_cuts": recognizer.settings.sentence_cuts,
        "windows": windows,
        "tokens": tokens,
        **scored(recognizer, documents, gold),
    }


def measure(model_dir, examples, documents):
    """One model folder's record: F1 on the sentences, and on the documents with each
    kind of windows."""
    import tf_ner

    recognizer = tf_ner.load(model_dir)
    texts = [example.text for example in examples]
    record = {
        "model": str(model_dir),
        "head": recognizer.settings.head,
        "stride": recognizer.settings.stride,
        "max_length": recognizer.settings.max_length,
        "sentences": scored(recognizer, texts, [example.entities for example in examples]),
    }
    gold = prediction.document_gold(documents, examples)
    record["own windows"] = on_documents(recognizer, documents, gold)
    prediction.overlapping_windows(recognizer)
    record["overlapping windows"] = on_documents(recognizer, documents, gold)
    return record


def table(records):
    lines = [
        "| model | head | F1 sentences | F1 documents, own windows | F1 documents, overlapping "
        "| difference | windows | tokens |",
        "|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for r in records:
        own, overlapping = r["own windows"], r["overlapping windows"]
        cuts = "sentence cuts" if own["sentence_cuts"] else "no sentence cuts (as trained)"
        lines.append(
            f"| `{r['model']}` | {r['head']} | {r['sentences']['f1']:.2%} "
            f"| {own['f1']:.2%} ({cuts}) | {overlapping['f1']:.2%} "
            f"| {(own['f1'] - overlapping['f1']) * 100:+.2f} points "
            f"| {own['windows']:,} / {overlapping['windows']:,} "
            f"| {own['tokens']:,} / {overlapping['tokens']:,} |"
        )
    return lines


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", required=True, help="comma list of tf_ner NER model folders")
    p.add_argument("--texts", type=int, default=2000, help="MSRA test texts (default %(default)s)")
    p.add_argument("--output", default=None, help="output path without suffix")
    args = p.parse_args(argv)
    from tf_ner.data import read_dataset
    from tf_ner.demo import msra_files

    started = datetime.datetime.now().isoformat(timespec="seconds")
    examples = read_dataset(msra_files()[1], repair=True)[: args.texts]
    documents = prediction.join_documents([example.text for example in examples])
    models = [pathlib.Path(m) for m in args.models.split(",") if m]
    records = [measure(model, examples, documents) for model in models]
    lengths = [len(document) for document in documents]
    lines = [
        "# Sentence cuts: entity F1 on long texts, and the tokens computed",
        "",
        f"Run {started} on {processes.machine_line(processes.machine())}. The first "
        f"{len(examples):,} texts of the MSRA test file as sentences, and joined into "
        f"{len(documents)} documents of {min(lengths):,}-{max(lengths):,} characters. "
        "Micro entity F1 over exact spans; 'own windows' are the model's (sentence cuts "
        "unless it was trained without them), 'overlapping' the same model with sentence "
        "cuts off (its stride everywhere). Windows and tokens: own / overlapping, [CLS] "
        "and [SEP] included.",
        "",
        *table(records),
        "",
    ]
    write_results(
        lines, {"started": started, "texts": len(examples), "models": records},
        "benchmarks/window_quality.py", args.output, "window_quality",
    )  # fmt: skip


if __name__ == "__main__":
    main()
