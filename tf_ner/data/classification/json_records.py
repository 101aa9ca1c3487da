"""Classification records in JSON: the library's jsonl and CLUE's classification sets.

- `jsonl`: `{"text": ..., "label": ...}` or `{"text": ..., "labels": [...]}`.
- `clue`: `{"sentence": ..., "label": ..., ...}` as TNEWS and IFLYTEK ship it; other
  keys (`label_desc`, `label_des`, `keywords`, `id`) are ignored.

A label is a string or an integer (CLUE writes `"label": "102"`, some files
`"label": 3`); either is kept as its string. Files are JSON lines or one JSON list
(`tf_ner.data.formats.jsonrecords`). Sentence pairs (CLUE's AFQMC, CMNLI, OCNLI:
`sentence1`/`sentence2`) are rejected: the classification task takes one text.
"""

from tf_ner.data.classification.example import read_example
from tf_ner.data.formats import jsonrecords
from tf_ner.data.formats.errors import DatasetError
from tf_ner.data.formats.textfile import read_text

TEXT_KEYS = {"jsonl": "text", "clue": "sentence"}
_SHAPES = {
    "jsonl": "{'text': ..., 'label': ...} or {'text': ..., 'labels': [...]}",
    "clue": "{'sentence': ..., 'label': ...}",
}
_PAIR_KEYS = (("sentence1", "sentence2"), ("text_a", "text_b"))


def _check_record(path, line, record):
    if not isinstance(record, dict):
        raise DatasetError(path, line, f"found a JSON {type(record).__name__}; expected an object")
    for first, second in _PAIR_KEYS:
        if first in record and second in record:
            raise DatasetError(
                path,
                line,
                f"a sentence-pair record ({first!r}/{second!r}, e.g. CLUE AFQMC); pairs "
                "are not supported: the classification task takes one text per example",
            )


def record_format(path, line, record):
    """`"clue"` or `"jsonl"`, from the keys of one record.

    Raises:
        DatasetError: not an object, a sentence pair, or neither text key.
    """
    _check_record(path, line, record)
    for format, key in sorted(TEXT_KEYS.items()):
        if key in record:
            return format
    raise DatasetError(
        path,
        line,
        f"no text field; expected {_SHAPES['jsonl']} or CLUE's {_SHAPES['clue']} "
        f"(keys found: {sorted(record)})",
    )


def _label(path, line, value, what):
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value
    raise DatasetError(path, line, f"{what} is {value!r}; expected a string or an integer")


def _labels(path, line, record, format):
    has_one, has_many = "label" in record, format == "jsonl" and "labels" in record
    if has_one == has_many:
        found = "both 'label' and 'labels'" if has_one else "no label"
        raise DatasetError(
            path, line, f"{found}; expected {_SHAPES[format]} (keys found: {sorted(record)})"
        )
    if has_one:
        return (_label(path, line, record["label"], "'label'"),)
    values = record["labels"]
    if not isinstance(values, list):
        raise DatasetError(path, line, f"'labels' is {values!r}; expected a list of labels")
    return tuple(_label(path, line, value, "an item of 'labels'") for value in values)


def read_json_records(path, format):
    """Reads a jsonl or CLUE classification file.

    Args:
        path: str, the file.
        format: `"jsonl"` or `"clue"`.

    Returns:
        list of `TextExample`, `source` set to `"path:line"`.

    Raises:
        DatasetError: an empty or non-UTF-8 file, invalid JSON, a record that is not
            an object, a sentence pair, a missing or non-string text, an empty
            text, a missing label, a label that is neither string nor integer.
    """
    key = TEXT_KEYS[format]
    examples = []
    for line, record in jsonrecords.iter_records(path, read_text(path)):
        _check_record(path, line, record)
        if key not in record:
            raise DatasetError(
                path,
                line,
                f"no {key!r}; expected {_SHAPES[format]} (keys found: {sorted(record)})",
            )
        labels = _labels(path, line, record, format)
        examples.append(read_example(path, line, record[key], labels))
    return examples
