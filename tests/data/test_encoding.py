"""Spans <-> head labels: hand-written layouts, round-trip properties, what cannot be encoded."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from seqeval.metrics.sequence_labeling import get_entities

from tests.data.tiny_vocab import write_tiny_vocab
from tf_ner.bert.tokenization import Tokenizer
from tf_ner.data.encoding import (
    IGNORE_INDEX,
    SpanLabeler,
    TagLabeler,
    UnrepresentableEntityError,
)
from tf_ner.data.encoding_report import (
    EDGE_INSIDE_TOKEN,
    EDGE_INSIDE_WORD,
    EDGE_UNCOVERED,
    OVERLAPS,
    EncodingReport,
)
from tf_ner.data.example import Example

TYPES = ["LOC", "ORG", "PER"]
PROPERTY = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    return Tokenizer(write_tiny_vocab(tmp_path_factory.mktemp("vocab")))


# ---------------------------------------------------------------- hand-written layouts

TEXT = "我爱北京 united states 2024"
# tokens: [CLS] 我 爱 北 京 un ##ited state ##s 20 ##24 [SEP]
#          0    1  2  3  4  5   6      7     8   9  10   11


def test_tokens_of_the_fixture_text(tokenizer):
    encoding = tokenizer.encode(TEXT)
    assert encoding.tokens == [
        "[CLS]", "我", "爱", "北", "京", "un", "##ited", "state", "##s", "20", "##24", "[SEP]",
    ]  # fmt: skip


def test_span_labels_by_hand(tokenizer):
    example = Example(TEXT, [(2, 4, "LOC"), (0, 4, "PER"), (5, 18, "ORG"), (12, 17, "LOC")])
    labels = SpanLabeler(["PER", "ORG", "LOC"]).encode(example, tokenizer.encode(TEXT))
    # types sorted: LOC 0, ORG 1, PER 2; last token inclusive; [CLS] is position 0
    assert labels.dtype == np.int32
    assert labels.tolist() == [[0, 3, 4], [0, 7, 7], [1, 5, 8], [2, 1, 4]]


def test_crf_tags_by_hand(tokenizer):
    example = Example(TEXT, [(2, 4, "LOC"), (5, 11, "ORG"), (19, 23, "PER")])
    labeler = TagLabeler(["LOC", "ORG", "PER"], scheme="BIO")
    assert labeler.tags == ["O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"]
    labels = labeler.encode(example, tokenizer.encode(TEXT))
    #              CLS 我 爱 北 京 un ##ited state ##s 20 ##24 SEP
    assert labels.tolist() == [-100, 0, 0, 1, 2, 3, 4, 0, 0, 5, 6, -100]  # -100: no unit


def test_crf_bioes_tags_by_hand(tokenizer):
    example = Example(TEXT, [(1, 2, "PER"), (2, 4, "LOC"), (5, 18, "ORG")])
    labeler = TagLabeler(["LOC", "ORG", "PER"], scheme="BIOES")
    labels = labeler.encode(example, tokenizer.encode(TEXT))
    tags = [labeler.tags[i] if i >= 0 else None for i in labels]
    assert tags == [
        None, "O", "S-PER", "B-LOC", "E-LOC", "B-ORG", "I-ORG", "I-ORG", "E-ORG", "O", "O", None,
    ]  # fmt: skip


def test_softmax_first_subtoken_by_hand(tokenizer):
    example = Example(TEXT, [(2, 4, "LOC"), (5, 18, "ORG")])
    labeler = TagLabeler(["LOC", "ORG"], scheme="BIO", first_subtoken_only=True)
    labels = labeler.encode(example, tokenizer.encode(TEXT))
    x = IGNORE_INDEX
    # words: 我 爱 北 京 united states 2024; only their first sub-token is labelled
    assert labels.tolist() == [x, 0, 0, 1, 2, 3, x, 4, x, 0, x, x]


# ---------------------------------------------------------------- decoding


def test_globalpointer_logits_decode_masks_specials_and_padding(tokenizer):
    encoding = tokenizer.encode(TEXT)
    labeler = SpanLabeler(TYPES)
    logits = np.full((3, 16, 16), -5.0, dtype=np.float32)  # padded beyond 12 positions
    logits[0, 3, 4] = 2.0  # 北京 LOC
    logits[2, 5, 8] = 0.5  # united states PER
    logits[1, 0, 4] = 9.0  # starts at [CLS]: ignored
    logits[1, 4, 11] = 9.0  # ends at [SEP]: ignored
    logits[1, 13, 14] = 9.0  # padding: ignored
    logits[1, 4, 3] = 9.0  # end before start: ignored
    logits[0, 9, 10] = 0.0  # not above the threshold
    assert labeler.decode(logits, TEXT, encoding) == [(2, 4, "LOC"), (5, 18, "PER")]
    assert labeler.decode(logits, TEXT, encoding, threshold=-1.0)[-1] == (19, 23, "LOC")
    rows = np.array([[0, 3, 4], [-1, -1, -1], [-1, -1, -1]])
    assert labeler.decode(rows, TEXT, encoding) == [(2, 4, "LOC")]


def test_tag_decode_from_logits_reads_first_subtokens(tokenizer):
    encoding = tokenizer.encode(TEXT)
    labeler = TagLabeler(["LOC", "ORG"], scheme="BIO", first_subtoken_only=True)
    ids = [0, 0, 0, 1, 2, 3, 1, 4, 1, 0, 3, 0, 0, 0]  # noise on ## tokens is not read
    logits = np.eye(labeler.num_tags, dtype=np.float32)[ids]
    assert labeler.decode(logits, TEXT, encoding) == [(2, 4, "LOC"), (5, 18, "ORG")]
    crf = TagLabeler(["LOC", "ORG"], scheme="BIO")
    # an I- after O reads as seqeval reads it: it opens an entity
    assert crf.decode([0, 0, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0], TEXT, encoding) == [(2, 4, "LOC")]
    n = len(encoding.ids)  # 12 positions; rows longer than that are padding
    assert labeler.decode([0] * n + [1, 2], TEXT, encoding) == []  # tags on padding only
    assert labeler.decode([IGNORE_INDEX] * n, TEXT, encoding) == []
    only_subtokens = [0] * n
    only_subtokens[8] = 3  # B-ORG on "##s" of "states" (characters 17-18), a sub-token
    assert labeler.decode(only_subtokens, TEXT, encoding) == []
    assert crf.decode(only_subtokens, TEXT, encoding) == [(17, 18, "ORG")]  # CRF reads it


def test_decode_rejects_wrong_shapes(tokenizer):
    encoding = tokenizer.encode(TEXT)
    with pytest.raises(ValueError, match=r"expected logits \[num_types, length, length\]"):
        SpanLabeler(TYPES).decode(np.zeros((4, 4)), TEXT, encoding)
    with pytest.raises(ValueError, match="num_types=3"):
        SpanLabeler(TYPES).decode(np.zeros((2, 12, 12)), TEXT, encoding)
    with pytest.raises(ValueError, match="shorter than the encoding"):
        TagLabeler(TYPES).decode(np.zeros(5, dtype=np.int32), TEXT, encoding)
    with pytest.raises(ValueError, match="decode with the text the encoding was made from"):
        TagLabeler(TYPES).decode(np.zeros(12, dtype=np.int32), TEXT[:5], encoding)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]), max_size=20))
def test_bio_decoding_agrees_with_seqeval(tags):
    """On valid and invalid BIO alike, decoded spans are the entities seqeval scores."""
    text = "北京上海天安门我爱中国人民银行的在是了和长"[: len(tags)]
    encoding = _chinese_encoding(text)
    labeler = TagLabeler(["LOC", "PER"], scheme="BIO")
    ids = [0] + [labeler.tags.index(t) for t in tags] + [0]
    expected = sorted((s, e + 1, t) for t, s, e in get_entities(list(tags)))
    assert labeler.decode(ids, text, encoding) == expected


def _chinese_encoding(text):
    from tf_ner.bert.tokenization import Encoding

    n = len(text)
    return Encoding(
        ids=[2, *range(5, 5 + n), 3],
        segment_ids=[0] * (n + 2),
        offsets=[(0, 0), *((i, i + 1) for i in range(n)), (0, 0)],
        tokens=["[CLS]", *text, "[SEP]"],
    )


# ---------------------------------------------------------------- round-trip properties

PIECES = (
    list("北京上海天安门我爱中国人民银行龙凤")
    + ["new", "york", "united", "states", "statement", "playing", "obama", "abc", "xyz"]
    + ["Bank", "NEW", "Ünited", "café", "2024", "7", "123", "😀", "🎉x", ".", ",", "'", "\u200b"]
)
SEPARATORS = ["", "", " ", "  ", "\t", "\n"]

texts = st.lists(st.tuples(st.sampled_from(PIECES), st.sampled_from(SEPARATORS)), max_size=25).map(
    lambda parts: "".join(p + s for p, s in parts)
)


def _random_token_spans(data, encoding, word_level=False):
    """Random `(first, last)` token positions; with `word_level`, edges at word edges."""
    content = [p for p, (s, e) in enumerate(encoding.offsets) if e > s]
    if not content:
        return []
    firsts = lasts = content
    if word_level:  # the documented word: a token not starting with ## and its ## tokens
        continues = [t.startswith("##") for t in encoding.tokens] + [False]
        firsts = [p for p in content if not continues[p]]
        lasts = [p for p in content if not continues[p + 1]]
    pairs = data.draw(
        st.lists(st.tuples(st.sampled_from(firsts), st.sampled_from(lasts)), max_size=12)
    )
    return [(a, b) for a, b in pairs if a <= b]


def _char_spans(data, encoding, token_spans):
    types = data.draw(st.lists(st.sampled_from(TYPES), min_size=len(token_spans)))
    return [
        (encoding.offsets[i][0], encoding.offsets[j][1], t)
        for (i, j), t in zip(token_spans, types, strict=False)
    ]


def _flat(spans):
    kept = []
    for span in sorted(spans):
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


@PROPERTY
@given(text=texts, data=st.data())
def test_globalpointer_round_trip_nested(tokenizer, text, data):
    encoding = tokenizer.encode(text)
    entities = _char_spans(data, encoding, _random_token_spans(data, encoding))
    example = Example(text, entities)
    labeler = SpanLabeler(TYPES)
    labels = labeler.encode(example, encoding)  # raises if any entity were lost
    assert labels.shape == (len(example.entities), 3)
    assert labeler.decode(labels, text, encoding) == list(example.entities)
    # the same through dense logits, as the head outputs them
    logits = np.full((len(TYPES), len(encoding.ids), len(encoding.ids)), -1.0)
    for t, i, j in labels:
        logits[t, i, j] = 1.0
    assert labeler.decode(logits, text, encoding) == list(example.entities)


@pytest.mark.parametrize("scheme", ["BIO", "BIOES"])
@pytest.mark.parametrize("first_subtoken_only", [False, True], ids=["crf", "softmax"])
@PROPERTY
@given(text=texts, data=st.data())
def test_tag_round_trip_flat(tokenizer, scheme, first_subtoken_only, text, data):
    encoding = tokenizer.encode(text)
    spans = _random_token_spans(data, encoding, word_level=first_subtoken_only)
    entities = _flat(_char_spans(data, encoding, spans))
    example = Example(text, entities)
    labeler = TagLabeler(TYPES, scheme=scheme, first_subtoken_only=first_subtoken_only)
    labels = labeler.encode(example, encoding)
    assert labels.shape == (len(encoding.ids),)
    assert labeler.decode(labels, text, encoding) == list(example.entities)
    one_hot = np.eye(labeler.num_tags)[np.maximum(labels, 0)]
    assert labeler.decode(one_hot, text, encoding) == list(example.entities)


# ---------------------------------------------------------------- what cannot be encoded


def brute_force_words(offsets, tokens):
    """Words by their definition, position by position: a token covering characters
    joins the word before it when it starts with `##` and the token before it covers
    characters too; otherwise it starts a word. Tokens covering nothing join none.
    Returns `(first, last, start, end)` per word."""
    words = []
    for p, ((start, end), token) in enumerate(zip(offsets, tokens, strict=True)):
        if end <= start:
            continue
        joins = p > 0 and offsets[p - 1][1] > offsets[p - 1][0] and token.startswith("##")
        if joins:
            first, _, word_start, _ = words.pop()
            words.append((first, p, word_start, end))
        else:
            words.append((p, p, start, end))
    return words


TOKEN_PIECES = st.tuples(st.booleans(), st.sampled_from(["a", "##b", "[CLS]", "##"]))


@PROPERTY
@given(st.lists(TOKEN_PIECES, max_size=40))
def test_word_and_token_units_agree_with_brute_force(pieces):
    """Word units (softmax layout) and token units (CRF layout) equal brute force on
    any run of tokens, zero-width ones and `##` tokens after them included."""
    from tf_ner.data.alignment import token_units, word_units

    offsets, tokens, at = [], [], 0
    for covers, token in pieces:
        offsets.append((at, at + 2) if covers else (at, at))
        tokens.append(token)
        at += 2 * covers
    assert [tuple(u) for u in word_units(offsets, tokens)] == brute_force_words(offsets, tokens)
    expected = [(p, p, s, e) for p, (s, e) in enumerate(offsets) if e > s]
    assert [tuple(u) for u in token_units(offsets, tokens)] == expected
    assert all(type(value) is int for unit in word_units(offsets, tokens) for value in unit)


def test_unrepresentable_entities_are_counted_and_listed(tokenizer):
    text = "obama's statement 北京"
    # tokens: obama ' s state ##ment 北 京
    example = Example(
        text,
        [
            (0, 5, "PER"),  # obama: fine
            (0, 3, "PER"),  # 'oba': ends inside the token obama
            (8, 13, "ORG"),  # 'state' of statement: fine as a token, not as a word
            (5, 18, "ORG"),  # "'s statement ": ends on a space
            (18, 20, "LOC"),  # 北京
        ],
        source="train.txt:7",
    )
    encoding = tokenizer.encode(text)
    report = EncodingReport()
    labels = SpanLabeler(TYPES).encode(example, encoding, report=report)
    assert len(labels) == 3
    assert report.counts() == {EDGE_INSIDE_TOKEN: 1, EDGE_UNCOVERED: 1}
    assert {(u.source, u.entity) for u in report.unrepresentable} == {
        ("train.txt:7", (0, 3, "PER")),
        ("train.txt:7", (5, 18, "ORG")),
    }
    assert (report.examples, report.entities, report.encoded) == (1, 5, 3)
    assert report.lost_fraction == pytest.approx(2 / 5)
    summary = report.summary()
    assert "3 of 5 entities labelled, 2 unrepresentable (40.00% round-trip loss)" in summary
    assert "train.txt:7: entity (0, 3, 'PER'): edge inside a token" in summary
    assert "inside the token 'obama'" in summary

    words = EncodingReport()
    TagLabeler(TYPES, first_subtoken_only=True).encode(example, encoding, report=words)
    assert words.counts() == {EDGE_INSIDE_WORD: 2, EDGE_UNCOVERED: 1}
    assert (8, 13, "ORG") in {u.entity for u in words.unrepresentable}


def test_nested_entities_are_reported_by_tag_heads(tokenizer):
    text = "北京天安门"
    example = Example(text, [(0, 2, "LOC"), (0, 5, "LOC"), (2, 5, "ORG")], source="a.json:2")
    report = EncodingReport()
    labeler = TagLabeler(TYPES, scheme="BIO")
    labels = labeler.encode(example, tokenizer.encode(text), report=report)
    assert [labeler.tags[i] if i >= 0 else None for i in labels] == [
        None,
        "B-LOC",
        "I-LOC",
        "I-LOC",
        "I-LOC",
        "I-LOC",
        None,
    ]
    assert report.counts() == {OVERLAPS: 2}
    assert "kept (0, 5, 'LOC')" in report.unrepresentable[0].detail


def test_without_a_report_unrepresentable_entities_raise(tokenizer):
    example = Example("statement", [(0, 4, "ORG")], source="dev.txt:3")
    with pytest.raises(
        UnrepresentableEntityError, match="dev.txt:3: 1 entities cannot be labelled"
    ):
        SpanLabeler(TYPES).encode(example, tokenizer.encode("statement"))


def test_unknown_type_is_a_clear_error(tokenizer):
    example = Example("北京", [(0, 2, "GPE")], source="train.jsonl:12")
    message = r"train.jsonl:12: .*type 'GPE'.*known types: \['LOC', 'ORG', 'PER'\]"
    for labeler in (SpanLabeler(TYPES), TagLabeler(TYPES)):
        with pytest.raises(ValueError, match=message):
            labeler.encode(example, tokenizer.encode("北京"), report=EncodingReport())


def test_window_encoding_leaves_outside_entities_to_other_windows(tokenizer):
    text = "北京上海天安门"
    encoding = tokenizer.with_special_tokens(_slice(tokenizer.tokenize(text), 2, 5))  # 上海天
    example = Example(text, [(0, 2, "LOC"), (2, 3, "LOC"), (3, 6, "ORG")])
    report = EncodingReport()
    spans = SpanLabeler(TYPES).encode(example, encoding, report=report, window=(2, 5))
    assert spans.tolist() == [[0, 1, 1]]
    softmax = TagLabeler(TYPES, first_subtoken_only=True)
    labels = softmax.encode(example, encoding, report=report, window=(2, 5))
    # 海 and 天 belong to the cut entity 海天安: not labelled either way
    assert labels.tolist() == [IGNORE_INDEX, 1, IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX]
    assert report.unrepresentable == []


def _slice(encoding, a, b):
    from tf_ner.bert.tokenization import Encoding

    return Encoding(
        encoding.ids[a:b], encoding.segment_ids[a:b], encoding.offsets[a:b], encoding.tokens[a:b]
    )
