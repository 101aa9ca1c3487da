"""CMeEE (CBLUE medical NER): a list of `{"text", "entities": [{"start_idx", "end_idx",
"type", "entity"}]}`.

`end_idx` is inclusive (`text[start_idx:end_idx + 1] == entity`), which the reader
checks. Entities may be nested. The file may be a JSON list (as distributed) or JSON
lines; records without `entities` (the test file) give examples without entities.
The writer emits a JSON list with one record per line.
"""

import json

from tf_ner.data.example import Example
from tf_ner.data.formats import jsonrecords
from tf_ner.data.formats.errors import DatasetError
from tf_ner.data.formats.textfile import read_text

_KEYS = ("start_idx", "end_idx", "type")


def read_cmeee(path, counts=None):
    """Reads a CMeEE file.

    Args:
        path: str, the file.
        counts: optional dict; `counts["duplicates"]` is increased by the number of
            entities listed twice in a record.

    Returns:
        list of `Example`, `source` set to `"path:line"` (the line the record starts on).

    Raises:
        DatasetError: an empty file, invalid JSON, a record without a string `text`,
            an entity without `start_idx`/`end_idx`/`type`, a span beyond the text
            (inclusive end), or an `entity` that differs from the text's slice.
            The line is the one the record starts on; the message names the entity.
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
                    f"{what}: found {entity!r}; expected an object with "
                    "'start_idx', 'end_idx' (inclusive), 'type' and 'entity'",
                )
            type_ = entity["type"]
            if not isinstance(type_, str) or not type_:
                raise DatasetError(path, line, f"{what}: type {type_!r}; expected a string")
            what = f"entity #{number} ({type_} {entity.get('entity')!r})"
            start = jsonrecords.span_index(path, line, entity["start_idx"], f"{what} start_idx")
            end = jsonrecords.span_index(path, line, entity["end_idx"], f"{what} end_idx")
            stop = jsonrecords.check_span(path, line, text, start, end, what, inclusive=True)
            if "entity" in entity:
                jsonrecords.check_entity_text(path, line, text, start, stop, entity["entity"], what)
            spans.append((start, stop, type_))
        counts["duplicates"] = counts.get("duplicates", 0) + len(spans) - len(set(spans))
        examples.append(Example(text, spans, source=f"{path}:{line}"))
    return examples


def write_cmeee(examples, path):
    """Writes examples as a CMeEE JSON list (inclusive ends), one record per line.

    Args:
        examples: iterable of `Example`.
        path: str, the file to write (overwritten).
    """
    records = []
    for example in examples:
        entities = [
            {"start_idx": s, "end_idx": e - 1, "type": t, "entity": example.text[s:e]}
            for s, e, t in example.entities
        ]
        records.append(json.dumps({"text": example.text, "entities": entities}, ensure_ascii=False))
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("[\n" + ",\n".join(records) + "\n]\n")
