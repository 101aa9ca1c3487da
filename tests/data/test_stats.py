"""Dataset summary: hand-made examples, a brute-force pair count, the printed text."""

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tf_ner.data import Example, data_stats_main, format_summary, summarize, write_dataset


@pytest.fixture(autouse=True)
def _seed_and_clear():
    """Overrides the Keras seeding/clearing of tests/conftest.py: no Keras here."""
    yield


EXAMPLES = [
    Example("糖尿病肾病患者", [(0, 3, "dis"), (0, 5, "dis"), (3, 4, "bod")], source="a.json:2"),
    Example("abcdefghij", [(0, 4, "X"), (2, 6, "Y"), (2, 6, "Z"), (8, 10, "X")], source="a.json:3"),
    Example(""),
    Example("abcdefghij", [(1, 2, "X")]),
]


def test_summarize_by_hand():
    summary = summarize(EXAMPLES)
    assert summary.sentences == 4
    assert summary.characters == 7 + 10 + 10
    assert summary.entities == 8
    assert summary.entities_per_type == {"X": 3, "Y": 1, "Z": 1, "bod": 1, "dis": 2}
    # (0,5)⊃(0,3), (0,5)⊃(3,4); (2,6,Y) and (2,6,Z) hold each other.
    assert summary.nested_pairs == 3
    # (0,4) crosses (2,6,Y) and (2,6,Z).
    assert summary.overlapping_pairs == 2
    assert (summary.longest, summary.longest_index, summary.longest_source) == (10, 1, "a.json:3")
    assert summary.longest_entity == 5
    assert summary.empty_texts == 1


def test_summarize_empty():
    summary = summarize([])
    assert (summary.sentences, summary.entities, summary.longest_index) == (0, 0, None)
    assert "sentences" in format_summary(summary)


def brute_force_pairs(entities):
    nested = crossing = 0
    for (s1, e1, _), (s2, e2, _) in itertools.combinations(entities, 2):
        if max(s1, s2) >= min(e1, e2):
            continue
        if (s1 <= s2 and e2 <= e1) or (s2 <= s1 and e1 <= e2):
            nested += 1
        else:
            crossing += 1
    return nested, crossing


spans = st.tuples(st.integers(0, 15), st.integers(1, 6), st.sampled_from("ABC")).map(
    lambda t: (t[0], t[0] + t[1], t[2])
)


@settings(max_examples=200, deadline=None)
@given(st.lists(spans, max_size=12))
def test_pair_counts_match_brute_force(entities):
    summary = summarize([Example("x" * 21, entities)])
    expected = brute_force_pairs(sorted(set(entities)))
    assert (summary.nested_pairs, summary.overlapping_pairs) == expected


def test_format_summary_text():
    text = format_summary(summarize(EXAMPLES))
    lines = text.split("\n")
    assert lines[0].split() == ["sentences", "4"]
    assert "longest text       10 characters (example 1, a.json:3)" in text
    assert any(line.split() == ["dis", "2"] for line in lines)
    assert "nested pairs       3" in text
    assert "overlapping pairs  2" in text


def test_data_stats_main_prints_format_and_summary(tmp_path, capsys):
    path = tmp_path / "own.jsonl"
    write_dataset(EXAMPLES, path, "jsonl")
    summary = data_stats_main(path)
    out = capsys.readouterr().out
    assert "format   jsonl (auto-detected)" in out
    assert summary.nested_pairs == 3
    assert "nested pairs       3" in out
    bio = tmp_path / "bio.txt"
    bio.write_text("张 B-PER\n三 I-PER\n\n去 I-LOC\n", encoding="utf-8")
    data_stats_main(bio, format="char_bio", repair=True)
    out = capsys.readouterr().out
    assert "format   char_bio (as requested)" in out
    assert "repaired 1 tags (first at line 4" in out
