"""Bad input: one DatasetError naming the file, the right line, and what was expected."""

import json
import re

import pytest

from tf_ner.data import DatasetError, read_dataset


@pytest.fixture(autouse=True)
def _seed_and_clear():
    """Overrides the Keras seeding/clearing of tests/conftest.py: no Keras here."""
    yield


def write(path, text, newline="\n", bom=False):
    data = ("\ufeff" if bom else "") + text.replace("\n", newline)
    path.write_bytes(data.encode("utf-8"))
    return path


def raises_at(path, line, pattern, **kwargs):
    """Reads `path`; asserts a DatasetError at `path:line` whose message matches `pattern`."""
    with pytest.raises(DatasetError) as info:
        read_dataset(path, **kwargs)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert re.search(pattern, message), message
    assert info.value.line == line
    assert info.value.path == str(path)
    return info.value


@pytest.mark.parametrize("fmt", ["auto", "char_bmes", "conll", "cluener", "cmeee", "jsonl"])
@pytest.mark.parametrize("content", ["", "\n\r\n  \n", "\ufeff"])
def test_empty_file(tmp_path, fmt, content):
    path = tmp_path / "empty.txt"
    path.write_bytes(content.encode("utf-8"))
    with pytest.raises(DatasetError, match=f"^{re.escape(str(path))}: the file is empty"):
        read_dataset(path, format=fmt)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("fmt", ["auto", "char_bmes"])
def test_char_line_with_no_tag(tmp_path, newline, fmt):
    path = write(tmp_path / "msra.txt", "我 O\n在 O\n\n北 B-NS\n京\n", newline)
    raises_at(path, 5, r"found '京' with no tag; expected '<character> <tag>'", format=fmt)


def test_char_line_with_more_than_one_character(tmp_path):
    path = write(tmp_path / "c.txt", "我 O\n北京 B-NS\n", bom=True)
    raises_at(path, 2, r"found '北京' before the tag; expected one character", format="char_bio")


def test_unknown_tag_scheme_when_detecting(tmp_path):
    path = write(tmp_path / "c.txt", "我 O\n在 O\n北 X-NS\n")
    raises_at(path, 3, r"unknown tag scheme: tag 'X-NS' has prefix 'X'")
    path = write(tmp_path / "d.txt", "我 O\n在 NS\n")
    raises_at(path, 2, r"unknown tag 'NS': cannot tell the tag scheme")


def test_unknown_tag_for_the_requested_scheme(tmp_path):
    path = write(tmp_path / "c.txt", "我 O\n\n北 B-NS\n京 E-NS\n", "\r\n")
    raises_at(path, 4, r"unknown tag 'E-NS' for scheme BIO", format="char_bio")


def test_unknown_format_name(tmp_path):
    path = write(tmp_path / "c.txt", "我 O\n")
    with pytest.raises(ValueError, match="unknown dataset format 'bio'; expected one of auto"):
        read_dataset(path, format="bio")


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_i_tag_starting_an_entity_and_its_repair(tmp_path, newline):
    path = write(
        tmp_path / "bio.txt", "张\tB-PER\n三\tI-PER\n\n去\tO\n中\tI-ORG\n信\tI-ORG\n", newline
    )
    raises_at(path, 5, r"'I-ORG' continues no entity: it follows 'O'.*repair=True")
    examples, info = read_dataset(path, repair=True, return_info=True)
    assert [list(e.entities) for e in examples] == [[(0, 2, "PER")], [(1, 3, "ORG")]]
    assert info.repair_count == 1
    assert info.repairs[0][0] == 5


def test_unclosed_bmes_entity_at_sentence_end(tmp_path):
    path = write(tmp_path / "msra.txt", "我 O\n北 B-NS\n\n京 E-NS\n")
    raises_at(path, 2, r"ends with 'B-NS', which leaves that entity unclosed")
    examples, info = read_dataset(path, repair=True, return_info=True)
    assert [list(e.entities) for e in examples] == [[(1, 2, "NS")], [(0, 1, "NS")]]
    assert [line for line, _ in info.repairs] == [2, 4]


def test_conll_line_with_no_tag_and_wrong_column_count(tmp_path):
    path = write(tmp_path / "c.txt", "-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects\n")
    raises_at(path, 4, r"found 'rejects' with no tag", format="conll")
    path = write(tmp_path / "d.txt", "EU NNP B-NP B-ORG\nrejects VBZ B-VP O\ncall NN O\n", "\r\n")
    raises_at(path, 3, r"found 3 columns .*; expected 4 like the first line")


def test_conll_i_opening_in_iob2_file(tmp_path):
    path = write(tmp_path / "c.txt", "EU B-ORG\nrejects O\n\nGerman B-MISC\ncall O\nlamb I-MISC\n")
    raises_at(path, 6, r"'I-MISC' continues no entity: it follows 'O'", format="conll_iob2")
    raises_at(path, 6, r"'I-MISC' continues no entity", format="auto")
    assert read_dataset(path, format="conll_iob1")[1].entities == ((0, 6, "MISC"), (12, 16, "MISC"))


CLUENER_OK = {"text": "叶老桂博士", "label": {"name": {"叶老桂": [[0, 2]]}}}


def cluener_file(path, bad_record, newline="\n"):
    lines = [CLUENER_OK, CLUENER_OK, bad_record]
    return write(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines), newline)


@pytest.mark.parametrize("fmt", ["auto", "cluener"])
def test_cluener_inclusive_end_beyond_the_text(tmp_path, fmt):
    bad = {"text": "叶老桂博士", "label": {"name": {"博士": [[3, 5]]}}}
    path = cluener_file(tmp_path / "train.json", bad, "\r\n")
    raises_at(
        path, 3, r"span \[3, 5\] is not inside the text of length 5.*end inclusive", format=fmt
    )


def test_cluener_entity_text_differs_from_the_slice(tmp_path):
    # An exclusive end written where CLUENER expects an inclusive one.
    bad = {"text": "叶老桂博士", "label": {"name": {"叶老桂": [[0, 3]]}}}
    path = cluener_file(tmp_path / "dev.json", bad)
    raises_at(path, 3, r"names the entity '叶老桂' but the text holds '叶老桂博' at \[0:4\]")


def test_cluener_label_of_the_wrong_shape(tmp_path):
    bad = {"text": "叶老桂博士", "label": {"name": [[0, 2]]}}
    raises_at(cluener_file(tmp_path / "dev.json", bad), 3, r"expected a non-empty type mapping")


def test_cmeee_errors_name_the_record_line(tmp_path):
    good = {
        "text": "咳嗽",
        "entities": [{"start_idx": 0, "end_idx": 1, "type": "sym", "entity": "咳嗽"}],
    }
    beyond = {
        "text": "咳嗽",
        "entities": [{"start_idx": 0, "end_idx": 2, "type": "sym", "entity": "咳嗽"}],
    }
    differs = {
        "text": "咳嗽",
        "entities": [{"start_idx": 0, "end_idx": 0, "type": "sym", "entity": "咳嗽"}],
    }
    missing = {"text": "咳嗽", "entities": [{"start_idx": 0, "type": "sym"}]}
    for bad, pattern in [
        (beyond, r"span \[0, 2\] is not inside the text of length 2"),
        (differs, r"names the entity '咳嗽' but the text holds '咳'"),
        (missing, r"expected an object with 'start_idx', 'end_idx' \(inclusive\)"),
    ]:
        # One record per line inside a JSON list: the bad record starts on line 3.
        text = "[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in (good, bad)) + "\n]\n"
        raises_at(write(tmp_path / "CMeEE_train.json", text), 3, pattern, format="cmeee")


def test_invalid_json_names_the_line(tmp_path):
    good = json.dumps({"text": "Bob", "entities": [{"start": 0, "end": 3, "type": "PER"}]})
    path = write(tmp_path / "own.jsonl", f"{good}\n\n{good[:-1]}\n{good}\n")
    raises_at(path, 3, r"invalid JSON at column \d+: .*one JSON object per line")
    raises_at(path, 3, r"invalid JSON", format="jsonl")
    lst = write(tmp_path / "list.json", "[\n" + good + ",\n" + good + "\n" + good + "\n]", "\r\n")
    raises_at(lst, 4, r"invalid JSON: found '\{'; expected ',' or '\]'", format="jsonl")
    broken = write(tmp_path / "broken.json", '[\n{"text": "a",\n "entities": [}\n]')
    raises_at(broken, 3, r"invalid JSON at column 15", format="cmeee")


def test_jsonl_entity_checks(tmp_path):
    good = '{"text": "Bob", "entities": []}\n'
    cases = [
        ('{"text": "Bob", "entities": [{"start": 0, "end": 4, "type": "PER"}]}', r"end <= 3"),
        (
            '{"text": "Bob", "entities": [{"start": 0, "end": 2, "type": "PER", "text": "Bob"}]}',
            r"names the entity 'Bob' but the text holds 'Bo'",
        ),
        (
            '{"text": "Bob", "entities": [{"start": "0", "end": 2, "type": "PER"}]}',
            r"start is '0'; expected an integer",
        ),
        ('{"entities": []}', r"'text' is None; expected a string"),
        ('["Bob"]', r"found a JSON list; expected an object with 'text'"),
    ]
    for bad, pattern in cases:
        raises_at(
            write(tmp_path / "own.jsonl", good + good + bad + "\n"), 3, pattern, format="jsonl"
        )


def test_invalid_utf8_names_the_line(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("我 O\n在 O\n".encode() + "é O\n".encode("latin-1"))
    raises_at(path, 3, r"not valid UTF-8")
