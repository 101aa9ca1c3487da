"""`read_dataset` and `write_dataset`: every format behind one pair of functions."""

import logging
import os

from tf_ner.data.example import Example
from tf_ner.data.formats import char_tags, cluener, cmeee, conll, jsonl
from tf_ner.data.formats.detect import detect_format
from tf_ner.data.formats.errors import DatasetInfo
from tf_ner.ground.errors import SettingsError

logger = logging.getLogger("tf_ner.data")

FORMATS = (
    "char_bio",
    "char_bioes",
    "char_bmes",
    "conll",
    "conll_iob1",
    "conll_iob2",
    "conll_bioes",
    "cluener",
    "cmeee",
    "jsonl",
)


def _check_format(format, allow_auto):
    allowed = (("auto",) if allow_auto else ()) + FORMATS
    if format not in allowed:
        raise SettingsError(
            f"unknown dataset format {format!r}; expected one of {', '.join(allowed)}"
        )


def read_dataset(path, format="auto", repair=False, return_info=False):
    """Reads a NER dataset file into examples with character spans (end exclusive).

    The chosen format is logged at INFO on the `tf_ner.data` logger; repaired tags
    and merged duplicate entities are logged as WARNING. With `return_info=True` the
    same facts come back as a `DatasetInfo`.

    Args:
        path: str or path-like, the file.
        format: str, `"auto"` (detect from the content, see
            `tf_ner.data.formats.detect`) or one of `FORMATS`:
            `char_bio`, `char_bioes`, `char_bmes` (one character per line + tag),
            `conll` (word columns, IOB1 or IOB2 detected), `conll_iob1`,
            `conll_iob2`, `conll_bioes`, `cluener`, `cmeee`, `jsonl`.
        repair: bool, for tag formats: read a tag sequence that breaks its scheme
            (an `I-` after `O` or after another type, an unclosed BIOES/BMES
            entity) the way seqeval does instead of raising; each repair is counted.
        return_info: bool, also return a `DatasetInfo`.

    Returns:
        list of `Example` (with `source="path:line"`), or `(examples, info)` when
        `return_info` is True.

    Raises:
        ValueError: an unknown `format`.
        FileNotFoundError: no such file.
        DatasetError: the file does not hold the format; the message names the
            file, the 1-based line and what was expected.
    """
    path = os.fspath(path)
    _check_format(format, allow_auto=True)
    detected = format == "auto"
    reason = ""
    if detected:
        format, reason = detect_format(path)
    repairs = []
    counts = {}
    if format in char_tags.SCHEMES:
        examples = char_tags.read_char_tags(path, char_tags.SCHEMES[format], repair, repairs)
    elif format in conll.SCHEMES:
        examples, format = conll.read_conll(path, format, repair, repairs)
    elif format == "cluener":
        examples = cluener.read_cluener(path, counts)
    elif format == "cmeee":
        examples = cmeee.read_cmeee(path, counts)
    else:
        examples = jsonl.read_jsonl(path, counts)
    info = DatasetInfo(
        path=str(path),
        format=format,
        detected=detected,
        repairs=repairs,
        duplicates=counts.get("duplicates", 0),
    )
    entities = sum(len(example.entities) for example in examples)
    how = f"auto-detected: {reason}" if detected else "as requested"
    logger.info(
        "read %d examples with %d entities from %s as %s (%s)",
        len(examples),
        entities,
        path,
        format,
        how,
    )
    if repairs:
        line, what = repairs[0]
        logger.warning(
            "%s: repaired %d tags that broke the tag scheme, read as seqeval reads them; "
            "first at line %d: %s",
            path,
            len(repairs),
            line,
            what,
        )
    if info.duplicates:
        logger.warning(
            "%s: %d entities were listed twice in their record; each is kept once",
            path,
            info.duplicates,
        )
    return (examples, info) if return_info else examples


def write_dataset(examples, path, format):
    """Writes examples in one of the formats `read_dataset` reads back.

    Tag formats (`char_*`, `conll*`) hold flat entities only; `conll` and
    `conll_iob2` write `<word> <IOB2 tag>` lines. Files are UTF-8 without BOM, LF.

    Args:
        examples: iterable of `tf_ner.data.Example`.
        path: str or path-like, the file to write (overwritten).
        format: str, one of `FORMATS` (not `"auto"`).

    Raises:
        ValueError: an unknown format, or an example the format cannot hold
            (overlapping entities in a tag format, a text that is not
            single-space-separated words for CoNLL, a newline in a char file).
        TypeError: an item that is not an `Example`.
    """
    _check_format(format, allow_auto=False)
    path = os.fspath(path)
    examples = list(examples)
    for index, example in enumerate(examples):
        if not isinstance(example, Example):
            raise TypeError(f"item {index} is a {type(example).__name__}; expected an Example")
    if format in char_tags.SCHEMES:
        char_tags.write_char_tags(examples, path, char_tags.SCHEMES[format])
    elif format in conll.SCHEMES:
        conll.write_conll(examples, path, format)
    elif format == "cluener":
        cluener.write_cluener(examples, path)
    elif format == "cmeee":
        cmeee.write_cmeee(examples, path)
    else:
        jsonl.write_jsonl(examples, path)
    logger.info("wrote %d examples to %s as %s", len(examples), path, format)
