"""The texts of a pre-training corpus: dataset files of any format, or one text per line.

`read_corpus` takes the texts of every file it is given, in order. A file is either
a dataset file that a tf_ner reader accepts (the NER formats of `tf_ner.data.formats`,
then the classification formats of `tf_ner.data.classification`; labels are ignored)
or a plain UTF-8 file with one text per line. Blank texts are skipped and counted, so
the report accounts for every line of a plain file.
"""

import dataclasses
import logging
import os

from tf_ner.data.classification.io import CLASSIFICATION_FORMATS, read_classification
from tf_ner.data.formats import FORMATS, DatasetError, read_dataset
from tf_ner.data.formats.textfile import read_utf8, split_lines
from tf_ner.ground.errors import InputError, MissingFileError, SettingsError

logger = logging.getLogger("tf_ner.data")

LINES = "lines"


@dataclasses.dataclass
class FileReport:
    """How one file of a corpus was read.

    Attributes:
        path: str, the file.
        format: str, the format it was read as: a dataset format (e.g. `char_bmes`,
            `conll_iob2`, `tsv`) or `"lines"`.
        texts: int, texts taken from the file.
        blank: int, blank lines (or blank dataset texts) skipped; with
            `skip_blank=False`, blank texts kept.
        note: str, why the file was read as lines when `format="auto"` (the dataset
            readers' objection), else empty.
    """

    path: str
    format: str
    texts: int = 0
    blank: int = 0
    note: str = ""


@dataclasses.dataclass
class CorpusReport:
    """How each file of a corpus was read; `str()` is a one-paragraph summary.

    Attributes:
        files: list of `FileReport`, in the order read.
        skip_blank: bool, whether blank texts were skipped (else kept and counted).
    """

    files: list = dataclasses.field(default_factory=list)
    skip_blank: bool = True

    @property
    def texts(self):
        return sum(f.texts for f in self.files)

    @property
    def blank(self):
        return sum(f.blank for f in self.files)

    def __str__(self):
        verb = "skipped" if self.skip_blank else "kept"
        parts = []
        for f in self.files:
            part = f"{f.path} as {f.format} ({_count(f.texts, 'text')}"
            if f.blank:
                what = "lines" if f.format == LINES else "texts"
                part += f", {_count(f.blank, 'blank ' + what[:-1])} {verb}"
            parts.append(part + (f"; {f.note}" if f.note else "") + ")")
        return (
            f"Read {_count(self.texts, 'text')} from {_count(len(self.files), 'file')}: "
            + "; ".join(parts)
            + "."
        )


def _count(number, noun):
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


@dataclasses.dataclass
class Corpus:
    """The texts of a corpus and how they were read.

    Attributes:
        texts: list of str, every file's texts in order.
        report: `CorpusReport`.
    """

    texts: list
    report: CorpusReport

    def __len__(self):
        return len(self.texts)


def read_corpus(paths, format="auto", skip_blank=True):
    """Reads the texts of one or more files.

    Args:
        paths: str or path-like, or a list of them.
        format: str, `"auto"` (each file: the NER readers' detection, then the
            classification readers', then one text per line, logging why), `"lines"`
            (one text per line, whatever the content), or a dataset format of
            `tf_ner.data.FORMATS` or `tf_ner.data.CLASSIFICATION_FORMATS` for every
            file (`jsonl`, in both, is tried as NER, then as classification).
        skip_blank: bool, skip texts that are empty or only white space (counted in
            the report). False keeps them, so that the texts of a plain file stay
            line for line (what `tf-ner predict` writes back).

    Returns:
        `Corpus`. The report is also logged at INFO on the `tf_ner.data` logger.

    Raises:
        ValueError: an unknown `format`, a non-UTF-8 plain file (naming the line), or
            no text in any of the files (naming them).
        FileNotFoundError: a file that does not exist (naming it).
        DatasetError: with an explicit dataset format, a file that does not hold it.
    """
    allowed = ("auto", LINES, *FORMATS, *(f for f in CLASSIFICATION_FORMATS if f not in FORMATS))
    if format not in allowed:
        raise SettingsError(
            f"unknown corpus format {format!r}; expected one of {', '.join(allowed)}"
        )
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    paths = [os.fspath(p) for p in paths]
    for path in paths:
        if not os.path.isfile(path):
            raise MissingFileError(f"corpus file not found: {path}")
    texts, report = [], CorpusReport(skip_blank=skip_blank)
    for path in paths:
        file_texts, file_report = _read_file(path, format)
        kept = [t for t in file_texts if t.strip()] if skip_blank else file_texts
        file_report.blank = sum(not t.strip() for t in file_texts)
        file_report.texts = len(kept)
        texts += kept
        report.files.append(file_report)
    if not any(t.strip() for t in texts):
        raise InputError(
            f"no text in {', '.join(paths) or 'an empty list of files'} "
            f"({report.blank} blank texts); expected at least one non-blank text"
        )
    logger.info("%s", report)
    return Corpus(texts, report)


def _read_file(path, format):
    """`(texts, FileReport)` of one file, blank texts included."""
    if format == LINES:
        return read_lines(path), FileReport(path, LINES)
    readers = []
    if format in ("auto", *FORMATS):
        readers.append(_ner_texts)
    if format in ("auto", *CLASSIFICATION_FORMATS):
        readers.append(_classification_texts)
    errors = []
    for reader in readers:
        try:
            texts, used = reader(path, format)
            return texts, FileReport(path, used)
        except DatasetError as error:
            errors.append(error)
    if format != "auto":
        raise errors[0]
    reasons = [f"line {e.line}: {e.reason}" if e.line else e.reason for e in errors]
    reasons = list(dict.fromkeys(reasons))  # once each, in order
    note = "not a dataset file: " + "; ".join(reasons)
    logger.info("%s: %s; reading one text per line", path, note)
    return read_lines(path), FileReport(path, LINES, note=note)


def _ner_texts(path, format):
    examples, info = read_dataset(path, format=format, repair=True, return_info=True)
    return [e.text for e in examples], info.format


def _classification_texts(path, format):
    examples, info = read_classification(path, format=format, return_info=True)
    return [e.text for e in examples], info.format


def read_lines(path):
    """The lines of a UTF-8 file (BOM dropped; LF, CRLF or CR), blank ones included.

    A final line break ends the last line; it does not start an empty one.

    Raises:
        FileNotFoundError: no such file.
        DatasetError (a ValueError): the file is not UTF-8 (names the line of the
            first bad byte).
    """
    return split_lines(read_utf8(path))
