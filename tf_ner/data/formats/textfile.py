"""Reading a dataset file as text: UTF-8 with or without BOM, LF or CRLF."""

import os

from tf_ner.data.formats.errors import DatasetError
from tf_ner.ground.errors import MissingFileError

_BOM = "\ufeff"


def read_text(path):
    """Reads a whole file as UTF-8 text, without a leading BOM and with LF newlines.

    Args:
        path: str or path-like.

    Returns:
        str, the content with `\\r\\n` (and lone `\\r`) turned into `\\n`.

    Raises:
        MissingFileError: no such file.
        DatasetError: the file is empty (or blank) or is not valid UTF-8 (the
            message names the line of the first bad byte).
    """
    text = read_utf8(path)
    if not text.strip():
        raise DatasetError(path, None, "the file is empty; expected at least one example")
    return text


def read_utf8(path):
    """`read_text` for a file that may be empty (returns "")."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise MissingFileError(f"{path} not found (expected a dataset file)")
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise DatasetError(
            path,
            line,
            f"not valid UTF-8 (byte {raw[e.start : e.start + 1]!r} at offset {e.start}); "
            "expected a UTF-8 text file",
        ) from None
    if text.startswith(_BOM):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_lines(text):
    """Splits text at `\\n` only (not at the other breaks `str.splitlines` knows).

    Args:
        text: str with LF newlines, as `read_text` returns.

    Returns:
        list of str lines without their newline; a final newline adds no line.
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def line_of(text, offset):
    """The 1-based line number of a character offset in `text`."""
    return text.count("\n", 0, offset) + 1
