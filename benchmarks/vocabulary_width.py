"""Does `--fold-width` (punctuation the vocabulary lacks read as its width twin) help on
reviews?

The shipped encoder's vocabulary (built from news text) has the full-width `，` `！` `？`
but not the ASCII `,` `!` `?` the review set is written with, so about 2% of the
reviews' tokens reach it as [UNK] (`tf-ner train` prints the share; 0.37% with
`--fold-width`). This runs the few-sample study's review protocol
(`few_sample_study.py`: 1,000 training reviews, pooler, the published learning rate, 5
epochs, the best epoch by dev) for the base setting without and with `--fold-width`,
side by side in one study (same subset, seeds and flags; `stability_reviews_1000_<encoder>/`
holds the other settings, run with older code).

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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bert-dir", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    work = pathlib.Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    encoder = pathlib.Path(args.bert_dir).name
    rate = json.loads((RESULTS / f"stability_reviews_1000_{encoder}" / "learning_rate.json")
                      .read_text())["learning_rate"]  # fmt: skip
    task = TASKS["reviews_1000"]
    base = ["--bert-dir", args.bert_dir, *task["flags"], "--learning-rate", rate]
    out = work / "reviews_1000_fold_width"
    settings = ["bias-corrected=", "fold-width=--fold-width"]
    stability(out, *review_files(work), base, settings, range(1, args.seeds + 1),
              task["subset"], work / "reviews_1000_fold_width.log")  # fmt: skip
    publish(out, RESULTS / f"vocabulary_width_reviews_1000_{encoder}")


if __name__ == "__main__":
    main()
