"""CLUENER2020: JSON lines `{"text", "label": {type: {entity: [[start, end], ...]}}}`.

`end` is inclusive (`text[start:end + 1] == entity`), which the reader checks for
every position. Records without `label` (the test file) give examples without
entities. The writer emits a `label` for every record (`{}` when there are none),
entity texts in span order.
"""

import json

from tf_ner.data.example import Example
from tf_ner.data.formats import jsonrecords
from tf_ner.data.formats.errors import DatasetError
from tf_ner.data.formats.textfile import read_text


def read_cluener(path, counts=None):
    """Reads a CLUENER2020 file.

    Args:
        path: str, the file.
        counts: optional dict; `counts["duplicates"]` is increased by the number of
            positions listed twice for the same type and entity.

    Returns:
        list of `Example`, `source` set to `"path:line"`.

    Raises:
        DatasetError: an empty file, invalid JSON, a record without a string `text`,
            a `label` of the wrong shape, a span beyond the text (inclusive end),
            or an entity whose text differs from `text[start:end + 1]`.
    """
    path = str(path)
    counts = {} if counts is None else counts
    examples = []
    for line, record in jsonrecords.iter_records(path, read_text(path)):
        text = jsonrecords.record_text(path, line, record)
        label = record.get("label")
        spans = []
        if label is not None:
            if not isinstance(label, dict):
                raise DatasetError(
                    path, line, f"'label' is {label!r}; expected {{type: {{entity: [[s, e]]}}}}"
                )
            for type_, entities in label.items():
                spans.extend(_type_spans(path, line, text, type_, entities))
        counts["duplicates"] = counts.get("duplicates", 0) + len(spans) - len(set(spans))
        examples.append(Example(text, spans, source=f"{path}:{line}"))
    return examples


def _type_spans(path, line, text, type_, entities):
    if not type_ or not isinstance(entities, dict):
        raise DatasetError(
            path,
            line,
            f"label {type_!r}: found {entities!r}; expected a non-empty type mapping "
            "{entity text: [[start, end_inclusive], ...]}",
        )
    spans = []
    for entity, positions in entities.items():
        what = f"{type_} entity {entity!r}"
        if not isinstance(positions, list):
            raise DatasetError(
                path, line, f"{what}: found {positions!r}; expected a list of [start, end]"
            )
        for pair in positions:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise DatasetError(
                    path, line, f"{what}: found {pair!r}; expected [start, end_inclusive]"
                )
            start = jsonrecords.span_index(path, line, pair[0], f"{what} start")
            end = jsonrecords.span_index(path, line, pair[1], f"{what} end")
            stop = jsonrecords.check_span(path, line, text, start, end, what, inclusive=True)
            jsonrecords.check_entity_text(path, line, text, start, stop, entity, what)
            spans.append((start, stop, type_))
    return spans


def write_cluener(examples, path):
    """Writes examples as CLUENER2020 JSON lines (inclusive ends), UTF-8, LF.

    Args:
        examples: iterable of `Example`.
        path: str, the file to write (overwritten).
    """
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for example in examples:
            label = {}
            for start, end, type_ in example.entities:
                entity = example.text[start:end]
                label.setdefault(type_, {}).setdefault(entity, []).append([start, end - 1])
            record = {"text": example.text, "label": label}
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
