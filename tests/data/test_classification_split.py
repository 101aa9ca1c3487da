import random

import pytest

from tf_ner.data import TextExample, label_counts
from tf_ner.data.classification.split import stratified_split


@pytest.fixture(autouse=True)
def _seed_and_clear():
    """Overrides the Keras seeding/clearing of tests/conftest.py: no Keras here."""
    yield


def corpus():
    examples = [TextExample(f"正面{i}", "pos") for i in range(53)]
    examples += [TextExample(f"负面{i}", "neg") for i in range(31)]
    examples += [TextExample(f"多标签{i}", ("b", "a")) for i in range(7)]
    return examples


def test_split_keeps_each_label_share_and_covers_everything_once():
    examples = corpus()
    train, dev, test = stratified_split(examples, (0.8, 0.1, 0.1), seed=0)
    assert sorted(map(id, train + dev + test)) == sorted(map(id, examples))
    # Per stratum of n: test round(0.1 n), dev + test round(0.2 n), train the rest.
    # pos 53: 5, 11 - 5, 42; neg 31: 3, 6 - 3, 25; (a, b) 7: 1, 1 - 1, 6.
    assert label_counts(test) == {"a": 1, "b": 1, "neg": 3, "pos": 5}
    assert label_counts(dev) == {"neg": 3, "pos": 6}
    assert label_counts(train) == {"a": 6, "b": 6, "neg": 25, "pos": 42}
    assert dev == [e for e in examples if e in dev]  # input order inside a part


def test_split_is_reproducible_and_independent_of_input_order():
    examples = corpus()
    parts = stratified_split(examples, seed=3)
    shuffled = list(examples)
    random.Random(0).shuffle(shuffled)
    assert [sorted(e.text for e in p) for p in stratified_split(shuffled, seed=3)] == [
        sorted(e.text for e in p) for p in parts
    ]
    assert stratified_split(examples, seed=4)[2] != parts[2]


def test_split_small_strata_and_bad_fractions():
    train, held_out = stratified_split([TextExample("只有一个", "x")], (0.5, 0.5))
    assert (len(train), len(held_out)) == (1, 0)  # round(0.5) is 0
    three = [TextExample(str(i), "x") for i in range(3)]
    assert [len(p) for p in stratified_split(three, (0.1, 0.45, 0.45))] == [0, 2, 1]
    for fractions in [(0.8, 0.3), (1.0, 0.0), ()]:
        with pytest.raises(ValueError, match=r"expected positive numbers summing to 1"):
            stratified_split(three, fractions)
