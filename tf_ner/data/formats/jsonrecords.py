"""Records of JSON files (a JSON list or JSON lines) with the line each starts on.

Shared by the `cluener`, `cmeee` and `jsonl` readers, with the checks they all make.
"""

import json

from tf_ner.data.example import Example
from tf_ner.data.formats.errors import DatasetError
from tf_ner.data.formats.textfile import line_of, read_text

_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\n\r"


def _invalid(path, error):
    return DatasetError(path, error.lineno, f"invalid JSON at column {error.colno}: {error.msg}")


def iter_records(path, text):
    """Yields the records of a JSON list (`[{...}, ...]`) or of JSON lines.

    Args:
        path: str, the file (for error messages).
        text: str, its content (as `textfile.read_text` returns).

    Yields:
        `(line, record)`: the 1-based line the record starts on and the decoded value.

    Raises:
        DatasetError: invalid JSON (naming the line and column), or a JSON
            document that is neither a list nor one value per line.
    """
    stripped = text.lstrip(_WHITESPACE)
    if stripped.startswith("["):
        yield from _iter_list(path, text, len(text) - len(stripped))
    else:
        yield from _iter_lines(path, text)


def _iter_lines(path, text):
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip(_WHITESPACE):
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise DatasetError(
                path,
                number,
                f"invalid JSON at column {e.colno}: {e.msg} (expected one JSON object per line)",
            ) from None
        yield number, record


def _skip_whitespace(text, index):
    while index < len(text) and text[index] in _WHITESPACE:
        index += 1
    return index


def _iter_list(path, text, index):
    index = _skip_whitespace(text, index + 1)  # past "["
    if index < len(text) and text[index] == "]":
        return
    while True:
        try:
            record, end = _DECODER.raw_decode(text, index)
        except json.JSONDecodeError as e:
            raise _invalid(path, e) from None
        yield line_of(text, index), record
        index = _skip_whitespace(text, end)
        if index < len(text) and text[index] == ",":
            index = _skip_whitespace(text, index + 1)
            continue
        if index < len(text) and text[index] == "]":
            rest = _skip_whitespace(text, index + 1)
            if rest < len(text):
                raise DatasetError(
                    path, line_of(text, rest), "invalid JSON: extra data after the closing ']'"
                )
            return
        found = repr(text[index]) if index < len(text) else "the end of the file"
        raise DatasetError(
            path, line_of(text, index), f"invalid JSON: found {found}; expected ',' or ']'"
        )


def record_text(path, line, record):
    """Returns `record["text"]`, checking that the record is an object with a str text.

    Raises:
        DatasetError: otherwise, naming the line.
    """
    if not isinstance(record, dict):
        raise DatasetError(
            path, line, f"found a JSON {type(record).__name__}; expected an object with 'text'"
        )
    text = record.get("text")
    if not isinstance(text, str):
        raise DatasetError(
            path, line, f"'text' is {text!r}; expected a string (keys found: {sorted(record)})"
        )
    return text


def span_index(path, line, value, what):
    """Returns `value` if it is an int (not a bool), else raises naming `what`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise DatasetError(path, line, f"{what} is {value!r}; expected an integer")
    return value


def check_span(path, line, text, start, end, what, inclusive):
    """Checks `0 <= start < end <= len(text)` for an exclusive end (`start <= end` inclusive).

    Args:
        path, line: the location for error messages.
        text: str, the record's text.
        start, end: ints as the file gives them.
        what: str, the entity as the message should name it.
        inclusive: bool, True when `end` is the index of the last character.

    Returns:
        int, the exclusive end.

    Raises:
        DatasetError: a span that is empty, reversed or beyond the text.
    """
    stop = end + 1 if inclusive else end
    if not 0 <= start < stop <= len(text):
        if inclusive:
            expected = f"0 <= start <= end <= {len(text) - 1} (end inclusive)"
        else:
            expected = f"0 <= start < end <= {len(text)} (end exclusive)"
        raise DatasetError(
            path,
            line,
            f"{what}: span [{start}, {end}] is not inside the text of length {len(text)}; "
            f"expected {expected}",
        )
    return stop


def check_entity_text(path, line, text, start, stop, expected, what):
    """Raises unless `text[start:stop] == expected` (the entity the file names)."""
    if not isinstance(expected, str):
        raise DatasetError(path, line, f"{what}: entity text is {expected!r}; expected a string")
    found = text[start:stop]
    if found != expected:
        raise DatasetError(
            path,
            line,
            f"{what}: the file names the entity {expected!r} but the text holds {found!r} "
            f"at [{start}:{stop}] (check the end-index convention)",
        )


def read_entity_records(path, counts, start_key, end_key, text_key, inclusive):
    """Examples of a JSON file whose records are `{"text", "entities": [{...}]}`.

    The shared reader of CMeEE (`start_idx`, `end_idx` inclusive, `entity`) and the
    library's own jsonl (`start`, `end` exclusive, `text`).

    Args:
        path: str, the file (a JSON list or JSON lines).
        counts: dict; `counts["duplicates"]` is increased by the entities listed twice.
        start_key, end_key: the keys of an entity's first and last/stop index.
        text_key: the key of an entity's optional text, checked against the slice.
        inclusive: bool, whether `end_key` is inclusive.

    Returns:
        list of `Example`, `source` set to `"path:line"` (the line the record starts on).

    Raises:
        DatasetError: as `read_cmeee` / `read_jsonl` say.
    """
    end_kind = "inclusive" if inclusive else "exclusive"
    examples = []
    for line, record in iter_records(path, read_text(path)):
        text = record_text(path, line, record)
        entities = record.get("entities")
        if entities is None:
            entities = []
        if not isinstance(entities, list):
            raise DatasetError(path, line, f"'entities' is {entities!r}; expected a list")
        spans = []
        for number, entity in enumerate(entities):
            what = f"entity #{number}"
            if not isinstance(entity, dict) or any(
                key not in entity for key in (start_key, end_key, "type")
            ):
                raise DatasetError(
                    path,
                    line,
                    f"{what}: found {entity!r}; expected an object with {start_key!r}, "
                    f"{end_key!r} ({end_kind}), 'type' and optionally {text_key!r}",
                )
            type_ = entity["type"]
            if not isinstance(type_, str) or not type_:
                raise DatasetError(path, line, f"{what}: type {type_!r}; expected a string")
            what = f"entity #{number} ({type_} {entity.get(text_key)!r})"
            start = span_index(path, line, entity[start_key], f"{what} {start_key}")
            end = span_index(path, line, entity[end_key], f"{what} {end_key}")
            stop = check_span(path, line, text, start, end, what, inclusive=inclusive)
            if text_key in entity:
                check_entity_text(path, line, text, start, stop, entity[text_key], what)
            spans.append((start, stop, type_))
        counts["duplicates"] = counts.get("duplicates", 0) + len(spans) - len(set(spans))
        examples.append(Example(text, spans, source=f"{path}:{line}"))
    return examples
