"""CoNLL-2003 style word columns: one word per line, the entity tag in the last column.

Formats:
- `conll`: IOB1 or IOB2, chosen from the tags (see `guess_conll_scheme`);
- `conll_iob1`, `conll_iob2`, `conll_bioes`: the scheme given explicitly.

Columns are separated by spaces or tabs; every line of a file has the same number of
columns; `-DOCSTART-` lines are skipped; blank lines separate sentences. The text of
a sentence is its words joined by single spaces, so a span is a character offset
into that text (`"EU rejects German"`: `EU` is `(0, 2)`, `German` is `(11, 17)`).

Writing emits two columns, `<word> <tag>`, with IOB2 tags for `conll` and
`conll_iob2` (IOB1 for `conll_iob1`, BIOES for `conll_bioes`). The text must be
words separated by single spaces and every entity must start and end at a word edge.
"""

import re

from tf_ner.data import tags as tag_schemes
from tf_ner.data.example import Example
from tf_ner.data.formats import columns
from tf_ner.data.formats.errors import DatasetError
from tf_ner.data.formats.textfile import read_text, split_lines
from tf_ner.ground.errors import InputError

SCHEMES = {"conll_iob1": "IOB1", "conll_iob2": "BIO", "conll_bioes": "BIOES", "conll": "BIO"}

_SEPARATORS = re.compile(r"[ \t]+")


def _fields(line):
    return _SEPARATORS.split(line.strip(" \t"))


def guess_conll_scheme(sentences):
    """Chooses IOB1, IOB2 (BIO) or BIOES from the tags of a CoNLL file.

    - any `E-`/`S-` tag: BIOES;
    - some `I-X` opens an entity (after `O`, another type, or at a sentence start)
      and no `B-X` follows anything but `X`: IOB1 (B only separates same-type
      neighbours, as in the original CoNLL-2003 files);
    - otherwise IOB2 (BIO); a file mixing both shapes is read as IOB2, so its
      `I-` openings are reported as errors rather than guessed at.

    Args:
        sentences: list of sentences, each a list of `(line, token, tag)`.

    Returns:
        str, `"IOB1"`, `"BIO"` or `"BIOES"`.
    """
    i_opens = False
    b_after_other = False
    for rows in sentences:
        prev_prefix, prev_type = "O", None
        for _, _, tag in rows:
            prefix, _, type_ = tag.partition("-")
            if prefix in ("E", "S"):
                return "BIOES"
            if prefix == "I" and (prev_prefix == "O" or prev_type != type_):
                i_opens = True
            if prefix == "B" and (prev_prefix == "O" or prev_type != type_):
                b_after_other = True
            prev_prefix, prev_type = prefix, (type_ if tag != "O" else None)
    return "IOB1" if i_opens and not b_after_other else "BIO"


def read_conll(path, format="conll", repair=False, repairs=None):
    """Reads a CoNLL column file.

    Args:
        path: str, the file.
        format: str, `"conll"` (guess IOB1 vs IOB2), `"conll_iob1"`, `"conll_iob2"`
            or `"conll_bioes"`.
        repair: bool, repair invalid tag sequences the way seqeval reads them.
        repairs: optional list to which `(line, reason)` is appended per repair.

    Returns:
        `(examples, format)`: list of `Example` (one per sentence, `source` set to
        `"path:line"`) and the resolved format name (`"conll_iob1"`, ...).

    Raises:
        DatasetError: an empty file, a line with no tag, a line with another number
            of columns than the first, an unknown tag, or (unless `repair`) an
            invalid tag sequence.
    """
    path = str(path)
    repairs = [] if repairs is None else repairs
    lines = split_lines(read_text(path))
    expected = []

    def parse(path, number, line):
        fields = _fields(line)
        if len(fields) < 2:
            raise DatasetError(
                path, number, f"found {line!r} with no tag; expected '<word> ... <tag>'"
            )
        if not expected:
            expected.append(len(fields))
        columns.check_columns(path, number, fields, expected[0])
        return fields[0], fields[-1]

    sentences = list(columns.iter_sentences(path, lines, parse, skip_docstart=True))
    if not sentences:
        raise DatasetError(path, None, "the file has only -DOCSTART- lines; expected sentences")
    if format == "conll":
        scheme = guess_conll_scheme(sentences)
        format = {"IOB1": "conll_iob1", "BIO": "conll_iob2", "BIOES": "conll_bioes"}[scheme]
    scheme = SCHEMES[format]
    examples = []
    for rows in sentences:
        spans = columns.decode_rows(path, rows, scheme, repair, repairs)
        words = [token for _, token, _ in rows]
        starts = []
        offset = 0
        for word in words:
            starts.append(offset)
            offset += len(word) + 1
        entities = [(starts[s], starts[e - 1] + len(words[e - 1]), type_) for s, e, type_ in spans]
        examples.append(Example(" ".join(words), entities, source=f"{path}:{rows[0][0]}"))
    return examples, format


def write_conll(examples, path, format="conll"):
    """Writes examples as `<word> <tag>` lines, a blank line after each sentence.

    Args:
        examples: iterable of `Example` whose text is words separated by single
            spaces and whose entities are flat and aligned to words.
        path: str, the file to write (overwritten).
        format: str, `"conll"`/`"conll_iob2"` (IOB2 tags), `"conll_iob1"` or
            `"conll_bioes"`.

    Raises:
        ValueError: a text that is not single-space-separated words, an entity
            that does not start or end at a word edge, or overlapping entities
            (the message names the example).
    """
    scheme = SCHEMES[format]
    out = []
    for index, example in enumerate(examples):
        where = f"example {index}" + (f" ({example.source})" if example.source else "")
        words = example.text.split(" ")
        if not example.text or any(not w or re.search(r"[ \t\r\n]", w) for w in words):
            raise InputError(
                f"{where}: text {example.text[:60]!r} is not words separated by single "
                "spaces; a CoNLL file holds words, not arbitrary whitespace"
            )
        word_of_start = {}
        word_of_end = {}
        offset = 0
        for i, word in enumerate(words):
            word_of_start[offset] = i
            word_of_end[offset + len(word)] = i + 1
            offset += len(word) + 1
        spans = []
        for start, end, type_ in example.entities:
            if start not in word_of_start or end not in word_of_end:
                raise InputError(
                    f"{where}: entity {(start, end, type_)!r} = "
                    f"{example.text[start:end]!r} does not start and end at word edges"
                )
            spans.append((word_of_start[start], word_of_end[end], type_))
        try:
            tags = tag_schemes.spans_to_tags(len(words), spans, scheme)
        except ValueError as e:
            raise InputError(f"{where}: {e}") from None
        out.extend(f"{word} {tag}\n" for word, tag in zip(words, tags, strict=True))
        out.append("\n")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.writelines(out)
