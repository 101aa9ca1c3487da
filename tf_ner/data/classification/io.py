"""`read_classification` and `write_classification`: every classification format."""

import json
import logging
import os
from dataclasses import dataclass, field

from tf_ner.data.classification.example import TextExample, label_counts
from tf_ner.data.classification.json_records import read_json_records, record_format
from tf_ner.data.classification.tsv import read_tsv
from tf_ner.data.formats import jsonrecords
from tf_ner.data.formats.textfile import read_text
from tf_ner.ground.errors import InputError, SettingsError

logger = logging.getLogger("tf_ner.data")

CLASSIFICATION_FORMATS = ("jsonl", "clue", "tsv")


@dataclass
class ClassificationInfo:
    """What `read_classification(..., return_info=True)` reports beside the examples.

    Attributes:
        path: str, the file read.
        format: str, the format it was read as (one of `CLASSIFICATION_FORMATS`).
        detected: bool, True when `format` was chosen by auto-detection.
        reason: str, what decided the format (empty when it was requested).
        header: tuple of str column names of a TSV header row, or None.
        label_counts: dict from label to the number of examples carrying it.
        multi_label: bool, True when some example carries more than one label.
    """

    path: str
    format: str
    detected: bool = False
    reason: str = ""
    header: tuple | None = None
    label_counts: dict = field(default_factory=dict)
    multi_label: bool = False


def detect_classification_format(path):
    """Chooses the format of a classification file from its content.

    JSON (the first non-blank line starts with `{` or `[`): the first record
    decides, `sentence` for `clue`, `text` for `jsonl`. Anything else is `tsv`.

    Args:
        path: str or path-like.

    Returns:
        `(format, reason)`: one of `CLASSIFICATION_FORMATS` and a short str.

    Raises:
        DatasetError: an empty or non-UTF-8 file, invalid JSON, or a first record
            with neither text key (or a sentence pair).
    """
    path = os.fspath(path)
    text = read_text(path)
    if text.lstrip()[:1] in ("{", "["):
        for line, record in jsonrecords.iter_records(path, text):
            format = record_format(path, line, record)
            key = "'sentence' (CLUE)" if format == "clue" else "'text'"
            return format, f"JSON whose first record (line {line}) has {key}"
    return "tsv", "not JSON: tab-separated lines"


def read_classification(path, format="auto", return_info=False):
    """Reads a text-classification file into `TextExample`s.

    Formats (see `json_records.py` and `tsv.py`):
        `jsonl`: JSON lines (or a JSON list) `{"text", "label"}` or
            `{"text", "labels": [...]}`.
        `clue`: CLUE's classification sets, `{"sentence", "label", ...}` (TNEWS,
            IFLYTEK); extra keys ignored, integer labels kept as strings.
        `tsv`: `label<TAB>text`, with or without a header row (ChnSentiCorp's
            `label<TAB>text_a`, THUCNews' `label<TAB>text`; a header may put the
            text first).

    The format is logged at INFO on the `tf_ner.data` logger.

    Args:
        path: str or path-like, the file (UTF-8, with or without BOM, LF or CRLF).
        format: `"auto"` (detect from the content) or one of
            `CLASSIFICATION_FORMATS`.
        return_info: bool, also return a `ClassificationInfo`.

    Returns:
        list of `TextExample` (`source="path:line"`), or `(examples, info)`.

    Raises:
        ValueError: an unknown `format`.
        FileNotFoundError: no such file.
        DatasetError: the file does not hold the format; the message names the
            file, the 1-based line and what was expected. Nothing is skipped but
            blank lines.
    """
    allowed = ("auto", *CLASSIFICATION_FORMATS)
    if format not in allowed:
        raise SettingsError(
            f"unknown classification format {format!r}; expected one of {', '.join(allowed)}"
        )
    path = os.fspath(path)
    detected = format == "auto"
    reason = ""
    if detected:
        format, reason = detect_classification_format(path)
    header = None
    if format == "tsv":
        examples, header = read_tsv(path)
    else:
        examples = read_json_records(path, format)
    counts = label_counts(examples)
    how = f"auto-detected: {reason}" if detected else "as requested"
    logger.info(
        "read %d texts with %d labels from %s as %s (%s)",
        len(examples),
        len(counts),
        path,
        format,
        how,
    )
    if not return_info:
        return examples
    info = ClassificationInfo(
        path=path,
        format=format,
        detected=detected,
        reason=reason,
        header=header,
        label_counts=counts,
        multi_label=any(len(example.labels) > 1 for example in examples),
    )
    return examples, info


def write_classification(examples, path, format="jsonl"):
    """Writes examples in a format that `read_classification` reads back.

    `jsonl`: one label is written as `"label"`, several as `"labels"`. `clue`:
    `{"sentence", "label"}` (one label per text). `tsv`: a `label<TAB>text` header row,
    then one such line per text (one label per text, no line break in a text, no tab or
    surrounding space in a label). UTF-8 without BOM, LF.

    Args:
        examples: iterable of `TextExample`.
        path: str or path-like, the file to write (overwritten).
        format: one of `CLASSIFICATION_FORMATS`.

    Raises:
        TypeError: an item that is not a `TextExample`.
        ValueError: an unknown format, or an example the format cannot hold.
    """
    if format not in CLASSIFICATION_FORMATS:
        raise SettingsError(
            f"unknown classification format {format!r}; expected one of "
            f"{', '.join(CLASSIFICATION_FORMATS)}"
        )
    examples = list(examples)
    lines = ["label\ttext"] if format == "tsv" else []
    for index, example in enumerate(examples):
        if not isinstance(example, TextExample):
            raise TypeError(f"item {index} is a {type(example).__name__}; expected a TextExample")
        lines.append(_record(index, example, format))
    with open(os.fspath(path), "w", encoding="utf-8", newline="\n") as f:
        f.writelines(line + "\n" for line in lines)
    logger.info("wrote %d texts to %s as %s", len(examples), path, format)


def _record(index, example, format):
    """One example as a line of `format`; ValueError naming it if the format cannot hold it."""
    if format == "jsonl":
        record = {"text": example.text}
        if len(example.labels) == 1:
            record["label"] = example.labels[0]
        else:
            record["labels"] = list(example.labels)
        return json.dumps(record, ensure_ascii=False)
    problem = None
    if len(example.labels) > 1:
        problem = f"{len(example.labels)} labels, but {format} holds one label per text"
    elif format == "tsv":
        label = example.labels[0]
        if any(c in example.text for c in "\r\n"):
            problem = "a line break in the text"
        elif any(c in label for c in "\t\r\n") or label != label.strip():
            problem = f"label {label!r} holds a tab, a line break or surrounding spaces"
    if problem:
        where = example.source or f"example {index}"
        raise InputError(f"{where}: {problem}; write it as jsonl")
    if format == "clue":
        record = {"sentence": example.text, "label": example.labels[0]}
        return json.dumps(record, ensure_ascii=False)
    return f"{example.labels[0]}\t{example.text}"
