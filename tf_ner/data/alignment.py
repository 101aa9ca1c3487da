"""Aligning character spans with the units (tokens or words) of an encoding.

`Labeler` is the base of `SpanLabeler` and `TagLabeler` (`tf_ner.data.encoding`): it
finds, for each entity `(start, end, type)`, the unit where it starts and the unit
where it ends, and explains in words why an entity has no such units.
"""

import bisect
import typing

from tf_ner.data.encoding_report import (
    EDGE_INSIDE_TOKEN,
    EDGE_UNCOVERED,
    UnrepresentableEntityError,
)
from tf_ner.ground.errors import InputError


class Unit(typing.NamedTuple):
    """A labelled unit of an encoding: one token, or one word of sub-tokens.

    Attributes:
        first: int, position of its first token in the encoding.
        last: int, position of its last token (inclusive).
        start: int, its first character in the text.
        end: int, one past its last character.
    """

    first: int
    last: int
    start: int
    end: int


def token_units(offsets, tokens=None):
    """One unit per token that covers characters ([CLS]/[SEP] cover none).

    Args:
        offsets: list of `(start, end)` character offsets, one per position.
        tokens: unused; the same signature as `word_units`.

    Returns:
        list of `Unit`, in position order.
    """
    del tokens
    return [Unit(p, p, s, e) for p, (s, e) in enumerate(offsets) if e > s]


def word_units(offsets, tokens):
    """One unit per word: a token not starting with `##` and the `##` tokens after it.

    Args:
        offsets: list of `(start, end)` character offsets, one per position.
        tokens: list of str tokens, same length.

    Returns:
        list of `Unit`, in position order.
    """
    if len(offsets) != len(tokens):
        raise ValueError(f"{len(offsets)} offsets but {len(tokens)} tokens")
    if "##" not in "".join(tokens):  # no continuation: a word per covering token
        return token_units(offsets)
    units = []
    previous_covers = False
    for p, ((s, e), token) in enumerate(zip(offsets, tokens, strict=True)):
        if e <= s:
            previous_covers = False
            continue
        if previous_covers and units and token.startswith("##"):
            word = units[-1]
            units[-1] = Unit(word.first, p, word.start, e)
        else:
            units.append(Unit(p, p, s, e))
        previous_covers = True
    return units


def _source(example, fallback=None):
    return example.source or fallback or "<example without source>"


class Labeler:
    """Base of the labelers: aligns character spans to units and reports what it cannot.

    Subclasses define `labels(spans, units, length, cut)` and `decode(...)`, and may
    override `units` (which positions carry labels) and `select` (which aligned spans
    the layout can hold).

    Args:
        types: iterable of str entity types; stored sorted, so a type's id is its
            index in `sorted(set(types))`.
    """

    unit_name = "token"
    misaligned_reason = EDGE_INSIDE_TOKEN

    def __init__(self, types):
        types = list(types)
        for type_ in types:
            if not isinstance(type_, str) or not type_:
                raise InputError(f"entity types must be non-empty str, got {type_!r}")
        self.types = tuple(sorted(set(types)))
        if not self.types:
            raise InputError("a labeler needs at least one entity type, got none")
        self.type_ids = {t: i for i, t in enumerate(self.types)}

    def units(self, offsets, tokens):
        """The units of an encoding (see `token_units`, `word_units`)."""
        return token_units(offsets, tokens)

    def type_id(self, entity, source):
        """The id of `entity`'s type, or a ValueError naming the type and the known ones."""
        try:
            return self.type_ids[entity[2]]
        except KeyError:
            raise InputError(
                f"{source}: entity {entity!r} has type {entity[2]!r}, which this labeler "
                f"does not know; known types: {list(self.types)}. Build the labeler with "
                f"every type of the corpus (types=...)"
            ) from None

    def align(self, example, units, window=None, source=None):
        """Maps entities onto unit spans.

        Args:
            example: `Example`.
            units: list of `Unit` of the encoding (from `self.units`).
            window: optional `(char_start, char_end)`: the encoding covers only these
                characters; entities not wholly inside are not its business (neither
                labelled nor reported) and those it cuts are returned in `cut`.
            source: str used when the example has no `source`.

        Returns:
            `(spans, problems, cut)`: spans, list of `(type_id, first_unit, last_unit)`
            (unit indices, last inclusive); problems, list of `(entity, reason,
            detail)`; cut, list of `(first_unit, last_unit)` of unit ranges covered by
            entities that cross the window's edges.

        Raises:
            ValueError: an entity type the labeler does not know.
        """
        where = _source(example, source)
        first_at = {}
        last_at = {}
        for k, unit in enumerate(units):
            first_at.setdefault(unit.start, k)
            last_at[unit.end] = k
        spans, problems, cut = [], [], []
        for entity in example.entities:
            start, end, _ = entity
            type_id = self.type_id(entity, where)
            if window is not None and not (window[0] <= start and end <= window[1]):
                if start < window[1] and end > window[0]:
                    covered = [k for k, u in enumerate(units) if u.start < end and u.end > start]
                    if covered:
                        cut.append((covered[0], covered[-1]))
                continue
            i, j = first_at.get(start), last_at.get(end)
            if i is None or j is None or i > j:
                problems.append((entity, *self._why_misaligned(example.text, entity, units)))
            else:
                spans.append((type_id, i, j))
        return spans, problems, cut

    def _why_misaligned(self, text, entity, units):
        """`(reason, detail)` for an entity whose edges are not unit edges."""
        starts = [u.start for u in units]

        def unit_at(char):
            k = bisect.bisect_right(starts, char) - 1
            return units[k] if k >= 0 and units[k].start <= char < units[k].end else None

        start, end, _ = entity
        edges = (
            ("start", start, start, any(u.start == start for u in units)),
            ("end", end, end - 1, any(u.end == end for u in units)),
        )
        for name, edge, char, aligned in edges:
            if aligned:
                continue
            unit = unit_at(char)
            if unit is None:
                return EDGE_UNCOVERED, (
                    f"{name} edge: character {char} ({text[char : char + 1]!r}) belongs to "
                    f"no token (whitespace or a character the tokenizer drops)"
                )
            return self.misaligned_reason, (
                f"{name} {edge} falls inside the {self.unit_name} "
                f"{text[unit.start : unit.end]!r} at [{unit.start}, {unit.end})"
            )
        return self.misaligned_reason, "no token lies inside the entity"

    def encode(self, example, encoding, report=None, window=None):
        """Builds the labels of one encoded text (or window of a text).

        Args:
            example: `Example` whose `text` the encoding's offsets point into.
            encoding: `Encoding` with [CLS]/[SEP] (`Tokenizer.encode`, or
                `tf_ner.data.window_encoding` for a window of a long text).
            report: optional `EncodingReport`; unrepresentable entities are added to it
                and, for a whole text (no `window`), the counts. For the windows of a
                corpus use `tf_ner.data.encode_examples`, which reports each entity once.
            window: optional `Window` (or `(char_start, char_end)`) when `encoding`
                holds only part of the text: entities not wholly inside it are left to
                other windows.

        Returns:
            int32 numpy array, the layout of the subclass.

        Raises:
            UnrepresentableEntityError: an entity cannot be labelled and `report` is None.
            ValueError: an entity type the labeler does not know.
        """
        if window is not None and not isinstance(window, tuple):
            window = (window.char_start, window.char_end)
        units = self.units(encoding.offsets, encoding.tokens)
        spans, problems, cut = self.align(example, units, window=window)
        spans, problems = self.select(spans, problems, units, example.text)
        where = _source(example)
        if problems and report is None:
            lines = "\n".join(f"  {e!r}: {r} ({d})" for e, r, d in problems)
            raise UnrepresentableEntityError(
                f"{where}: {len(problems)} entities cannot be labelled:\n{lines}\n"
                f"pass an EncodingReport (report=...) to count and list them instead"
            )
        if report is not None:
            for entity, reason, detail in problems:
                report.add(where, entity, reason, detail)
            if window is None:  # windows of one text would count its entities again
                report.examples += 1
                report.entities += len(example.entities)
                report.encoded += len(spans)
                report.windows += 1
        return self.labels(spans, units, len(encoding.ids), cut)

    def select(self, spans, problems, units, text):
        """Hook: tag labelers keep a flat subset here. Returns `(spans, problems)`."""
        del units, text
        return spans, problems
