"""Readers, writers and auto-detection on small files written here, spans written by hand."""

import json
import logging

import pytest

from tf_ner.data import Example, detect_format, read_dataset, write_dataset

BOM = "\ufeff"


def write(path, text, newline="\n", bom=False):
    """Writes `text` (with LF newlines) using `newline`, UTF-8, optionally with a BOM."""
    data = (BOM if bom else "") + text.replace("\n", newline)
    path.write_bytes(data.encode("utf-8"))
    return path


# Each case: file content, how it is written, expected format (auto), expected examples.
CHAR_BMES = (
    "我 O\n在 O\n北 B-NS\n京 E-NS\n见 O\n王 B-NR\n小 M-NR\n明 E-NR\n。 O\n\n沪 S-NS\n好 O\n\n"
)
CHAR_BMES_EXPECTED = [
    ("我在北京见王小明。", [(2, 4, "NS"), (5, 8, "NR")]),
    ("沪好", [(0, 1, "NS")]),
]

CHAR_BIO = "张\tB-PER\n三\tI-PER\n去\tO\n了\tO\n中\tB-ORG\n信\tI-ORG\n\n北\tB-LOC\n京\tI-LOC\n"
CHAR_BIO_EXPECTED = [("张三去了中信", [(0, 2, "PER"), (4, 6, "ORG")]), ("北京", [(0, 2, "LOC")])]

CHAR_BIOES = "李  B-PER\n白  E-PER\n写  O\n诗  S-ITEM\n\n\n\n杜  S-PER\n"
CHAR_BIOES_EXPECTED = [("李白写诗", [(0, 2, "PER"), (3, 4, "ITEM")]), ("杜", [(0, 1, "PER")])]

CONLL_IOB2 = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O
to TO B-VP O
boycott VB I-VP O
British JJ B-NP B-MISC
lamb NN I-NP O
. . O O

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER
"""
CONLL_IOB2_EXPECTED = [
    (
        "EU rejects German call to boycott British lamb .",
        [(0, 2, "ORG"), (11, 17, "MISC"), (34, 41, "MISC")],
    ),
    ("Peter Blackburn", [(0, 15, "PER")]),
]

CONLL_IOB1 = """-DOCSTART-\t-X-\tO\tO

EU\tNNP\tI-NP\tI-ORG
rejects\tVBZ\tI-VP\tO
German\tJJ\tI-NP\tI-MISC
call\tNN\tI-NP\tO

Peter\tNNP\tI-NP\tI-PER
Blackburn\tNNP\tI-NP\tI-PER
Paul\tNNP\tI-NP\tB-PER
Smith\tNNP\tI-NP\tI-PER
met\tVBD\tI-VP\tO

-DOCSTART-\t-X-\tO\tO

Bonn\tNNP\tI-NP\tI-LOC
"""
CONLL_IOB1_EXPECTED = [
    ("EU rejects German call", [(0, 2, "ORG"), (11, 17, "MISC")]),
    ("Peter Blackburn Paul Smith met", [(0, 15, "PER"), (16, 26, "PER")]),
    ("Bonn", [(0, 4, "LOC")]),
]

CLUENER_RECORDS = [
    {
        "text": "浙商银行企业信贷部叶老桂博士则从另一个角度对五道门槛进行了解读。",
        "label": {"name": {"叶老桂": [[9, 11]]}, "company": {"浙商银行": [[0, 3]]}},
    },
    {"text": "北京和北京", "label": {"address": {"北京": [[0, 1], [3, 4]]}}},
    {"text": "没有实体", "label": {}},
]
CLUENER = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in CLUENER_RECORDS)
CLUENER_EXPECTED = [
    (CLUENER_RECORDS[0]["text"], [(0, 4, "company"), (9, 12, "name")]),
    ("北京和北京", [(0, 2, "address"), (3, 5, "address")]),
    ("没有实体", []),
]
CLUENER_TEST = '{"id": 0, "text": "四川敦煌"}\n{"id": 1, "text": "尼日利亚"}\n'
CLUENER_TEST_EXPECTED = [("四川敦煌", []), ("尼日利亚", [])]

CMEEE_RECORDS = [
    {
        "text": "糖尿病肾病患者",
        "entities": [
            {"start_idx": 0, "end_idx": 4, "type": "dis", "entity": "糖尿病肾病"},
            {"start_idx": 0, "end_idx": 2, "type": "dis", "entity": "糖尿病"},
            {"start_idx": 3, "end_idx": 3, "type": "bod", "entity": "肾"},
        ],
    },
    {"text": "咳嗽", "entities": [{"start_idx": 0, "end_idx": 1, "type": "sym", "entity": "咳嗽"}]},
]
CMEEE = json.dumps(CMEEE_RECORDS, ensure_ascii=False, indent=4)
CMEEE_JSONL = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in CMEEE_RECORDS)
CMEEE_EXPECTED = [
    ("糖尿病肾病患者", [(0, 3, "dis"), (0, 5, "dis"), (3, 4, "bod")]),
    ("咳嗽", [(0, 2, "sym")]),
]

JSONL = (
    '{"text": "Alice met Bob in Paris", "entities": [{"start": 0, "end": 5, "type": "PER", '
    '"text": "Alice"}, {"start": 10, "end": 13, "type": "PER"}, {"start": 17, "end": 22, '
    '"type": "LOC"}, {"start": 0, "end": 13, "type": "GROUP"}]}\n'
    '{"text": "nothing here", "entities": []}\n'
)


@pytest.fixture(autouse=True)
def _seed_and_clear():
    """Overrides the Keras seeding/clearing of tests/conftest.py: no Keras here."""
    yield


JSONL_EXPECTED = [
    (
        "Alice met Bob in Paris",
        [(0, 5, "PER"), (0, 13, "GROUP"), (10, 13, "PER"), (17, 22, "LOC")],
    ),
    ("nothing here", []),
]

# name, content, newline, bom, format detected (resolved), expected
CASES = [
    ("msra_crlf.txt", CHAR_BMES, "\r\n", False, "char_bmes", CHAR_BMES_EXPECTED),
    ("msra_lf_bom.txt", CHAR_BMES, "\n", True, "char_bmes", CHAR_BMES_EXPECTED),
    ("bio_tabs.txt", CHAR_BIO, "\n", False, "char_bio", CHAR_BIO_EXPECTED),
    ("bio_tabs_crlf.txt", CHAR_BIO, "\r\n", False, "char_bio", CHAR_BIO_EXPECTED),
    ("bioes_spaces.txt", CHAR_BIOES, "\n", True, "char_bioes", CHAR_BIOES_EXPECTED),
    ("conll2003.txt", CONLL_IOB2, "\n", False, "conll_iob2", CONLL_IOB2_EXPECTED),
    ("conll_iob1.txt", CONLL_IOB1, "\r\n", False, "conll_iob1", CONLL_IOB1_EXPECTED),
    ("cluener.json", CLUENER, "\n", False, "cluener", CLUENER_EXPECTED),
    ("cluener_crlf.json", CLUENER, "\r\n", True, "cluener", CLUENER_EXPECTED),
    ("cluener_test.json", CLUENER_TEST, "\n", False, "cluener", CLUENER_TEST_EXPECTED),
    ("CMeEE_dev.json", CMEEE, "\n", False, "cmeee", CMEEE_EXPECTED),
    ("cmeee_bom_crlf.json", CMEEE, "\r\n", True, "cmeee", CMEEE_EXPECTED),
    ("cmeee.jsonl", CMEEE_JSONL, "\n", False, "cmeee", CMEEE_EXPECTED),
    ("own.jsonl", JSONL, "\n", False, "jsonl", JSONL_EXPECTED),
]
IDS = [case[0] for case in CASES]

# The explicit format name for each resolved one (plain "conll" guesses IOB1/IOB2).
EXPLICIT = {"conll_iob2": "conll", "conll_iob1": "conll_iob1"}


def as_pairs(examples):
    return [(e.text, list(e.entities)) for e in examples]


@pytest.mark.parametrize("name, content, newline, bom, fmt, expected", CASES, ids=IDS)
def test_read_explicit_format(tmp_path, name, content, newline, bom, fmt, expected):
    path = write(tmp_path / name, content, newline, bom)
    examples = read_dataset(path, format=EXPLICIT.get(fmt, fmt))
    assert as_pairs(examples) == expected


@pytest.mark.parametrize("name, content, newline, bom, fmt, expected", CASES, ids=IDS)
def test_auto_detection_picks_the_format(
    tmp_path, caplog, name, content, newline, bom, fmt, expected
):
    path = write(tmp_path / name, content, newline, bom)
    with caplog.at_level(logging.INFO, logger="tf_ner.data"):
        examples, info = read_dataset(path, return_info=True)
    assert info.format == fmt
    assert info.detected
    assert info.repair_count == 0
    assert as_pairs(examples) == expected
    assert f"as {fmt} (auto-detected" in caplog.text


@pytest.mark.parametrize("name, content, newline, bom, fmt, expected", CASES, ids=IDS)
def test_write_then_read_gives_the_same_examples(
    tmp_path, name, content, newline, bom, fmt, expected
):
    examples = read_dataset(write(tmp_path / name, content, newline, bom))
    out = tmp_path / ("out_" + name)
    write_dataset(examples, out, fmt)
    again, info = read_dataset(out, return_info=True)
    assert info.format == fmt
    assert again == examples


def test_detect_format_reports_a_reason(tmp_path):
    fmt, reason = detect_format(write(tmp_path / "a.txt", CHAR_BMES))
    assert fmt == "char_bmes"
    assert "B/M/E/S/O" in reason
    fmt, reason = detect_format(write(tmp_path / "b.txt", CONLL_IOB2))
    assert (fmt, reason) == ("conll", "line 1 is a -DOCSTART- line")


def test_examples_carry_their_source_line(tmp_path):
    path = write(tmp_path / "m.txt", CHAR_BMES, "\r\n")
    examples = read_dataset(path)
    assert [e.source for e in examples] == [f"{path}:1", f"{path}:11"]
    cmeee = read_dataset(write(tmp_path / "c.json", CMEEE))
    assert cmeee[1].source.endswith(":25")  # the line of the second record's "{"


def test_written_files_look_like_the_originals(tmp_path):
    examples = [Example("王小明在北京", [(0, 3, "NR"), (4, 6, "NS")])]
    write_dataset(examples, tmp_path / "m.txt", "char_bmes")
    assert (tmp_path / "m.txt").read_bytes().decode("utf-8") == (
        "王 B-NR\n小 M-NR\n明 E-NR\n在 O\n北 B-NS\n京 E-NS\n\n"
    )
    examples = [Example("EU rejects German call", [(0, 2, "ORG"), (11, 17, "MISC")])]
    write_dataset(examples, tmp_path / "c.txt", "conll")
    assert (tmp_path / "c.txt").read_text("utf-8") == (
        "EU B-ORG\nrejects O\nGerman B-MISC\ncall O\n\n"
    )
    write_dataset(examples, tmp_path / "c1.txt", "conll_iob1")
    assert (tmp_path / "c1.txt").read_text("utf-8").split("\n")[:3] == [
        "EU I-ORG",
        "rejects O",
        "German I-MISC",
    ]
    clue = [Example("北京和北京", [(0, 2, "address"), (3, 5, "address")])]
    write_dataset(clue, tmp_path / "c.json", "cluener")
    record = json.loads((tmp_path / "c.json").read_text("utf-8"))
    assert record == {"text": "北京和北京", "label": {"address": {"北京": [[0, 1], [3, 4]]}}}
    write_dataset(clue, tmp_path / "d.json", "cmeee")
    records = json.loads((tmp_path / "d.json").read_text("utf-8"))
    assert records[0]["entities"][1] == {
        "start_idx": 3,
        "end_idx": 4,
        "type": "address",
        "entity": "北京",
    }


def test_char_files_hold_whitespace_characters(tmp_path):
    examples = [Example("A B\u3000C", [(0, 1, "X"), (4, 5, "Y")])]
    path = tmp_path / "w.txt"
    write_dataset(examples, path, "char_bio")
    assert read_dataset(path, format="char_bio") == examples
    assert read_dataset(path) == examples


def test_conll_iob1_adjacent_same_type_round_trip(tmp_path):
    examples = [Example("Peter Blackburn Paul Smith met", [(0, 15, "PER"), (16, 26, "PER")])]
    path = tmp_path / "iob1.txt"
    write_dataset(examples, path, "conll_iob1")
    assert read_dataset(path, format="conll_iob1") == examples
    assert read_dataset(path, return_info=True)[1].format == "conll_iob1"


def test_conll_bioes_is_detected(tmp_path):
    path = write(tmp_path / "b.txt", "New B-LOC\nYork E-LOC\nis O\nbig O\n\nBob S-PER\n")
    examples, info = read_dataset(path, return_info=True)
    assert info.format == "conll_bioes"
    assert as_pairs(examples) == [("New York is big", [(0, 8, "LOC")]), ("Bob", [(0, 3, "PER")])]


def test_iob2_file_with_an_i_opening_is_an_error_not_iob1(tmp_path):
    # B- after O marks the file as IOB2; the stray I- opening is then reported.
    path = write(tmp_path / "c.txt", "EU B-ORG\nis O\nbig I-MISC\n")
    with pytest.raises(ValueError, match=r"c\.txt:3: 'I-MISC' continues no entity"):
        read_dataset(path)


def test_duplicate_entities_are_counted(tmp_path, caplog):
    record = {
        "text": "咳嗽",
        "entities": [{"start_idx": 0, "end_idx": 1, "type": "sym", "entity": "咳嗽"}] * 2,
    }
    path = write(tmp_path / "d.json", json.dumps([record], ensure_ascii=False))
    with caplog.at_level(logging.WARNING, logger="tf_ner.data"):
        examples, info = read_dataset(path, return_info=True)
    assert info.duplicates == 1
    assert examples[0].entities == ((0, 2, "sym"),)
    assert "1 entities were listed twice" in caplog.text


def test_write_rejects_what_the_format_cannot_hold(tmp_path):
    nested = [Example("糖尿病肾病", [(0, 3, "dis"), (0, 5, "dis")])]
    with pytest.raises(ValueError, match="example 0: spans .* overlap"):
        write_dataset(nested, tmp_path / "x.txt", "char_bio")
    with pytest.raises(
        ValueError, match="example 0: entity .* 'EU r' does not start and end at word"
    ):
        write_dataset([Example("EU rejects", [(0, 4, "ORG")])], tmp_path / "x.txt", "conll")
    with pytest.raises(ValueError, match="not words separated by single spaces"):
        write_dataset([Example("EU  rejects")], tmp_path / "x.txt", "conll")
    with pytest.raises(ValueError, match="cannot hold newline"):
        write_dataset([Example("a\nb")], tmp_path / "x.txt", "char_bmes")
    with pytest.raises(ValueError, match="unknown dataset format 'auto'"):
        write_dataset([Example("a")], tmp_path / "x.txt", "auto")
    with pytest.raises(TypeError, match="expected an Example"):
        write_dataset([("a", [])], tmp_path / "x.txt", "jsonl")
