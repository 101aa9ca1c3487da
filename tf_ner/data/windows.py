"""Long texts as overlapping windows of tokens, and one span set from their predictions.

Sizes, as in Hugging Face tokenizers (`max_length`, `stride`):

- `max_length` counts every position of a window, [CLS] and [SEP] included, so a
  window holds `capacity = max_length - 2` tokens of the text.
- `stride` is the *overlap*: consecutive windows share at least `stride` tokens, so a
  new window starts about `capacity - stride` tokens after the previous one. It must
  be `0 <= stride < capacity`.

Window edges fall between words where they can (a word: a token not starting with `##`
and its `##` continuations), and, when the entities are known, outside entities. The
last window ends at the end of the text and reaches back for a full window of context.

Sentence cuts (`sentence_cuts=True`, the default): where a sentence ends in the second
half of a window's reach, the window ends with that sentence and the next one starts
with the next sentence, sharing no token: the sentence is read whole, and no token is
computed twice there. A sentence ends after `。！？!?；;` and the
closing quotes and brackets that follow them; "." is not taken for one (abbreviations,
decimals). Where no sentence ends within reach, windows overlap as above. The last
window starts at a sentence cut when the previous window ended with one.

Training (`entities` given): after the regular windows, an extra window is added,
centred on it, for every entity that no window holds whole; so every entity of at
most `capacity` tokens lies whole in at least one window. Prediction (no entities):
every token lies in at least one window, and an entity of at most `stride + 1`
tokens lies whole in one unless it runs across a sentence cut.

Merging (`merge_window_predictions`) is a union of exact `(start, end, type)` spans
in which each span is decided by the windows that hold it most centrally: a span is
kept when a window that holds it furthest from a cut edge (the text's own start and
end are no cut) predicted it. Nested, overlapping and adjacent spans are never merged
into one another.
"""

import bisect
import dataclasses
import itertools
import math

from tf_ner.bert.tokenization import Encoding
from tf_ner.ground.errors import SettingsError

# Tokens that end a sentence, and closing marks that end it with them (`sentence_cuts`).
SENTENCE_ENDS = frozenset("。！？!?；;")
CLOSING_MARKS = frozenset("”’」』）)》】")


@dataclasses.dataclass(frozen=True)
class Window:
    """A run of tokens of a longer text.

    Attributes:
        token_start: int, first token of the window in the text's tokenization
            (`Tokenizer.tokenize`, no [CLS]/[SEP]).
        token_end: int, one past its last token.
        char_start: int, first character the window's tokens cover.
        char_end: int, one past the last character they cover.
        at_text_start: bool, the window starts with the text's first token.
        at_text_end: bool, the window ends with the text's last token.
        offsets: tuple of `(start, end)` character offsets of its tokens.
    """

    token_start: int
    token_end: int
    char_start: int
    char_end: int
    at_text_start: bool
    at_text_end: bool
    offsets: tuple = dataclasses.field(repr=False, compare=False)

    @property
    def num_tokens(self):
        return self.token_end - self.token_start

    def contains(self, span):
        """True when the character span `(start, end, ...)` lies wholly in the window."""
        return self.char_start <= span[0] and span[1] <= self.char_end

    def edge_distance(self, span):
        """Tokens between `span` and the nearer edge that cuts the text (inf if none).

        Args:
            span: `(start, end, ...)` character span inside the window.

        Returns:
            int, or `math.inf` when the window holds the whole text.
        """
        left = right = math.inf
        if not self.at_text_start:
            left = bisect.bisect_right(self.offsets, span[0], key=lambda o: o[1])
        if not self.at_text_end:
            right = len(self.offsets) - bisect.bisect_left(
                self.offsets, span[1], key=lambda o: o[0]
            )
        return min(left, right)


def window_capacity(max_length, stride):
    """Tokens of the text one window holds; validates `max_length` and `stride`.

    Args:
        max_length: int, positions of a window including [CLS] and [SEP].
        stride: int, tokens shared by consecutive windows.

    Returns:
        int, `max_length - 2`.

    Raises:
        ValueError: `max_length < 3` or `stride` outside `[0, max_length - 2)`.
    """
    if not isinstance(max_length, int) or max_length < 3:
        raise SettingsError(
            f"max_length={max_length!r} leaves no room for a token between [CLS] and "
            f"[SEP]; expected an int >= 3 (it counts [CLS] and [SEP])"
        )
    capacity = max_length - 2
    if not isinstance(stride, int) or not 0 <= stride < capacity:
        raise SettingsError(
            f"stride={stride!r} with max_length={max_length}: stride is the overlap of "
            f"consecutive windows and must satisfy 0 <= stride < max_length - 2 = "
            f"{capacity} (the tokens a window holds), or windows would not advance"
        )
    return capacity


def token_span(offsets, span):
    """The tokens covering a character span: `(first, last)` inclusive, or None."""
    first = bisect.bisect_right(offsets, span[0], key=lambda o: o[1])
    last = bisect.bisect_left(offsets, span[1], key=lambda o: o[0]) - 1
    return (first, last) if first <= last else None


def split_windows(encoding, max_length, stride, entities=None, sentence_cuts=True):
    """Splits a tokenised text into overlapping windows.

    Args:
        encoding: `Encoding` of the whole text without [CLS]/[SEP]
            (`Tokenizer.tokenize`).
        max_length: int, positions of a window including [CLS] and [SEP].
        stride: int, tokens shared by consecutive windows (`0 <= stride < max_length - 2`).
        entities: optional iterable of `(start, end, type)` character spans (training):
            edges avoid them and every entity of at most `max_length - 2` tokens lies
            whole in some window. None for prediction.
        sentence_cuts: bool, end windows at sentence ends without overlap where one
            is within reach (see the module).

    Returns:
        list of `Window` sorted by `(token_start, token_end)`; one window (the whole
        text) when it fits.

    Raises:
        ValueError: `max_length` or `stride` out of range (see `window_capacity`).
    """
    capacity = window_capacity(max_length, stride)
    offsets = list(encoding.offsets)
    n = len(offsets)
    if n <= capacity:
        return [_make_window(offsets, 0, n)]
    spans = []
    for entity in entities or ():
        tokens = token_span(offsets, entity)
        if tokens is not None:
            spans.append(tokens)
    tiers = _boundary_tiers(encoding.tokens, n, spans)
    cuts = _sentence_cuts(encoding.tokens, n, tiers[0]) if sentence_cuts else [False] * (n + 1)
    grid = _grid(n, capacity, stride, tiers, cuts)
    starts = [a for a, _ in grid]
    # A window holds tokens first..last iff it starts at or before `first` and ends
    # after `last`: compare with the furthest end among windows starting by `first`.
    furthest = list(itertools.accumulate((b for _, b in grid), max))
    extra, extra_end = [], 0  # extra windows start before every later entity
    for first, last in sorted(set(spans)):
        if last - first + 1 > capacity:
            continue
        if furthest[bisect.bisect_right(starts, first) - 1] > last or extra_end > last:
            continue
        extra.append(_centred(first, last, n, capacity, tiers))
        extra_end = max(extra_end, extra[-1][1])
    return [_make_window(offsets, a, b) for a, b in sorted(set(grid + extra))]


def _make_window(offsets, a, b):
    return Window(
        token_start=a,
        token_end=b,
        char_start=offsets[a][0] if b > a else 0,
        char_end=offsets[b - 1][1] if b > a else 0,
        at_text_start=a == 0,
        at_text_end=b == len(offsets),
        offsets=tuple(offsets[a:b]),
    )


def _boundary_tiers(tokens, n, spans):
    """Boundaries `p` (a cut before token `p`, `0 <= p <= n`) in order of preference.

    Returns a list of boolean lists: first the word starts outside every entity, then
    all word starts.
    """
    word_start = [True] + [not t.startswith("##") for t in tokens[1:n]] + [True]
    depth = [0] * (n + 2)
    for first, last in spans:
        depth[first + 1] += 1
        depth[last + 1] -= 1
    free, inside = [], 0
    for p in range(n + 1):
        inside += depth[p]
        free.append(word_start[p] and inside == 0)
    return [free, word_start]


def _sentence_cuts(tokens, n, free):
    """Per boundary `p` (`0 <= p <= n`): True where a sentence ends before token `p`,
    outside every entity (`free`)."""
    ends = [False] * (n + 1)
    for p in range(1, n + 1):
        token = tokens[p - 1]
        ends[p] = token in SENTENCE_ENDS or (token in CLOSING_MARKS and ends[p - 1])
    return [end and ok for end, ok in zip(ends, free, strict=True)]


def _pick(lo, hi, target, tiers):
    """The boundary in `[lo, hi]` of the best tier nearest `target` (else `target`)."""
    for tier in tiers:
        for distance in range(max(target - lo, hi - target) + 1):
            for p in (target - distance, target + distance):
                if lo <= p <= hi and tier[p]:
                    return p
    return target


def _grid(n, capacity, stride, tiers, cuts):
    """The regular windows `(a, b)`: cover every token, overlap at least `stride`
    except at the furthest sentence cut (`cuts[p]`) in the second half of a window."""
    windows, a = [], 0
    while a + capacity < n:
        b = next((p for p in range(a + capacity, a + capacity // 2, -1) if cuts[p]), None)
        if b is not None:
            windows.append((a, b))
            a = b
            continue
        b = _pick(a + max(stride + 1, capacity // 2), a + capacity, a + capacity, tiers)
        windows.append((a, b))
        # Overlap at least `stride` (more, up to capacity // 4, to reach a word start).
        a = _pick(max(a + 1, b - stride - capacity // 4), b - stride, b - stride, tiers)
    # The last window ends the text; unless it starts a sentence, it reaches back for a
    # full window of context.
    windows.append((a if cuts[a] else _pick(n - capacity, a, n - capacity, tiers), n))
    return windows


def _centred(first, last, n, capacity, tiers):
    """A window `(a, b)` of at most `capacity` tokens holding tokens `first..last`."""
    lo = max(0, last + 1 - capacity)
    target = first - (capacity - (last - first + 1)) // 2
    target = min(max(target, lo), first, max(lo, n - capacity))
    a = _pick(lo, first, target, tiers)
    end = min(a + capacity, n)
    return a, _pick(last + 1, end, end, tiers)


def window_encoding(tokenizer, encoding, window):
    """The `[CLS] tokens [SEP]` encoding of one window; offsets point into the whole text.

    Args:
        tokenizer: `Tokenizer` (for the [CLS]/[SEP] ids).
        encoding: `Encoding` of the whole text without [CLS]/[SEP].
        window: `Window` of that text.

    Returns:
        `Encoding` of `window.num_tokens + 2` positions.
    """
    a, b = window.token_start, window.token_end
    piece = Encoding(
        ids=encoding.ids[a:b],
        segment_ids=encoding.segment_ids[a:b],
        offsets=encoding.offsets[a:b],
        tokens=encoding.tokens[a:b],
    )
    return tokenizer.with_special_tokens(piece)


def merge_window_predictions(windows, predictions):
    """One set of character spans from the predictions of overlapping windows.

    A span is kept when, among the windows that hold it whole, one of those that hold
    it furthest from a cut edge (`Window.edge_distance`; ties all count) predicted it.
    So a span predicted near an edge by one window and rejected by a window where it
    is central is dropped, and one rejected near an edge but predicted centrally is
    kept. Spans are compared exactly: nested and adjacent spans stay apart.

    Args:
        windows: list of `Window` of one text.
        predictions: list (one per window) of iterables of `(start, end, type)`
            character spans of the whole text.

    Returns:
        sorted list of `(start, end, type)`.

    Raises:
        ValueError: lists of different lengths, or a window predicting a span outside
            its characters.
    """
    if len(windows) != len(predictions):
        raise ValueError(
            f"{len(windows)} windows but {len(predictions)} predictions; expected one "
            f"prediction (a list of spans) per window"
        )
    if len(windows) == 1:
        return sorted(set(map(tuple, predictions[0])))
    order = sorted(range(len(windows)), key=lambda k: windows[k].char_start)
    windows = [windows[k] for k in order]
    predicted = [set(map(tuple, predictions[k])) for k in order]
    for window, spans in zip(windows, predicted, strict=True):
        for span in spans:
            if not window.contains(span):
                raise ValueError(
                    f"span {span!r} is outside its window's characters "
                    f"[{window.char_start}, {window.char_end}); predictions must be "
                    f"character spans of the whole text decoded from that window"
                )
    starts = [w.char_start for w in windows]
    widest = max(w.char_end - w.char_start for w in windows)
    kept = []
    for span in set().union(*predicted):
        best, keep = -1, False
        for k in range(bisect.bisect_left(starts, span[1] - widest), len(windows)):
            if starts[k] > span[0]:
                break
            if not windows[k].contains(span):
                continue
            distance = windows[k].edge_distance(span)
            if distance > best:
                best, keep = distance, span in predicted[k]
            elif distance == best:
                keep = keep or span in predicted[k]
        if keep:
            kept.append(span)
    return sorted(kept)
