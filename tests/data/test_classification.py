"""Classification files: every format, auto-detection, round trip, and every error; the
batches texts are predicted in."""

import json
import re

import numpy as np
import pytest

from tests.data.test_formats_errors import write
from tf_ner.data import (
    DatasetError,
    TextExample,
    detect_classification_format,
    label_counts,
    read_classification,
    write_classification,
)
from tf_ner.data.classification.prediction_batches import prediction_batches


@pytest.fixture(autouse=True)
def _seed_and_clear():
    """Overrides the Keras seeding/clearing of tests/conftest.py: no Keras here."""
    yield


def jsonl(*records):
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def raises_at(path, line, pattern, **kwargs):
    """Reads `path`; asserts a DatasetError at `path:line` whose message matches `pattern`."""
    with pytest.raises(DatasetError) as info:
        read_classification(path, **kwargs)
    message = str(info.value)
    where = f"{path}:{line}: " if line is not None else f"{path}: "
    assert message.startswith(where), message
    assert re.search(pattern, message), message
    assert info.value.line == line
    return info.value


def read_pairs(path, **kwargs):
    return [(e.text, e.labels, e.source) for e in read_classification(path, **kwargs)]


# Formats


@pytest.mark.parametrize("fmt", ["auto", "jsonl"])
def test_jsonl_single_and_multi_label(tmp_path, fmt):
    path = write(
        tmp_path / "train.jsonl",
        jsonl({"text": "好", "label": "pos"}, {"text": "坏又贵", "labels": ["neg", "price"]})
        + "\n",  # a blank line holds no record
        newline="\r\n",
        bom=True,
    )
    examples, info = read_classification(path, format=fmt, return_info=True)
    assert [(e.text, e.labels, e.source) for e in examples] == [
        ("好", ("pos",), f"{path}:1"),
        ("坏又贵", ("neg", "price"), f"{path}:2"),
    ]
    assert (info.format, info.detected, info.multi_label) == ("jsonl", fmt == "auto", True)
    assert info.label_counts == {"neg": 1, "pos": 1, "price": 1}


def test_jsonl_as_a_json_list_with_integer_labels(tmp_path):
    path = write(
        tmp_path / "t.json", '[\n {"text": "a", "label": 3},\n {"text": "b", "label": "3"}\n]'
    )
    assert read_pairs(path) == [("a", ("3",), f"{path}:2"), ("b", ("3",), f"{path}:3")]


@pytest.mark.parametrize("fmt", ["auto", "clue"])
def test_clue_tnews_and_iflytek_records(tmp_path, fmt):
    tnews = {
        "label": "102",
        "label_desc": "news_entertainment",
        "sentence": "江疏影甜甜圈自拍",
        "keywords": "江疏影",
    }
    iflytek = {"label": 11, "label_des": "薅羊毛", "sentence": "这是一款能赚钱的应用"}
    path = write(tmp_path / "tnews.json", jsonl(tnews, iflytek))
    examples, info = read_classification(path, format=fmt, return_info=True)
    assert [(e.text, e.labels) for e in examples] == [
        ("江疏影甜甜圈自拍", ("102",)),
        ("这是一款能赚钱的应用", ("11",)),
    ]
    assert info.format == "clue" and info.multi_label is False
    if fmt == "auto":
        assert "'sentence' (CLUE)" in info.reason


@pytest.mark.parametrize("fmt", ["auto", "tsv"])
def test_tsv_without_header(tmp_path, fmt):
    path = write(tmp_path / "t.tsv", "1\t房间干净\n\n0\t太吵了\t真的\n")
    examples, info = read_classification(path, format=fmt, return_info=True)
    assert [(e.text, e.labels, e.source) for e in examples] == [
        ("房间干净", ("1",), f"{path}:1"),
        ("太吵了\t真的", ("0",), f"{path}:3"),  # split at the first tab
    ]
    assert info.format == "tsv" and info.header is None


@pytest.mark.parametrize(
    ("content", "header"),
    [
        ("label\ttext_a\n1\t好\n0\t差\n", ("label", "text_a")),  # ChnSentiCorp train
        ("qid\tlabel\ttext_a\n0\t1\t好\n1\t0\t差\n", ("qid", "label", "text_a")),  # dev/test
        ("label\ttext\n1\t好\n0\t差\n", ("label", "text")),  # THUCNews
        ("Text\tLabel\n好\t1\n差\t0\n", ("text", "label")),  # text first
    ],
)
def test_tsv_with_header(tmp_path, content, header):
    path = write(tmp_path / "t.tsv", content)
    examples, info = read_classification(path, return_info=True)
    assert [(e.text, e.labels, e.source) for e in examples] == [
        ("好", ("1",), f"{path}:2"),
        ("差", ("0",), f"{path}:3"),
    ]
    assert info.header == header


def test_detect_classification_format(tmp_path):
    clue = write(tmp_path / "a", jsonl({"sentence": "s", "label": "1"}))
    own = write(tmp_path / "b", jsonl({"text": "s", "label": "1"}))
    tsv = write(tmp_path / "c", "1\t{not json}\n")
    assert [detect_classification_format(p)[0] for p in (clue, own, tsv)] == [
        "clue",
        "jsonl",
        "tsv",
    ]


def test_round_trip_and_label_counts(tmp_path):
    examples = [
        TextExample("第一句", "a"),
        TextExample("第二句\t带制表符", ("b", "a")),
        TextExample("第三句", ["c"]),
    ]
    path = tmp_path / "out.jsonl"
    write_classification(examples, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[1]) == {"text": "第二句\t带制表符", "labels": ["b", "a"]}
    assert json.loads(lines[0]) == {"text": "第一句", "label": "a"}
    assert read_classification(path) == examples
    assert label_counts(examples) == {"a": 2, "b": 1, "c": 1}
    with pytest.raises(TypeError, match=r"item 0 is a str; expected a TextExample"):
        write_classification(["text"], path)


def test_text_example_rejects_bad_values_naming_the_source():
    with pytest.raises(ValueError, match=r"^f.tsv:3: the text is '  '; expected a non-empty"):
        TextExample("  ", "a", source="f.tsv:3")
    with pytest.raises(ValueError, match=r"^f:1: no label"):
        TextExample("t", (), source="f:1")
    with pytest.raises(ValueError, match=r"label 3: expected a non-empty string"):
        TextExample("t", ("a", 3))
    with pytest.raises(ValueError, match=r"repeat a label"):
        TextExample("t", ("a", "a"))


# Errors: file, line, what was expected


def test_unknown_format_and_missing_file(tmp_path):
    with pytest.raises(ValueError, match=r"unknown classification format 'csv'; expected one"):
        read_classification(tmp_path / "x", format="csv")
    with pytest.raises(FileNotFoundError):
        read_classification(tmp_path / "missing.tsv")


def test_empty_file(tmp_path):
    raises_at(write(tmp_path / "e.tsv", "\n  \n"), None, r"the file is empty")


def test_not_utf8(tmp_path):
    path = tmp_path / "gbk.tsv"
    path.write_bytes("1\t好\n0\t差\n".encode("gbk"))
    raises_at(path, 1, r"not valid UTF-8.*expected a UTF-8 text file")


@pytest.mark.parametrize("fmt", ["auto", "jsonl", "clue"])
def test_malformed_json(tmp_path, fmt):
    path = write(
        tmp_path / "bad.jsonl", jsonl({"text": "a", "label": "x"}) + '{"text": "b", "label"\n'
    )
    if fmt == "clue":
        raises_at(path, 1, r"no 'sentence'; expected \{'sentence': \.\.\., 'label'", format=fmt)
    else:
        raises_at(path, 2, r"invalid JSON at column \d+", format=fmt)


@pytest.mark.parametrize(
    ("record", "fmt", "pattern"),
    [
        (
            {"text": "a"},
            "auto",
            r"no label; expected \{'text': \.\.\., 'label'.*keys found: \['text'\]",
        ),
        ({"text": "a", "label": "x", "labels": ["x"]}, "auto", r"both 'label' and 'labels'"),
        ({"label": "x"}, "jsonl", r"no 'text'; expected \{'text'"),
        ({"text": "", "label": "x"}, "auto", r"the text is ''; expected a non-empty string"),
        ({"text": 5, "label": "x"}, "jsonl", r"the text is 5; expected a non-empty string"),
        ({"text": "a", "label": 1.5}, "auto", r"'label' is 1.5; expected a string or an integer"),
        ({"text": "a", "label": ""}, "auto", r"label '': expected a non-empty string"),
        ({"text": "a", "labels": "x"}, "auto", r"'labels' is 'x'; expected a list"),
        ({"text": "a", "labels": []}, "auto", r"no label; expected at least one"),
        (
            {"text": "a", "labels": ["x", None]},
            "auto",
            r"an item of 'labels' is None; expected a string or an integer",
        ),
        ({"sentence": "a", "label_desc": "x"}, "auto", r"no label; expected \{'sentence'"),
        ({"sentence": "  ", "label": "1"}, "clue", r"the text is '  '"),
        ({"sentence1": "a", "sentence2": "b", "label": "0"}, "auto", r"pairs are not supported"),
        ({"sentence1": "a", "sentence2": "b", "label": "0"}, "clue", r"sentence-pair record"),
        ({"text_a": "a", "text_b": "b", "label": "0"}, "jsonl", r"pairs are not supported"),
    ],
)
def test_bad_json_record_names_its_line(tmp_path, record, fmt, pattern):
    """The bad record is on line 3, after a good record of the same format."""
    clue = fmt == "clue" or (fmt == "auto" and "sentence" in record)
    good = {"sentence": "ok", "label": "1"} if clue else {"text": "ok", "label": "x"}
    path = write(tmp_path / "bad.jsonl", jsonl(good) + "\n" + jsonl(record))
    raises_at(path, 3, pattern, format=fmt)


@pytest.mark.parametrize(
    ("record", "pattern"),
    [
        (
            {"label": "x", "content": "a"},
            r"no text field; expected .*keys found: \['content', 'label'\]",
        ),
        ({"sentence1": "a", "sentence2": "b", "label": "0"}, r"pairs are not supported"),
    ],
)
def test_detection_names_the_first_record(tmp_path, record, pattern):
    raises_at(write(tmp_path / "bad.jsonl", "\n" + jsonl(record)), 2, pattern)


def test_record_that_is_not_an_object(tmp_path):
    path = write(tmp_path / "bad.jsonl", jsonl({"text": "ok", "label": "x"}, ["a", "b"]))
    raises_at(path, 2, r"found a JSON list; expected an object")


def test_tsv_errors(tmp_path):
    raises_at(
        write(tmp_path / "a.tsv", "1\tok\n0 no tab here\n"),
        2,
        r"no tab in '0 no tab here'; expected label<TAB>text",
    )
    raises_at(
        write(tmp_path / "b.tsv", "1\tok\n0\t\n"), 2, r"the text is ''; expected a non-empty string"
    )
    raises_at(
        write(tmp_path / "c.tsv", "1\tok\n \tno label\n"),
        2,
        r"label '': expected a non-empty string",
    )
    raises_at(
        write(tmp_path / "d.tsv", "label\ttext_a\n1\tok\nmissing\n"),
        3,
        r"expected the columns of the header",
    )
    raises_at(
        write(tmp_path / "e.tsv", "text\tlabel\tqid\nok\t1\t7\nok\t1\n"),
        3,
        r"2 tab-separated fields; expected 3",
    )
    raises_at(
        write(tmp_path / "f.tsv", "\nlabel\ttext_a\ttext_b\n"), 2, r"sentence pair.*not supported"
    )
    raises_at(write(tmp_path / "g.tsv", "class\ttext\n1\tok\n"), 1, r"must name one 'label' column")


def test_prediction_batches_sort_by_length_and_pad_to_the_longest():
    lengths = [5, 2, 7, 2, 4]
    token_ids = [np.arange(1, n + 1, dtype=np.int32) * (i + 1) for i, n in enumerate(lengths)]
    batches = list(prediction_batches(token_ids, batch_size=2))
    assert [rows.tolist() for rows, _ in batches] == [[1, 3], [4, 0], [2]]
    assert [f["token_ids"].shape for _, f in batches] == [(2, 2), (2, 5), (1, 7)]
    for rows, features in batches:
        assert not features["segment_ids"].any()
        for row, ids in zip(rows, features["token_ids"], strict=True):
            n = lengths[row]
            np.testing.assert_array_equal(ids[:n], token_ids[row])
            assert not ids[n:].any()
    with pytest.raises(ValueError, match="batch_size=0"):
        next(prediction_batches(token_ids, batch_size=0))
