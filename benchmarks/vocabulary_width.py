"""Does reading ASCII punctuation as the vocabulary's full-width forms help on reviews?

The shipped encoder's vocabulary (built from news text) has the full-width `，` `！` `？`
but not the ASCII `,` `!` `?` the review set is written with, so about 2% of the
reviews' tokens reach it as [UNK] (`tf-ner train` prints the share). This runs the
few-sample study's review protocol (`few_sample_study.py`: 1,000 training reviews,
pooler, the published learning rate, 5 epochs, the best epoch by dev) for the base
setting with every text mapped: each printable ASCII character the vocabulary lacks,
whose full-width form (U+FF01-U+FF5E) it has, is replaced by that form (and the other
way round); ASCII capitals are left to the tokenizer's lower-casing. Compare the report with
the base row of `stability_reviews_1000_<encoder>/` (same subset, seeds and flags).

    python benchmarks/vocabulary_width.py --bert-dir checkpoints/tf_ner_zh_mini \\
        --workdir /work/runs/few_sample
"""

import argparse
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.few_sample_study import TASKS, publish, review_files, stability  # noqa: E402
from benchmarks.results_file import RESULTS  # noqa: E402
from tf_ner.bert.tokenization import FULL_WIDTH_SHIFT, read_vocab  # noqa: E402


def width_table(vocab):
    """`{character: replacement}` for the printable ASCII characters (but capitals) and
    full-width forms the vocabulary lacks while it has the other width."""
    table = {}
    for code in range(0x21, 0x7F):
        ascii_form, full_form = chr(code), chr(code + FULL_WIDTH_SHIFT)
        if "A" <= ascii_form <= "Z":
            continue  # lower-cased by the tokenizer before the vocabulary is looked up
        if ascii_form not in vocab and full_form in vocab:
            table[ascii_form] = full_form
        elif full_form not in vocab and ascii_form in vocab:
            table[full_form] = ascii_form
    return table


def mapped_files(files, table, work):
    """The review files with every text mapped by `table`, written each time (another
    encoder's vocabulary maps other characters; the study refuses a training file whose
    subset changed since it began)."""
    translation = str.maketrans(table)
    out = []
    for path in files:
        target = work / f"{path.stem.replace('reviews_', 'reviews_width_')}{path.suffix}"
        with path.open(encoding="utf-8") as f, target.open("w", encoding="utf-8") as g:
            for line in f:
                record = json.loads(line)
                record["text"] = record["text"].translate(translation)
                g.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.append(target)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bert-dir", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    work = pathlib.Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    encoder = pathlib.Path(args.bert_dir).name
    table = width_table(read_vocab(pathlib.Path(args.bert_dir) / "vocab.txt"))
    print(f"mapped: {''.join(table)}", flush=True)
    files = mapped_files(review_files(work), table, work)
    rate = json.loads((RESULTS / f"stability_reviews_1000_{encoder}" / "learning_rate.json")
                      .read_text())["learning_rate"]  # fmt: skip
    task = TASKS["reviews_1000"]
    base = ["--bert-dir", args.bert_dir, *task["flags"], "--learning-rate", rate]
    out = work / "reviews_1000_width"
    stability(out, *files, base, ["bias-corrected="], range(1, args.seeds + 1), task["subset"],
              work / "reviews_1000_width.log")  # fmt: skip
    publish(out, RESULTS / f"vocabulary_width_reviews_1000_{encoder}")


if __name__ == "__main__":
    main()
