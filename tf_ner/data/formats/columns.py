"""Files of one token per line with its tag in the last column, blank lines between sentences.

Shared by the character-per-line readers (`char_tags.py`) and CoNLL (`conll.py`):
grouping lines into sentences and decoding a sentence's tags with line numbers.
"""

from tf_ner.data import tags as tag_schemes
from tf_ner.data.formats.errors import DatasetError

DOCSTART = "-DOCSTART-"


def iter_sentences(path, lines, parse_line, skip_docstart=False):
    """Groups the lines of a column file into sentences.

    Args:
        path: str, the file (for error messages).
        lines: list of str lines without newlines.
        parse_line: callable `(path, line_number, line) -> (token, tag)`, raising
            `DatasetError` for a line it cannot read.
        skip_docstart: bool, skip lines whose first column is `-DOCSTART-` (they
            also end the sentence before them).

    Yields:
        list of `(line_number, token, tag)` for each sentence, in file order;
        line numbers are 1-based.
    """
    rows = []
    for number, line in enumerate(lines, 1):
        if not line.strip(" \t"):
            if rows:
                yield rows
                rows = []
            continue
        if skip_docstart and line.lstrip(" \t").startswith(DOCSTART):
            if rows:
                yield rows
                rows = []
            continue
        token, tag = parse_line(path, number, line)
        rows.append((number, token, tag))
    if rows:
        yield rows


def decode_rows(path, rows, scheme, repair, repairs):
    """Decodes the tags of one sentence into spans over its token positions.

    Args:
        path: str, the file (for error messages).
        rows: list of `(line_number, token, tag)` of one sentence.
        scheme: str, a scheme of `tf_ner.data.tags`.
        repair: bool, repair invalid sequences the way seqeval reads them.
        repairs: list to which `(line_number, reason)` is appended per repair.

    Returns:
        list of `(start, end, type)` over token positions, end exclusive.

    Raises:
        DatasetError: an unknown tag, or an invalid sequence when `repair` is
            False; the message names the line of the offending tag.
    """
    tags = [tag for _, _, tag in rows]
    try:
        spans = tag_schemes.tags_to_spans(tags, scheme, repair=repair)
    except tag_schemes.TagSequenceError as e:
        line = rows[e.position][0]
        raise DatasetError(path, line, f"{e.reason} (tag scheme {scheme})") from None
    for position, reason in spans.problems:
        repairs.append((rows[position][0], reason))
    return list(spans)


def check_columns(path, number, fields, expected):
    """Raises unless a row has the same number of columns as the file's first row."""
    if len(fields) != expected:
        raise DatasetError(
            path,
            number,
            f"found {len(fields)} columns {fields!r}; expected {expected} like the first "
            "line of the file, with the tag in the last column",
        )


def tag_prefixes(lines, field):
    """Where each tag prefix (`"B"`, `"I"`, `"M"`, ..., `"O"`) first occurs in a column file.

    Args:
        lines: list of str lines.
        field: callable `line -> tag or None` (None for lines it skips).

    Returns:
        `(prefixes, bad)`: dict from each prefix of tags shaped `P-TYPE` or `O` to
        the `(line_number, tag)` of its first occurrence, and `(line_number, tag)`
        of the first tag of another shape, or None.
    """
    seen = set()
    prefixes = {}
    bad = None
    for number, line in enumerate(lines, 1):
        tag = field(line)
        if tag is None or tag in seen:
            continue
        seen.add(tag)
        prefix, dash, type_ = tag.partition("-")
        if tag == "O" or (dash and prefix and type_):
            prefixes.setdefault(prefix, (number, tag))
        elif bad is None:
            bad = (number, tag)
    return prefixes, bad
