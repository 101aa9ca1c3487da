"""Telling the dataset formats apart from a file's content.

Rules, in order:

1. JSON (the first line starts with `[` or `{` and is not a `<char> <tag>` line):
   a record with `label` is `cluener`; the first non-empty `entities` decides
   between `cmeee` (`start_idx`) and `jsonl` (`start`). Files without any entity
   (test files) are `cmeee` for a JSON list, `jsonl` when some record has an
   `entities` key, else `cluener`; all three then read the same.
2. Column files: `conll` if a line starts with `-DOCSTART-`, has three or more
   columns, or has a token longer than one character (IOB1/IOB2 is then chosen by
   the CoNLL reader); otherwise one character per line, whose scheme comes from
   the tag prefixes in the whole file: any `M-` gives `char_bmes`, else any `E-`
   or `S-` gives `char_bioes`, else `char_bio`.
"""

import re

from tf_ner.data.formats import columns, jsonrecords
from tf_ner.data.formats.errors import DatasetError
from tf_ner.data.formats.textfile import read_text, split_lines

_CHAR_LINE = re.compile(r".[ \t]+(O|[A-Za-z]+-\S+)")
_KNOWN_PREFIXES = {"O", "B", "I", "M", "E", "S"}


def detect_format(path):
    """Chooses the format of a dataset file from its content.

    Args:
        path: str or path-like.

    Returns:
        `(format, reason)`: a format name of `tf_ner.data.formats.FORMATS` (plain
        `"conll"` for CoNLL files) and a short str saying what decided it.

    Raises:
        DatasetError: an empty file, invalid JSON, JSON records of no known shape,
            or a column file whose tags fit no scheme (naming the line).
    """
    path = str(path)
    text = read_text(path)
    lines = split_lines(text)
    first = next(line for line in lines if line.strip())
    if first.lstrip()[:1] in ("[", "{") and not _CHAR_LINE.fullmatch(first.rstrip(" \t")):
        return _detect_json(path, text)
    return _detect_columns(path, lines)


def _detect_json(path, text):
    is_list = text.lstrip().startswith("[")
    has_entities_key = False
    for line, record in jsonrecords.iter_records(path, text):
        jsonrecords.record_text(path, line, record)
        if "label" in record:
            return "cluener", f"line {line} has a CLUENER 'label'"
        entities = record.get("entities")
        if entities is not None:
            has_entities_key = True
        if isinstance(entities, list) and entities:
            entity = entities[0]
            if isinstance(entity, dict) and "start_idx" in entity:
                return "cmeee", f"line {line} has CMeEE entities with 'start_idx'"
            if isinstance(entity, dict) and "start" in entity:
                return "jsonl", f"line {line} has entities with 'start'/'end'"
            raise DatasetError(
                path,
                line,
                f"entity {entity!r} has no known shape; expected {{'start', 'end', 'type'}} "
                "(jsonl) or {'start_idx', 'end_idx', 'type', 'entity'} (cmeee)",
            )
    if is_list:
        return "cmeee", "a JSON list without entities (CMeEE test file)"
    if has_entities_key:
        return "jsonl", "JSON lines with empty 'entities'"
    return "cluener", "JSON lines with 'text' only (CLUENER test file)"


def _last_field(line):
    fields = line.split()
    # A line with one field has no tag; the reader reports it with its line.
    return fields[-1] if len(fields) >= 2 else None


def _detect_columns(path, lines):
    for number, line in enumerate(lines, 1):
        fields = line.split()
        if not fields:
            continue
        if fields[0] == columns.DOCSTART:
            return "conll", f"line {number} is a -DOCSTART- line"
        if len(fields) >= 3:
            return "conll", f"line {number} has {len(fields)} columns"
        if len(fields) == 2 and len(fields[0]) > 1:
            return "conll", f"line {number} holds the word {fields[0]!r}"
    prefixes, bad = columns.tag_prefixes(lines, _last_field)
    if bad is not None:
        number, tag = bad
        raise DatasetError(
            path,
            number,
            f"unknown tag {tag!r}: cannot tell the tag scheme; expected 'O' or tags like "
            "'B-PER', 'I-PER', 'M-PER', 'E-PER', 'S-PER'",
        )
    unknown = sorted(set(prefixes) - _KNOWN_PREFIXES)
    if unknown:
        number, tag = prefixes[unknown[0]]
        raise DatasetError(
            path,
            number,
            f"unknown tag scheme: tag {tag!r} has prefix {unknown[0]!r}; expected the "
            "prefixes of BIO (B, I), BIOES (B, I, E, S) or BMES (B, M, E, S)",
        )
    seen = "/".join(p for p in ("B", "I", "M", "E", "S", "O") if p in prefixes)
    if "M" in prefixes:
        return "char_bmes", f"one character per line with tags {seen}"
    if "E" in prefixes or "S" in prefixes:
        return "char_bioes", f"one character per line with tags {seen}"
    return "char_bio", f"one character per line with tags {seen}"
