"""Tag schemes: hand-written cases, round trips, and agreement with seqeval."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval.metrics.sequence_labeling import get_entities

from tf_ner.data.tags import (
    SCHEMES,
    TagSequenceError,
    spans_to_tags,
    tag_errors,
    tag_vocabulary,
    tags_to_spans,
)


@pytest.fixture(autouse=True)
def _seed_and_clear():
    """Overrides the Keras seeding/clearing of tests/conftest.py: no Keras here."""
    yield


SPANS = [(0, 2, "PER"), (2, 3, "PER"), (4, 7, "LOC"), (8, 9, "ORG")]
EXPECTED_TAGS = {
    "BIO": ["B-PER", "I-PER", "B-PER", "O", "B-LOC", "I-LOC", "I-LOC", "O", "B-ORG", "O"],
    "IOB1": ["I-PER", "I-PER", "B-PER", "O", "I-LOC", "I-LOC", "I-LOC", "O", "I-ORG", "O"],
    "BIOES": ["B-PER", "E-PER", "S-PER", "O", "B-LOC", "I-LOC", "E-LOC", "O", "S-ORG", "O"],
    "BMES": ["B-PER", "E-PER", "S-PER", "O", "B-LOC", "M-LOC", "E-LOC", "O", "S-ORG", "O"],
}


@pytest.mark.parametrize("scheme", SCHEMES)
def test_spans_to_tags_and_back_by_hand(scheme):
    assert spans_to_tags(10, SPANS, scheme) == EXPECTED_TAGS[scheme]
    spans = tags_to_spans(EXPECTED_TAGS[scheme], scheme)
    assert spans == SPANS
    assert spans.repairs == 0


def test_iob2_is_an_alias_and_scheme_names_are_case_insensitive():
    assert spans_to_tags(3, [(0, 2, "X")], "iob2") == ["B-X", "I-X", "O"]
    assert tags_to_spans(["B-X", "I-X", "O"], "bio") == [(0, 2, "X")]


def test_synonyms_i_in_bmes_and_m_in_bioes():
    assert tags_to_spans(["B-NS", "I-NS", "E-NS"], "BMES") == [(0, 3, "NS")]
    assert tags_to_spans(["B-NS", "M-NS", "E-NS"], "BIOES") == [(0, 3, "NS")]


def test_types_with_dashes_keep_the_rest_of_the_tag():
    assert tags_to_spans(["B-PER-NAME", "I-PER-NAME"], "BIO") == [(0, 2, "PER-NAME")]


def test_tag_vocabulary_order():
    assert tag_vocabulary(["PER", "LOC", "PER"], "BIO") == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    assert tag_vocabulary(["NS"], "BMES") == ["O", "B-NS", "M-NS", "E-NS", "S-NS"]
    assert tag_vocabulary(["A", "B"], "BIOES") == [
        "O",
        *("B-A", "I-A", "E-A", "S-A"),
        *("B-B", "I-B", "E-B", "S-B"),
    ]
    with pytest.raises(ValueError, match="non-empty"):
        tag_vocabulary(["bad type"], "BIO")


def test_i_after_o_is_an_error_naming_position_and_tags():
    with pytest.raises(TagSequenceError, match=r"position 2: 'I-PER' .*follows 'O'") as info:
        tags_to_spans(["B-LOC", "O", "I-PER"], "BIO")
    assert info.value.position == 2
    assert isinstance(info.value, ValueError)


def test_i_after_other_type_is_an_error():
    with pytest.raises(TagSequenceError, match=r"position 1: 'I-LOC' .*follows 'B-PER'"):
        tags_to_spans(["B-PER", "I-LOC"], "BIO")


def test_unclosed_bioes_entities_are_errors():
    with pytest.raises(TagSequenceError, match=r"position 1: 'O' follows 'B-PER'"):
        tags_to_spans(["B-PER", "O"], "BIOES")
    with pytest.raises(TagSequenceError, match=r"position 1: the sequence ends with 'M-PER'"):
        tags_to_spans(["B-PER", "M-PER"], "BMES")
    with pytest.raises(TagSequenceError, match=r"position 0: 'E-PER' continues no entity"):
        tags_to_spans(["E-PER"], "BMES")


def test_unknown_tags_raise_even_with_repair():
    for tags, scheme in [
        (["E-PER"], "BIO"),
        (["PER"], "BIO"),
        (["B-"], "BIOES"),
        (["M-X"], "IOB1"),
    ]:
        with pytest.raises(TagSequenceError, match="unknown tag"):
            tags_to_spans(tags, scheme, repair=True)
    with pytest.raises(ValueError, match="unknown tag scheme"):
        tags_to_spans(["O"], "BILOU")


def test_repair_reads_like_seqeval_and_counts():
    spans = tags_to_spans(["O", "I-PER", "I-PER", "I-LOC", "B-ORG", "I-ORG"], "BIO", repair=True)
    assert spans == [(1, 3, "PER"), (3, 4, "LOC"), (4, 6, "ORG")]
    assert spans.repairs == 2
    assert [position for position, _ in spans.problems] == [1, 3]
    assert tag_errors(["O", "I-PER"], "BIO") == spans.problems[:1]


def test_iob1_never_needs_repair():
    assert tags_to_spans(["I-PER", "B-PER", "O", "I-LOC", "I-PER"], "IOB1") == [
        (0, 1, "PER"),
        (1, 2, "PER"),
        (3, 4, "LOC"),
        (4, 5, "PER"),
    ]


def test_spans_to_tags_rejects_overlap_and_bad_spans():
    with pytest.raises(ValueError, match=r"\(0, 3, 'A'\) and \(1, 2, 'B'\) overlap"):
        spans_to_tags(4, [(1, 2, "B"), (0, 3, "A")], "BIO")
    with pytest.raises(ValueError, match="outside the sequence of length 4"):
        spans_to_tags(4, [(2, 5, "A")], "BIO")
    with pytest.raises(ValueError, match="outside"):
        spans_to_tags(4, [(2, 2, "A")], "BMES")


# --- properties ------------------------------------------------------------------

TYPES = ("A", "B", "LOC")


@st.composite
def flat_spans(draw, max_length=30):
    """(length, spans): non-overlapping spans with random gaps (possibly none)."""
    spans = []
    position = 0
    for _ in range(draw(st.integers(0, 8))):
        start = position + draw(st.integers(0, 3))
        end = start + draw(st.integers(1, 5))
        spans.append((start, end, draw(st.sampled_from(TYPES))))
        position = end
    length = position + draw(st.integers(0, 3))
    if length > max_length:
        return 0, []
    return length, spans


@settings(max_examples=200, deadline=None)
@given(flat_spans(), st.sampled_from(SCHEMES))
def test_spans_tags_spans_is_identity(case, scheme):
    length, spans = case
    tags = spans_to_tags(length, spans, scheme)
    assert len(tags) == length
    decoded = tags_to_spans(tags, scheme)
    assert decoded == spans
    assert decoded.repairs == 0


@st.composite
def valid_tag_sequences(draw, scheme):
    """Valid BIO or BIOES sequences built from segments, written out by hand here."""
    tags = []
    for _ in range(draw(st.integers(0, 8))):
        if draw(st.booleans()):
            tags.extend(["O"] * draw(st.integers(1, 3)))
            continue
        type_ = draw(st.sampled_from(TYPES))
        n = draw(st.integers(1, 5))
        if scheme == "BIO":
            tags.extend([f"B-{type_}"] + [f"I-{type_}"] * (n - 1))
        elif n == 1:
            tags.append(f"S-{type_}")
        else:
            tags.extend([f"B-{type_}"] + [f"I-{type_}"] * (n - 2) + [f"E-{type_}"])
    return tags


def seqeval_spans(tags):
    """seqeval's entities as (start, end_exclusive, type), sorted."""
    return sorted((start, end + 1, type_) for type_, start, end in get_entities(list(tags)))


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["BIO", "BIOES"]).flatmap(
        lambda s: st.tuples(st.just(s), valid_tag_sequences(s))
    )
)
def test_valid_sequences_agree_with_seqeval(case):
    scheme, tags = case
    spans = tags_to_spans(tags, scheme)
    assert spans == seqeval_spans(tags)
    assert spans.repairs == 0


ALPHABETS = {
    "BIO": ["O", "B-A", "I-A", "B-B", "I-B"],
    "IOB1": ["O", "B-A", "I-A", "B-B", "I-B"],
    "BIOES": ["O", "B-A", "I-A", "E-A", "S-A", "B-B", "I-B", "E-B", "S-B"],
}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(ALPHABETS["BIO"]), max_size=20))
def test_repair_agrees_with_seqeval_on_any_bio_sequence(tags):
    spans = tags_to_spans(tags, "BIO", repair=True)
    assert spans == seqeval_spans(tags)
    # An independent count of violations: an I-X whose predecessor is not B-X or I-X.
    expected = sum(
        1
        for i, tag in enumerate(tags)
        if tag.startswith("I-") and (i == 0 or tags[i - 1] not in ("B" + tag[1:], tag))
    )
    assert spans.repairs == expected
    if expected:
        with pytest.raises(TagSequenceError):
            tags_to_spans(tags, "BIO")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(ALPHABETS["BIOES"]), max_size=20))
def test_repair_agrees_with_seqeval_on_any_bioes_sequence(tags):
    assert tags_to_spans(tags, "BIOES", repair=True) == seqeval_spans(tags)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(ALPHABETS["IOB1"]), max_size=20))
def test_iob1_agrees_with_seqeval(tags):
    spans = tags_to_spans(tags, "IOB1")
    assert spans == seqeval_spans(tags)
    assert spans.repairs == 0
