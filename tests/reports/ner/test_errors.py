"""NER error categories against a brute-force count and `prf`."""

import collections
import random

import pytest

from tf_ner.metrics import prf
from tf_ner.reports.ner import errors
from tf_ner.reports.ner.errors import FALSE_NEGATIVE as FN
from tf_ner.reports.ner.errors import FALSE_POSITIVE as FP

# Error categories.


def reference_category(span, others, alone):
    """The documented rule, over character sets: the closest relation of any overlap."""
    relations = set()
    for other in others:
        if set(range(span[0], span[1])) & set(range(other[0], other[1])):
            if (other[0], other[1]) == (span[0], span[1]):
                relations.add("type")
            elif other[2] == span[2]:
                relations.add("boundary")
            else:
                relations.add("boundary+type")
    return next((c for c in ("type", "boundary", "boundary+type") if c in relations), alone)


def reference_counts(gold_texts, predicted_texts):
    """`Counter` of (type, category, side) over the corpus, spans keyed by text index."""
    gold = {(i, *s) for i, spans in enumerate(gold_texts) for s in spans}
    pred = {(i, *s) for i, spans in enumerate(predicted_texts) for s in spans}
    counts = collections.Counter()
    for mine, theirs, side, alone in ((gold, pred, FN, "missed"), (pred, gold, FP, "spurious")):
        for i, *span in mine - theirs:
            others = [other[1:] for other in theirs if other[0] == i]
            counts[(span[2], reference_category(span, others, alone), side)] += 1
    return counts


@pytest.mark.parametrize(
    "gold, predicted, expected",
    [
        ([(0, 2, "PER")], [(0, 2, "LOC")], {("PER", "type", FN), ("LOC", "type", FP)}),
        ([(0, 3, "PER")], [(0, 2, "PER")], {("PER", "boundary", FN), ("PER", "boundary", FP)}),
        ([(0, 3, "PER")], [(1, 4, "LOC")],
         {("PER", "boundary+type", FN), ("LOC", "boundary+type", FP)}),
        ([(0, 2, "PER")], [], {("PER", "missed", FN)}),
        ([], [(5, 7, "LOC")], {("LOC", "spurious", FP)}),
        # Touching is not overlapping.
        ([(0, 2, "PER")], [(2, 4, "PER")], {("PER", "missed", FN), ("PER", "spurious", FP)}),
        # The same span comes before the same type, for both sides.
        ([(0, 4, "PER"), (0, 2, "LOC")], [(0, 4, "LOC")],
         {("LOC", "type", FP), ("PER", "type", FN), ("LOC", "boundary", FN)}),
        # A correct gold entity still makes a nested false positive a boundary error.
        ([(0, 4, "LOC")], [(0, 4, "LOC"), (0, 2, "LOC")], {("LOC", "boundary", FP)}),
    ],
)  # fmt: skip
def test_each_error_gets_the_category_the_rules_give(gold, predicted, expected):
    found = errors.text_errors(gold, predicted)
    assert {(e.span[2], e.category, e.side) for e in found} == expected
    assert len(found) == len(expected)
    assert errors.count_errors([found]) == reference_counts([gold], [predicted])


def test_one_prediction_over_two_gold_entities_counts_per_span():
    counts = errors.count_errors([errors.text_errors([(0, 2, "PER"), (3, 5, "PER")],
                                                     [(0, 5, "PER")])])  # fmt: skip
    assert counts == {("PER", "boundary", FP): 1, ("PER", "boundary", FN): 2}
    assert counts == reference_counts([[(0, 2, "PER"), (3, 5, "PER")]], [[(0, 5, "PER")]])


def random_spans(rng, length=10, types="AB", most=4):
    spans = set()
    for _ in range(rng.randint(0, most)):
        start = rng.randrange(length)
        spans.add((start, rng.randint(start + 1, min(length, start + 4)), rng.choice(types)))
    return sorted(spans)


def test_counts_match_a_brute_force_count_and_prf_on_random_corpora():
    rng = random.Random(7)
    for _ in range(60):
        gold = [random_spans(rng) for _ in range(rng.randint(1, 5))]
        # Predictions: some gold spans kept, moved or retyped, some new.
        predicted = []
        for spans in gold:
            chosen = [s for s in spans if rng.random() < 0.5]
            chosen += [(s, e + rng.choice([0, 1]), rng.choice("AB")) for s, e, _ in spans
                       if rng.random() < 0.4 and e < 10]  # fmt: skip
            predicted.append(sorted(set(chosen + random_spans(rng, most=2))))
        counts = errors.count_errors(
            errors.text_errors(g, p) for g, p in zip(gold, predicted, strict=True)
        )
        assert counts == reference_counts(gold, predicted)
        scores = prf({(i, *s) for i, x in enumerate(gold) for s in x},
                     {(i, *s) for i, x in enumerate(predicted) for s in x})  # fmt: skip
        sides = collections.Counter()
        for (type_, _, side), n in counts.items():
            sides[side] += n
            sides[(type_, side)] += n
        assert sides[FP] == scores["predicted"] - scores["true_positives"]
        assert sides[FN] == scores["support"] - scores["true_positives"]
        for type_, s in scores["per_type"].items():
            true_positives = round(s["recall"] * s["support"])
            assert sides[(type_, FN)] == s["support"] - true_positives


# Nesting and crossing.
