"""The errors of an NER model, each put in one category.

The categories follow the MUC scoring categories (Chinchor & Sundheim, 1993, "MUC-5
evaluation metrics", Proceedings of the Fifth Message Understanding Conference):
correct, incorrect, partial, missing, spurious. Here an error is one span: a false
positive (a predicted `(start, end, type)` that no gold entity equals) or a false
negative (a gold one that no prediction equals), exactly those `tf_ner.metrics.prf`
counts. Two spans overlap when they share a character. Each error gets one category
from the spans of the other side (gold for a false positive, predictions for a false
negative) that overlap it:

- `type`: one of them has the same start and end (MUC's incorrect);
- `boundary`: otherwise, one of them has the same type (MUC's partial);
- `boundary+type`: otherwise (some overlap, with other types and other boundaries);
- `missed`: a false negative that no prediction overlaps (MUC's missing);
- `spurious`: a false positive that no gold entity overlaps (MUC's spurious).

A span overlapping several spans of the other side takes the first category of that
list that one of them gives (the same span before the same type): a prediction
covering a gold PER and a gold LOC is a boundary error of type PER when it is PER.
Errors are counted per span and per side, not per pair: a prediction covering two
gold entities of its type is one boundary false positive and two boundary false
negatives. The overlapping spans are all those of the other side, correct ones
included. So every false positive and every false negative is in exactly one
category, and the false positives of a type sum to `predicted - true positives` of
that type (false negatives: `gold - true positives`).
"""

import collections
import dataclasses

BOUNDARY = "boundary"
TYPE = "type"
BOUNDARY_AND_TYPE = "boundary+type"
MISSED = "missed"
SPURIOUS = "spurious"

FALSE_POSITIVE = "FP"
FALSE_NEGATIVE = "FN"

# Every (category, side) an error can have, in the order the error page shows them.
KINDS = (
    (BOUNDARY, FALSE_POSITIVE),
    (BOUNDARY, FALSE_NEGATIVE),
    (TYPE, FALSE_POSITIVE),
    (TYPE, FALSE_NEGATIVE),
    (BOUNDARY_AND_TYPE, FALSE_POSITIVE),
    (BOUNDARY_AND_TYPE, FALSE_NEGATIVE),
    (MISSED, FALSE_NEGATIVE),
    (SPURIOUS, FALSE_POSITIVE),
)


@dataclasses.dataclass(frozen=True)
class SpanError:
    """One wrong span of a text.

    Args:
        span: `(start, end, type)`, the predicted span (false positive) or the gold
            one (false negative).
        side: `FALSE_POSITIVE` or `FALSE_NEGATIVE`.
        category: `BOUNDARY`, `TYPE`, `BOUNDARY_AND_TYPE`, `MISSED` (false negatives
            only) or `SPURIOUS` (false positives only).
    """

    span: tuple
    side: str
    category: str


def overlap(a, b):
    """Whether spans `(start, end, ...)` share a character (end exclusive)."""
    return a[0] < b[1] and b[0] < a[1]


def category(span, others, alone):
    """The category of an error span among the spans of the other side.

    Args:
        span: `(start, end, type)`, the error.
        others: the other side's spans of the same text.
        alone: the category when none of `others` overlaps `span`.
    """
    start, end, type_ = span
    overlapping = [other for other in others if overlap(span, other)]
    if not overlapping:
        return alone
    if any((other[0], other[1]) == (start, end) for other in overlapping):
        return TYPE
    if any(other[2] == type_ for other in overlapping):
        return BOUNDARY
    return BOUNDARY_AND_TYPE


def text_errors(gold, predicted):
    """The errors of one text: its false negatives, then its false positives, sorted.

    Args:
        gold: iterable of `(start, end, type)`, the gold entities.
        predicted: iterable of `(start, end, type)`, the predictions.

    Returns:
        list of `SpanError`.
    """
    gold, predicted = set(gold), set(predicted)
    return [
        SpanError(span, FALSE_NEGATIVE, category(span, predicted, MISSED))
        for span in sorted(gold - predicted)
    ] + [
        SpanError(span, FALSE_POSITIVE, category(span, gold, SPURIOUS))
        for span in sorted(predicted - gold)
    ]


def count_errors(errors):
    """`Counter` of `(type, category, side)` over texts.

    Args:
        errors: iterable of lists of `SpanError` (`text_errors` of each text).
    """
    return collections.Counter(
        (error.span[2], error.category, error.side) for text in errors for error in text
    )
