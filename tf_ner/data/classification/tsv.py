"""Classification TSV: `label<TAB>text`, with or without a header row.

A first line that names a column `label` or a text column (`text`, `text_a`,
`sentence`, `content`, `review`; any case) is a header: ChnSentiCorp's
`label<TAB>text_a`, THUCNews' `label<TAB>text`. Columns are then read by name, so
`text<TAB>label` works and extra columns (ChnSentiCorp's dev/test `qid`) are
ignored. Without a header every line is `label<TAB>text`, split at the first tab
(the text may hold tabs). Labels are stripped of surrounding spaces; texts are kept
as they are. Blank lines hold no record and are skipped.
"""

from tf_ner.data.classification.example import read_example
from tf_ner.data.formats.errors import DatasetError
from tf_ner.data.formats.textfile import read_text, split_lines

TEXT_COLUMNS = ("text", "text_a", "sentence", "content", "review")
_PAIR_COLUMN = "text_b"


def _header(path, number, line):
    """`(names, label_index, text_index)` if `line` is a header row, else None."""
    names = [field.strip().lower() for field in line.split("\t")]
    if "label" not in names and not set(TEXT_COLUMNS) & set(names):
        return None
    if _PAIR_COLUMN in names:
        raise DatasetError(
            path,
            number,
            f"the header {names} names a sentence pair ('text_a'/'text_b'); pairs are not "
            "supported: the classification task takes one text per example",
        )
    text_names = [name for name in names if name in TEXT_COLUMNS]
    if "label" not in names or len(text_names) != 1:
        raise DatasetError(
            path,
            number,
            f"the header {names} must name one 'label' column and one text column "
            f"(one of {', '.join(TEXT_COLUMNS)}), e.g. 'label<TAB>text_a'",
        )
    return names, names.index("label"), names.index(text_names[0])


def read_tsv(path):
    """Reads a classification TSV file.

    Args:
        path: str, the file.

    Returns:
        `(examples, header)`: list of `TextExample` (`source` `"path:line"`), and
        the header's column names (lower-cased) or None when the file has none.

    Raises:
        DatasetError: an empty or non-UTF-8 file, a header without a label or a
            text column (or with a sentence pair), a line without a tab, a line
            whose fields do not match the header, an empty label or text.
    """
    lines = split_lines(read_text(path))
    first = next(i for i, line in enumerate(lines) if line.strip())
    header = _header(path, first + 1, lines[first])
    examples = []
    start = first + 1 if header else first  # 0-based index of the first record
    for number, line in enumerate(lines[start:], start + 1):
        if not line.strip():
            continue
        if "\t" not in line:
            expected = "the columns of the header" if header else "label<TAB>text"
            raise DatasetError(path, number, f"no tab in {line[:40]!r}; expected {expected}")
        if header is None:
            label, text = line.split("\t", 1)
        else:
            label, text = _fields(path, number, line, header)
        examples.append(read_example(path, number, text, label.strip()))
    return examples, None if header is None else tuple(header[0])


def _fields(path, number, line, header):
    names, label_index, text_index = header
    # A last text column keeps any tabs of the text.
    last_is_text = text_index == len(names) - 1
    fields = line.split("\t", len(names) - 1) if last_is_text else line.split("\t")
    if len(fields) != len(names):
        raise DatasetError(
            path,
            number,
            f"{len(fields)} tab-separated fields; expected {len(names)}, the columns of the "
            f"header {names}",
        )
    return fields[label_index], fields[text_index]
