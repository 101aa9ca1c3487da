"""The library's own JSON lines: `{"text", "entities": [{"start", "end", "type"}]}`.

`end` is exclusive, as in `tf_ner.data.Example`. An entity may carry `"text"`, which
the reader checks against `text[start:end]`; the writer always emits it. Records
without `entities` give examples without entities. Other keys are ignored.
"""

import json

from tf_ner.data.formats import jsonrecords


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
    counts = {} if counts is None else counts
    return jsonrecords.read_entity_records(
        str(path), counts, "start", "end", "text", inclusive=False
    )


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
