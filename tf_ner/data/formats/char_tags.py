"""One character per line with its tag; blank lines between sentences.

Formats `char_bio`, `char_bioes` and `char_bmes` (MSRA and People's Daily use BMES
with tags like `B-NS`, `M-NS`, `E-NS`, `S-NR`, `O`). A line is
`<character><space or tab><tag>`; LF or CRLF; a UTF-8 BOM is ignored. The text of a
sentence is its characters joined without separator, so character `i` of the text
is the `i`-th line of the sentence.

A whitespace character (e.g. a space or U+3000 inside a text) is written as
`<character><tab><tag>` and read back; newline and tab characters cannot be held.
"""

from tf_ner.data import tags as tag_schemes
from tf_ner.data.example import Example
from tf_ner.data.formats import columns
from tf_ner.data.formats.errors import DatasetError
from tf_ner.data.formats.textfile import read_text, split_lines
from tf_ner.ground.errors import InputError

SCHEMES = {"char_bio": "BIO", "char_bioes": "BIOES", "char_bmes": "BMES"}


def parse_char_line(path, number, line):
    """Splits `"<char> <tag>"` (space or tab separated) into `(char, tag)`.

    Args:
        path: str, the file (for error messages).
        number: int, the 1-based line number.
        line: str, the line without its newline.

    Returns:
        `(char, tag)` with `char` a one-character str.

    Raises:
        DatasetError: a line without a tag, or with more than one character before it.
    """
    line = line.rstrip(" \t")
    sep = "\t" if "\t" in line else " "
    token, found, tag = line.rpartition(sep)
    if not found or not tag:
        raise DatasetError(
            path, number, f"found {line!r} with no tag; expected '<character> <tag>'"
        )
    # Separators may repeat; a token made only of separators is a whitespace character.
    token = token.rstrip(" \t") or token[:1]
    if len(token) != 1:
        raise DatasetError(
            path,
            number,
            f"found {token!r} before the tag; expected one character per line "
            "(use format='conll' for word-per-line files)",
        )
    return token, tag


def read_char_tags(path, scheme, repair=False, repairs=None):
    """Reads a character-per-line file.

    Args:
        path: str, the file.
        scheme: str, `"BIO"`, `"BIOES"` or `"BMES"` (see `tf_ner.data.tags`).
        repair: bool, repair invalid tag sequences the way seqeval reads them.
        repairs: optional list to which `(line, reason)` is appended per repair.

    Returns:
        list of `Example`, one per sentence, `source` set to `"path:line"`.

    Raises:
        DatasetError: an empty file, a line with no tag or more than one
            character, an unknown tag, or (unless `repair`) an invalid sequence.
    """
    path = str(path)
    repairs = [] if repairs is None else repairs
    lines = split_lines(read_text(path))
    examples = []
    for rows in columns.iter_sentences(path, lines, parse_char_line):
        spans = columns.decode_rows(path, rows, scheme, repair, repairs)
        text = "".join(token for _, token, _ in rows)
        examples.append(Example(text, spans, source=f"{path}:{rows[0][0]}"))
    return examples


def write_char_tags(examples, path, scheme):
    """Writes examples one character per line, `"<char> <tag>"`, LF newlines.

    Args:
        examples: iterable of `Example` with non-overlapping entities.
        path: str, the file to write (overwritten).
        scheme: str, `"BIO"`, `"BIOES"` or `"BMES"`.

    Raises:
        ValueError: an empty text, a text with a newline or tab character, or
            overlapping entities (the message names the example).
    """
    out = []
    for index, example in enumerate(examples):
        where = _describe(index, example)
        if not example.text:
            raise InputError(f"{where}: an empty text cannot be written one character per line")
        for bad in ("\n", "\r", "\t"):
            if bad in example.text:
                raise InputError(
                    f"{where}: the text holds {bad!r} at {example.text.index(bad)}; "
                    "a character-per-line file cannot hold newline or tab characters"
                )
        try:
            tags = tag_schemes.spans_to_tags(len(example.text), example.entities, scheme)
        except ValueError as e:
            raise InputError(f"{where}: {e}") from None
        for char, tag in zip(example.text, tags, strict=True):
            sep = "\t" if char.isspace() else " "
            out.append(f"{char}{sep}{tag}\n")
        out.append("\n")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.writelines(out)


def _describe(index, example):
    source = f" ({example.source})" if example.source else ""
    return f"example {index}{source}"
