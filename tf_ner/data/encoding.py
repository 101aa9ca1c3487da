"""Character spans <-> the labels each NER head trains on, through tokenizer offsets.

An entity is `(start, end, type)` over characters of the original text, end exclusive
(see `tf_ner.data.Example`). A labeler maps those spans onto the tokens of an
`Encoding` (`tf_ner.bert.tokenization`, `[CLS] ... [SEP]`, offsets into the text) and
back. Label layouts, for a window of `length` token positions (position 0 is [CLS]):

- `SpanLabeler` (GlobalPointer and EfficientGlobalPointer heads): int32
  `[num_spans, 3]`, rows `(type_id, first_token, last_token)` with the last token
  *inclusive*. Nested and overlapping entities are kept. Batches pad rows with
  `(-1, -1, -1)`; the loss densifies them per batch.
- `TagLabeler(first_subtoken_only=False)` (CRF head): int32 `[length]`, one tag id per
  token; every sub-token of an entity is tagged (B on the first, I/E on the rest), and
  [CLS], [SEP] and padding get `IGNORE_INDEX` (-100): they are outside the CRF's chain.
- `TagLabeler(first_subtoken_only=True)` (softmax head): int32 `[length]`, a tag id on
  the first sub-token of each word and `IGNORE_INDEX` (-100) everywhere else. A *word*
  is what BERT's pre-tokenizer makes one: text split at whitespace, every punctuation
  character and every CJK character on its own; in the token stream a word starts at
  each token that does not begin with `##`. (Whitespace-free runs would be too coarse:
  `Obama's` would be one word and the entity `Obama` could not be labelled.)

An entity can be labelled when its first character starts a unit (token or word) and
its last character ends one. Otherwise it is unrepresentable: it is counted and
listed in an `EncodingReport` (with the example's `source`), or, without a report,
`encode` raises. Nothing is dropped silently. Decoding maps a unit span back to
`(offsets[first][0], offsets[last][1], type)`, so
`decode(encode(example)) == example.entities` for every entity that aligns.
"""

import numpy as np

from tf_ner.data.alignment import Labeler as Labeler
from tf_ner.data.alignment import token_units, word_units
from tf_ner.data.encoding_report import EDGE_INSIDE_WORD, OVERLAPS
from tf_ner.data.encoding_report import EncodingReport as EncodingReport
from tf_ner.data.encoding_report import UnrepresentableEntityError as UnrepresentableEntityError
from tf_ner.data.tags import check_scheme, spans_to_tags, tag_vocabulary, tags_to_spans
from tf_ner.ground.span_cells import span_cells

IGNORE_INDEX = -100


class SpanLabeler(Labeler):
    """Labels for GlobalPointer heads: sparse `(type_id, first_token, last_token)` rows.

    Args:
        types: iterable of str entity types; stored sorted, so the id of a type is its
            index in `sorted(set(types))`.

    Example:
    >>> labeler = SpanLabeler(["PER", "LOC"])
    >>> labeler.types
    ('LOC', 'PER')
    """

    @property
    def num_types(self):
        return len(self.types)

    def labels(self, spans, units, length, cut=()):
        """Rows `(type_id, first_token, last_token)` for unit spans.

        Args:
            spans: list of `(type_id, first_unit, last_unit)`.
            units: list of `Unit`.
            length: int, positions in the encoding (unused; the rows are sparse).
            cut: ignored (a cut entity is simply not a row).

        Returns:
            int32 array `[num_spans, 3]`, sorted.
        """
        del length, cut
        rows = sorted({(t, units[i].first, units[j].last) for t, i, j in spans})
        return np.asarray(rows, dtype=np.int32).reshape(len(rows), 3)

    def decode(self, prediction, text, encoding, threshold=0.0):
        """Character spans from GlobalPointer logits or from label rows.

        Args:
            prediction: either logits `[num_types, length, length]` (a cell above
                `threshold` is an entity; `length` may exceed the encoding's, the
                padding is ignored) or rows `[num_rows, 3]` of
                `(type_id, first_token, last_token)` (rows with a negative type are
                padding).
            text: str, the text the encoding's offsets point into.
            encoding: `Encoding` with [CLS]/[SEP].
            threshold: float, on logits (0.0: probability 0.5).

        Returns:
            sorted list of `(start, end, type)` character spans of `text`.

        Raises:
            ValueError: a prediction of another shape or a type id out of range.
        """
        prediction = np.asarray(prediction)
        n = len(encoding.ids)
        _check_offsets(text, encoding)
        if prediction.ndim == 3:
            if prediction.shape[0] != self.num_types or prediction.shape[1] != prediction.shape[2]:
                raise ValueError(
                    f"GlobalPointer logits of shape {prediction.shape}: expected "
                    f"[num_types={self.num_types}, length, length]"
                )
            cells = span_cells(prediction[:, :n, :n], threshold)
        elif prediction.ndim == 2 and prediction.shape[-1] == 3:
            cells = prediction.astype(np.int64)
        else:
            raise ValueError(
                f"GlobalPointer prediction of shape {prediction.shape}: expected logits "
                f"[num_types, length, length] or rows [num_rows, 3]"
            )
        covers = [e > s for s, e in encoding.offsets]
        spans = set()
        for t, i, j in cells.tolist():
            if t < 0:
                continue
            if t >= self.num_types:
                raise ValueError(f"type id {t} out of range for types {list(self.types)}")
            if 0 <= i <= j < n and covers[i] and covers[j]:
                spans.add((encoding.offsets[i][0], encoding.offsets[j][1], self.types[t]))
        return sorted(spans)


class TagLabeler(Labeler):
    """Tag ids for CRF and softmax heads.

    Args:
        types: iterable of str entity types (stored sorted).
        scheme: str, `"BIO"` or `"BIOES"` (any scheme of `tf_ner.data.tags` works).
        first_subtoken_only: bool. False (CRF layout): every token carries a tag,
            [CLS]/[SEP]/padding `IGNORE_INDEX`. True (softmax layout): only the first
            sub-token of each word carries a tag, everything else `IGNORE_INDEX`.

    The tags are `tag_vocabulary(types, scheme)`: `O` is id 0. Nested or overlapping
    entities cannot be tags: the labeler keeps the earliest-starting, longest entity
    of each overlapping group and reports the others.

    Example:
    >>> TagLabeler(["PER"], scheme="BIOES").tags
    ['O', 'B-PER', 'I-PER', 'E-PER', 'S-PER']
    """

    def __init__(self, types, scheme="BIO", first_subtoken_only=False):
        super().__init__(types)
        self.scheme = check_scheme(scheme)
        self.first_subtoken_only = bool(first_subtoken_only)
        self.tags = tag_vocabulary(self.types, self.scheme)
        self.tag_ids = {tag: i for i, tag in enumerate(self.tags)}
        if self.first_subtoken_only:
            self.unit_name = "word"
            self.misaligned_reason = EDGE_INSIDE_WORD

    @property
    def num_tags(self):
        return len(self.tags)

    def units(self, offsets, tokens):
        if self.first_subtoken_only:
            return word_units(offsets, tokens)
        return token_units(offsets, tokens)

    def select(self, spans, problems, units, text):
        """Keeps a flat subset (earliest start, then longest); reports the rest."""
        del text
        kept, problems = [], list(problems)
        for t, i, j in sorted(spans, key=lambda s: (s[1], -s[2], s[0])):
            if kept and i <= kept[-1][2]:
                held = kept[-1]
                problems.append(
                    (
                        (units[i].start, units[j].end, self.types[t]),
                        OVERLAPS,
                        f"kept {(units[held[1]].start, units[held[2]].end, self.types[held[0]])}"
                        f"; use a GlobalPointer head for nested entities",
                    )
                )
            else:
                kept.append((t, i, j))
        return kept, problems

    def labels(self, spans, units, length, cut=()):
        """Tag ids for flat unit spans.

        Args:
            spans: list of non-overlapping `(type_id, first_unit, last_unit)`.
            units: list of `Unit`.
            length: int, positions in the encoding.
            cut: list of `(first_unit, last_unit)` covered by entities a window edge
                cuts: `IGNORE_INDEX` in the softmax layout; `O` in the CRF layout,
                which cannot leave single positions out.

        Returns:
            int32 array `[length]`.
        """
        tags = spans_to_tags(
            len(units), [(i, j + 1, self.types[t]) for t, i, j in spans], self.scheme
        )
        labels = np.full(length, IGNORE_INDEX, dtype=np.int32)
        # CRF units are single tokens; softmax units label their first token only
        labels[[unit.first for unit in units]] = [self.tag_ids[tag] for tag in tags]
        if self.first_subtoken_only:
            for i, j in cut:
                for unit in units[i : j + 1]:
                    labels[unit.first] = IGNORE_INDEX
        return labels

    def decode(self, prediction, text, encoding):
        """Character spans from tag ids or tag logits.

        Args:
            prediction: tag ids `[length]` (negative ids, e.g. `IGNORE_INDEX`, read as
                `O`) or logits `[length, num_tags]` (argmax). `length` may exceed the
                encoding's; padding is ignored. Only the tag on each unit's first token
                is read. Sequences that break the scheme are read as seqeval reads them.
            text: str, the text the encoding's offsets point into.
            encoding: `Encoding` with [CLS]/[SEP].

        Returns:
            sorted list of `(start, end, type)` character spans of `text`.

        Raises:
            ValueError: a prediction of another shape, or a tag id out of range.
        """
        prediction = np.asarray(prediction)
        if prediction.ndim == 2 and prediction.shape[-1] == self.num_tags:
            prediction = prediction.argmax(axis=-1)
        elif prediction.ndim != 1:
            raise ValueError(
                f"tag prediction of shape {prediction.shape}: expected ids [length] or "
                f"logits [length, num_tags={self.num_tags}]"
            )
        if prediction.shape[0] < len(encoding.ids):
            raise ValueError(
                f"tag prediction of length {prediction.shape[0]} is shorter than the "
                f"encoding ({len(encoding.ids)} tokens)"
            )
        _check_offsets(text, encoding)
        if not (prediction[: len(encoding.ids)] > 0).any():  # all O (0, or negative)
            return []
        units = self.units(encoding.offsets, encoding.tokens)
        tag_ids = prediction[[unit.first for unit in units]].astype(np.int64)
        out_of_range = tag_ids[tag_ids >= self.num_tags]
        if out_of_range.size:
            raise ValueError(f"tag id {out_of_range[0]} out of range for {self.num_tags} tags")
        tagged = np.flatnonzero(tag_ids > 0).tolist()
        if not tagged:  # tags only on positions that start no unit
            return []
        # The tagged units alone, with one O where untagged units part them: a run of O
        # reads as one O, so these spans are those of the whole sequence.
        read, tags = [], []
        for i in tagged:
            if read and i != read[-1] + 1:
                read.append(None)
                tags.append("O")
            read.append(i)
            tags.append(self.tags[tag_ids[i]])
        spans = tags_to_spans(tags, self.scheme, repair=True)
        return sorted({(units[read[s]].start, units[read[e - 1]].end, t) for s, e, t in spans})


def _check_offsets(text, encoding):
    ends = [e for _, e in encoding.offsets]
    if ends and max(ends) > len(text):
        raise ValueError(
            f"the encoding's offsets reach character {max(ends)} but the text has "
            f"{len(text)}; decode with the text the encoding was made from"
        )
