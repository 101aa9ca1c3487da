"""Windows over long texts: sizes, coverage guarantees, exact merging of their predictions."""

import math
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.data.tiny_vocab import write_tiny_vocab
from tf_ner.bert.tokenization import Tokenizer
from tf_ner.data.encoding import SpanLabeler, TagLabeler
from tf_ner.data.encoding_report import EncodingReport
from tf_ner.data.example import Example
from tf_ner.data.windows import (
    merge_window_predictions,
    split_windows,
    window_capacity,
    window_encoding,
)

TYPES = ["LOC", "ORG", "PER"]
CHINESE = "北京上海天安门我爱中国人民银行的在是了和长江大桥南市"
WORDS = ["united", "statement", "playing", "states", "2024", "new", "york", "obama's"]


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    return Tokenizer(write_tiny_vocab(tmp_path_factory.mktemp("vocab")))


# ---------------------------------------------------------------- sizes


@pytest.mark.parametrize("max_length", [0, 1, 2])
def test_window_too_small_for_cls_sep_and_a_token(max_length):
    with pytest.raises(ValueError, match=f"max_length={max_length} leaves no room.*>= 3"):
        window_capacity(max_length, 0)


@pytest.mark.parametrize(("max_length", "stride"), [(10, 8), (10, 9), (10, 10), (10, 20), (10, -1)])
def test_stride_must_be_smaller_than_a_window(max_length, stride):
    with pytest.raises(ValueError, match=f"stride={stride} with max_length=10.*< .* = 8"):
        window_capacity(max_length, stride)


def test_split_windows_checks_sizes(tokenizer):
    with pytest.raises(ValueError, match="stride=14"):
        split_windows(tokenizer.tokenize(CHINESE), 16, 14)


def test_a_short_text_is_one_window(tokenizer):
    content = tokenizer.tokenize("北京 united")
    [window] = split_windows(content, 16, 4)
    assert (window.token_start, window.token_end) == (0, 4)
    assert (window.char_start, window.char_end) == (0, 9)
    assert window.at_text_start and window.at_text_end
    assert window_encoding(tokenizer, content, window).tokens == [
        "[CLS]", "北", "京", "un", "##ited", "[SEP]",
    ]  # fmt: skip


def test_grid_by_hand(tokenizer):
    # 30 one-character tokens, 10 per window, overlap 4: starts 0, 6, 12, 18; the last
    # window ends the text and reaches back for 10 tokens of context.
    text = (CHINESE * 2)[:30]
    windows = split_windows(tokenizer.tokenize(text), 12, 4)
    assert [(w.token_start, w.token_end) for w in windows] == [
        (0, 10), (6, 16), (12, 22), (18, 28), (20, 30),
    ]  # fmt: skip
    assert [(w.char_start, w.char_end) for w in windows][1] == (6, 16)
    encoding = window_encoding(tokenizer, tokenizer.tokenize(text), windows[1])
    assert encoding.offsets[0] == (0, 0) and encoding.offsets[1] == (6, 7)
    assert encoding.tokens[1:-1] == list(text[6:16])


def test_windows_end_at_sentence_ends_without_overlap(tokenizer):
    # Sentences of 8, 8 (a closing quote after "；"), 16 and 5 tokens; windows of 10.
    text = "北京上海天安门。" "我爱中国人民；”" "长江大桥南市的在是了和北京上海。" "天安门我爱"
    content = tokenizer.tokenize(text)
    assert len(content.ids) == 37 and content.tokens[15] == "”"
    windows = split_windows(content, 12, 4)
    # Sentence ends at 8 and 16 (after the quote) lie past the windows' middle; from 16
    # none does by 26, so the grid overlaps by 4 until the end at 32; the last window
    # starts with the last sentence.
    assert [(w.token_start, w.token_end) for w in windows] == [
        (0, 8), (8, 16), (16, 26), (22, 32), (32, 37),
    ]  # fmt: skip
    plain = split_windows(content, 12, 4, sentence_cuts=False)
    assert [(w.token_start, w.token_end) for w in plain] == [
        (0, 10), (6, 16), (12, 22), (18, 28), (24, 34), (27, 37),
    ]  # fmt: skip


def test_the_last_window_starts_at_a_sentence_cut(tokenizer):
    text = "北京上海天安门我爱。" + "中国人民银行的"  # 10 + 7 tokens, windows of 10
    windows = split_windows(tokenizer.tokenize(text), 12, 4)
    assert [(w.token_start, w.token_end) for w in windows] == [(0, 10), (10, 17)]


def test_no_sentence_cut_inside_an_entity_when_training(tokenizer):
    text = "北京上海天安门我爱。" + "中国人民银行的在是了和"  # "。" at token 9
    content = tokenizer.tokenize(text)
    entity = (8, 11, "ORG")  # 爱。中: a cut after "。" would split it
    windows = split_windows(content, 12, 4, entities=[entity])
    assert (0, 10) not in [(w.token_start, w.token_end) for w in windows]
    assert any(w.contains(entity) for w in windows)
    assert [(w.token_start, w.token_end) for w in split_windows(content, 12, 4)][0] == (0, 10)


def test_windows_do_not_split_words(tokenizer):
    text = " ".join(["statement"] * 40)  # state ##ment: a cut between them splits a word
    content = tokenizer.tokenize(text)
    for window in split_windows(content, 13, 3):
        assert not content.tokens[window.token_start].startswith("##")
        assert window.token_end == len(content.ids) or not content.tokens[
            window.token_end
        ].startswith("##")


# ---------------------------------------------------------------- coverage properties


def _random_text(rng_draw, chinese_only):
    pieces = list(CHINESE) if chinese_only else list(CHINESE) + WORDS
    pieces += ["。", "；”", "!"]
    parts = rng_draw(st.lists(st.sampled_from(pieces), min_size=1, max_size=120))
    return " ".join(parts) if not chinese_only else "".join(parts)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), chinese_only=st.booleans())
def test_windows_cover_tokens_and_hold_every_entity(tokenizer, data, chinese_only):
    content = tokenizer.tokenize(_random_text(data.draw, chinese_only))
    n = len(content.ids)
    max_length = data.draw(st.integers(3, 40))
    capacity = max_length - 2
    stride = data.draw(st.integers(0, capacity - 1))

    sentence_cuts = data.draw(st.booleans())
    grid = split_windows(content, max_length, stride, sentence_cuts=sentence_cuts)
    assert all(0 < w.num_tokens <= capacity for w in grid)
    covered = set()
    for w in grid:
        covered.update(range(w.token_start, w.token_end))
    assert covered == set(range(n)), "prediction windows must cover every token"
    assert [w.token_start for w in grid] == sorted({w.token_start for w in grid})
    for previous, window in zip(grid, grid[1:], strict=False):
        overlap = previous.token_end - window.token_start
        if overlap < stride:  # only at a sentence end, in the window's second half
            assert sentence_cuts and overlap == 0
            assert content.tokens[previous.token_end - 1] in ("。", "；", "”", "!")
            assert previous.num_tokens > capacity // 2
    if capacity >= 5 and stride <= capacity // 2:  # words here have at most 2 tokens
        for w in grid:  # so there is always a word edge near where a window would cut
            assert not content.tokens[w.token_start].startswith("##")
            assert w.token_end == n or not content.tokens[w.token_end].startswith("##")

    pairs = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))))
    spans = sorted({(min(a, b), max(a, b)) for a, b in pairs})
    entities = [(content.offsets[i][0], content.offsets[j][1], "LOC") for i, j in spans]
    training = split_windows(content, max_length, stride, entities, sentence_cuts)
    assert all(0 < w.num_tokens <= capacity for w in training)
    for i, j in spans:
        held = any(w.token_start <= i and j < w.token_end for w in training)
        assert held == (j - i + 1 <= capacity), (i, j)


# ---------------------------------------------------------------- long text, perfect labels


def _long_text(seed):
    """2,000 characters of words, with a sentence end every 30 pieces or so."""
    rng = random.Random(seed)
    parts = []
    while sum(map(len, parts)) < 2000:
        ends = rng.random() < 0.03
        piece = rng.choice(["。", "；”"] if ends else list(CHINESE) * 3 + WORDS)
        parts.append(piece + rng.choice(["", "", "", " "]))
    return "".join(parts)[:2000]


def _entities_everywhere(content, grid, capacity, seed, word_level):
    """Character spans: entities across the regular windows' edges (which no regular
    window holds) first, then random nested and adjacent ones and ones at the edges."""
    rng = random.Random(seed)
    n = len(content.ids)
    continues = [t.startswith("##") for t in content.tokens] + [False]
    # from just before one window starts to just after the previous one ends
    across = [(w.token_start - 1, v.token_end) for v, w in zip(grid, grid[1:], strict=False)]
    spans = set()
    for _ in range(n // 3):
        i = rng.randrange(n)
        spans.add((i, min(n - 1, i + rng.randrange(capacity))))
        spans.add((i, i))  # nested in the one above
        j = min(n - 1, i + rng.randrange(3))
        spans.add((j, min(n - 1, j + 1)))
    for w in grid:
        a, b = w.token_start, w.token_end
        spans |= {(a, min(n - 1, a + 2)), (max(0, b - 3), b - 1)}  # at the edges
        spans |= {(max(0, b - 2), min(n - 1, b + 1)), (max(0, a - 1), min(n - 1, a + 1))}
        spans.add((a, b - 1))  # a whole window

    def to_chars(token_spans):
        out = []
        for i, j in token_spans:
            if word_level:  # widen to whole words
                while continues[i]:
                    i -= 1
                while continues[j + 1]:
                    j += 1
            if j - i + 1 <= capacity:
                out.append((content.offsets[i][0], content.offsets[j][1], rng.choice(TYPES)))
        return out

    return to_chars(across), to_chars(sorted(spans))


def _flat(first, rest):
    """A flat subset: from `first` in order, then the shortest of `rest` (so that many remain)."""
    kept, used = [], set()
    for span in [*first, *sorted(rest, key=lambda s: (s[1] - s[0], s[0]))]:
        if used.isdisjoint(range(span[0], span[1])):
            kept.append(span)
            used.update(range(span[0], span[1]))
    return kept


LABELERS = {
    "globalpointer": lambda: SpanLabeler(TYPES),
    "crf-bioes": lambda: TagLabeler(TYPES, scheme="BIOES"),
    "softmax-bio": lambda: TagLabeler(TYPES, scheme="BIO", first_subtoken_only=True),
}


@pytest.mark.parametrize("head", list(LABELERS))
@pytest.mark.parametrize(
    ("max_length", "stride"), [(16, 4), (24, 0), (32, 10), (64, 20), (130, 64)]
)
def test_long_text_perfect_labels_merge_to_the_entities(tokenizer, head, max_length, stride):
    text = _long_text(seed=max_length)
    content = tokenizer.tokenize(text)
    capacity = max_length - 2
    grid = split_windows(content, max_length, stride)
    labeler = LABELERS[head]()
    word_level = head.startswith("softmax")
    across, others = _entities_everywhere(content, grid, capacity, max_length, word_level)
    if head == "globalpointer":
        entities = across + others
    else:
        entities = _flat(across[::2], others)
    example = Example(text, entities, source="long.txt:1")
    assert len(example.entities) > (500 if head == "globalpointer" else 100)
    # entities that no regular window holds, and many that some window's edge cuts
    assert sum(not any(w.contains(e) for w in grid) for e in example.entities) >= 5
    cut = [e for e in example.entities if any(_cuts(w, e) for w in grid)]
    assert len(cut) >= min(20, len(grid) // 2)

    windows = split_windows(content, max_length, stride, entities=example.entities)
    report = EncodingReport()
    predictions = []
    for window in windows:
        encoding = window_encoding(tokenizer, content, window)
        labels = labeler.encode(example, encoding, report=report, window=window)
        predictions.append(labeler.decode(labels, text, encoding))
    assert report.unrepresentable == []
    assert merge_window_predictions(windows, predictions) == list(example.entities)


@pytest.mark.parametrize(("max_length", "stride"), [(16, 5), (40, 12)])
def test_prediction_windows_recover_entities_up_to_stride_plus_one(tokenizer, max_length, stride):
    text = _long_text(seed=7)
    content = tokenizer.tokenize(text)
    rng = random.Random(stride)
    n = len(content.ids)
    spans = {(i, min(n - 1, i + rng.randrange(stride + 1))) for i in rng.sample(range(n), n // 2)}
    spans |= {(i, i) for i, _ in spans}
    ends = [t in ("。", "；", "”") for t in content.tokens]
    across = {(i, j) for i, j in spans if any(ends[i:j])}  # a sentence cut may split these
    assert len(across) >= 20
    spans -= across
    example = Example(
        text, [(content.offsets[i][0], content.offsets[j][1], "LOC") for i, j in spans]
    )
    windows = split_windows(content, max_length, stride)  # no entities: prediction
    labeler = SpanLabeler(TYPES)
    predictions = []
    for window in windows:
        encoding = window_encoding(tokenizer, content, window)
        labels = labeler.encode(example, encoding, window=window)
        predictions.append(labeler.decode(labels, text, encoding))
    assert merge_window_predictions(windows, predictions) == list(example.entities)


def _cuts(window, span):
    return window.char_start < span[1] and span[0] < window.char_end and not window.contains(span)


# ---------------------------------------------------------------- the merge rule


@pytest.fixture(scope="module")
def grid(tokenizer):
    """Windows [0,10) [6,16) [12,22) [18,28) [20,30) over 30 one-character tokens."""
    return split_windows(tokenizer.tokenize((CHINESE * 2)[:30]), 12, 4)


def _merge(grid, by_window):
    return merge_window_predictions(grid, [by_window.get(k, []) for k in range(len(grid))])


def test_edge_distance_by_hand(grid):
    span = (8, 10, "LOC")
    assert grid[0].edge_distance(span) == 0  # touches the cut at 10 (start 0 is the text's)
    assert grid[1].edge_distance(span) == 2  # 2 tokens to the cut at 6, 6 to the one at 16
    assert grid[4].edge_distance((25, 30, "LOC")) == 5  # the text's end is no cut
    assert grid[0].edge_distance((0, 2, "LOC")) == 8
    assert not grid[0].contains((8, 11, "LOC"))


def test_a_central_window_overrules_an_edge_window(grid):
    span = (8, 10, "LOC")  # at the edge of window 0, 2 tokens inside window 1
    assert _merge(grid, {0: [span]}) == []
    assert _merge(grid, {1: [span]}) == [span]
    assert _merge(grid, {0: [span], 1: [span]}) == [span]


def test_ties_between_equally_central_windows_keep_either_prediction(grid):
    span = (13, 15, "PER")  # 1 token from the cut at 16 in window 1, from 12 in window 2
    assert _merge(grid, {1: [span]}) == [span]
    assert _merge(grid, {2: [span]}) == [span]


def test_nested_overlapping_and_adjacent_spans_stay_apart(grid):
    spans = [(14, 18, "LOC"), (15, 17, "PER"), (15, 18, "ORG"), (18, 20, "LOC"), (16, 19, "LOC")]
    # all central in window 2 [12, 22); windows 1 and 3 hold some and predict nothing
    assert _merge(grid, {2: spans}) == sorted(spans)
    assert _merge(grid, {2: spans, 3: [(18, 20, "PER")]}) == sorted(spans)


def test_a_span_only_one_window_holds_is_decided_by_it(grid):
    assert _merge(grid, {4: [(25, 30, "ORG")]}) == [(25, 30, "ORG")]
    assert _merge(grid, {0: [(0, 3, "ORG")], 1: []}) == [(0, 3, "ORG")]


def test_merge_rejects_bad_inputs(grid):
    with pytest.raises(ValueError, match="5 windows but 2 predictions"):
        merge_window_predictions(grid, [[], []])
    with pytest.raises(ValueError, match=r"span \(8, 11, 'LOC'\) is outside its window"):
        _merge(grid, {0: [(8, 11, "LOC")]})


def test_merging_one_window_is_its_predictions(tokenizer):
    windows = split_windows(tokenizer.tokenize("北京"), 8, 2)
    assert merge_window_predictions(windows, [[(0, 2, "LOC"), (0, 1, "LOC")]]) == [
        (0, 1, "LOC"),
        (0, 2, "LOC"),
    ]
    assert math.isinf(windows[0].edge_distance((0, 2, "LOC")))
