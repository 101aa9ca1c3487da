"""The library's own JSON lines: `{"text", "entities": [{"start", "end", "type"}]}`.

`end` is exclusive, as in `tf_ner.data.Example`. An entity may carry `"text"`, which
the reader checks against `text[start:end]`; the writer always emits it. Records
without `entities` give examples without entities. Other keys are ignored.
"""

import json

from tf_ner.data.example import Example
from tf_ner.data.formats import jsonrecords
from tf_ner.data.formats.errors import DatasetError
from tf_ner.data.formats.textfile import read_text

_KEYS = ("start", "end", "type")


def read_jsonl(path, counts=None):
    """Reads the library's JSON lines (a JSON list of the same records is accepted too).

    Args:
        path: str, the file.
        counts: optional dict; `counts["duplicates"]` is increased by the number of
            entities listed twice in a record.

    Returns:
        list of `Example`, `source` set to `"path:line"`.

    Raises:
        DatasetError: an empty file, invalid JSON, a record without a string `text`,
            an entity without int `start`/`end` and str `type`, a span outside the
            text, or an entity `text` that differs from `text[start:end]`.
    """
    path = str(path)
    counts = {} if counts is None else counts
    examples = []
    for line, record in jsonrecords.iter_records(path, read_text(path)):
        text = jsonrecords.record_text(path, line, record)
        entities = record.get("entities")
        if entities is None:
            entities = []
        if not isinstance(entities, list):
            raise DatasetError(path, line, f"'entities' is {entities!r}; expected a list")
        spans = []
        for number, entity in enumerate(entities):
            what = f"entity #{number}"
            if not isinstance(entity, dict) or any(key not in entity for key in _KEYS):
                raise DatasetError(
                    path,
                    line,
                    f"{what}: found {entity!r}; expected an object with 'start', 'end' "
                    "(exclusive) and 'type'",
                )
            type_ = entity["type"]
            if not isinstance(type_, str) or not type_:
                raise DatasetError(path, line, f"{what}: type {type_!r}; expected a string")
            start = jsonrecords.span_index(path, line, entity["start"], f"{what} start")
            end = jsonrecords.span_index(path, line, entity["end"], f"{what} end")
            jsonrecords.check_span(path, line, text, start, end, what, inclusive=False)
            if "text" in entity:
                jsonrecords.check_entity_text(path, line, text, start, end, entity["text"], what)
            spans.append((start, end, type_))
        counts["duplicates"] = counts.get("duplicates", 0) + len(spans) - len(set(spans))
        examples.append(Example(text, spans, source=f"{path}:{line}"))
    return examples


def write_jsonl(examples, path):
    """Writes examples as the library's JSON lines, each entity with its `text`.

    Args:
        examples: iterable of `Example`.
        path: str, the file to write (overwritten).
    """
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for example in examples:
            entities = [
                {"start": s, "end": e, "type": t, "text": example.text[s:e]}
                for s, e, t in example.entities
            ]
            record = {"text": example.text, "entities": entities}
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
