"""CMeEE (CBLUE medical NER): a list of `{"text", "entities": [{"start_idx", "end_idx",
"type", "entity"}]}`.

`end_idx` is inclusive (`text[start_idx:end_idx + 1] == entity`), which the reader
checks. Entities may be nested. The file may be a JSON list (as distributed) or JSON
lines; records without `entities` (the test file) give examples without entities.
The writer emits a JSON list with one record per line.
"""

import json

from tf_ner.data.formats import jsonrecords


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
    counts = {} if counts is None else counts
    return jsonrecords.read_entity_records(
        str(path), counts, "start_idx", "end_idx", "entity", inclusive=True
    )


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
