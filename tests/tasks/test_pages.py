"""The HTML pages of predictions and errors: error categories against a brute-force
count and `prf`, escaping, nesting and crossing spans, read back with `html.parser`."""

import base64
import collections
import itertools
import random

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, multilabel_confusion_matrix

from tests.page_tree import marks, parse_page
from tf_ner.data.classification import TextExample
from tf_ner.data.example import Example
from tf_ner.metrics import prf
from tf_ner.tasks.classification import pages as classification_pages
from tf_ner.tasks.ner import errors
from tf_ner.tasks.ner import pages as ner_pages
from tf_ner.tasks.ner.errors import FALSE_NEGATIVE as FN
from tf_ner.tasks.ner.errors import FALSE_POSITIVE as FP
from tf_ner.tasks.ner.pages import Mark, layout

EVIL = '<script>alert(1)</script> &amp; "x"'


@pytest.fixture(autouse=True)
def _seed_and_clear():
    """Overrides tests/conftest.py's: no Keras state here, and clearing costs 0.3 s a test."""
    yield


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


def contains(outer, inner):
    """Whether `inner` nests in `outer`, equal spans ordered as the layout orders them."""
    key = lambda m: (m.start, -m.end, m.type, m.label)  # noqa: E731
    return outer.start <= inner.start and inner.end <= outer.end and key(outer) < key(inner)


def crosses(a, b):
    return a.start < b.start < a.end < b.end or b.start < a.start < b.end < a.end


def test_layout_nests_what_nests_and_sets_apart_only_crossing_spans():
    rng = random.Random(3)
    for _ in range(300):
        spans = random_spans(rng, length=12, types="ABC", most=7)
        given = [Mark(s, e, t, t) for s, e, t in spans]
        inline, heights, crossing = layout(given)
        assert sorted(map(repr, inline + crossing)) == sorted(map(repr, given))
        assert inline == sorted(inline, key=lambda m: (m.start, -m.end, m.type, m.label))
        for a, b in itertools.combinations(inline, 2):
            assert not crosses(a, b)
        for mark in crossing:
            assert any(crosses(mark, m) for m in inline)

        def height(mark, inline=inline):
            return 1 + max((height(m) for m in inline if contains(mark, m)), default=0)

        assert heights == [height(m) for m in inline]


def inline_offsets(node):
    """`(start, end, type)` of each mark below `node`, from the text nodes before it."""
    found, position = [], 0

    def walk(element):
        nonlocal position
        for child in element.children:
            if isinstance(child, str):
                position += len(child)
            else:
                start = position
                walk(child)
                found.append((start, position, child.attrs["data-type"]))

    walk(node)
    return found


def test_prediction_page_marks_each_entity_nested_crossing_and_escaped():
    text = EVIL + " 北京天安门广场"
    at = text.index("北")
    odd = '<b>"T&amp;'
    entities = [
        (0, 8, "TAG", 0.5), (at, at + 7, "LOC", 0.91), (at, at + 2, "LOC", 0.8),
        (at + 2, at + 5, odd, 0.7), (at + 3, at + 6, "ORG", 0.6),
    ]  # fmt: skip
    records = [
        {"text": text, "entities": [
            {"start": s, "end": e, "type": t, "text": text[s:e], "score": p}
            for s, e, t, p in entities]},
        {"text": "", "entities": []},
        {"text": "&amp; <i>", "entities": []},
    ]  # fmt: skip
    root = parse_page(ner_pages.prediction_page(records, ["LOC", "ORG", "TAG"]))
    assert not list(root.iter("script"))
    docs = list(root.iter("div", "doc"))
    assert [next(d.iter("div", "text")).text() for d in docs] == [r["text"] for r in records]
    first = docs[0]
    text_div = next(first.iter("div", "text"))
    # The crossing ORG span is listed apart; the others are nested in the text.
    assert inline_offsets(text_div) == [
        (0, 8, "TAG"),
        (at, at + 2, "LOC"),
        (at + 2, at + 5, odd),
        (at, at + 7, "LOC"),
    ]
    assert marks(next(first.iter("ul", "crossing"))) == [(at + 3, at + 6, "ORG")]
    found = {m: e for m, e in zip(marks(first), first.iter("mark", "e"), strict=True)}
    assert set(found) == {(s, e, t) for s, e, t, _ in entities}
    for s, e, t, p in entities:
        element = found[(s, e, t)]
        assert element.text() == text[s:e]
        assert float(element.attrs["data-score"]) == p
        assert element.attrs["data-label"] == f"{t} {p:.2f}"
    outer = found[(at, at + 7, "LOC")]
    for inner in ((at, at + 2, "LOC"), (at + 2, at + 5, odd)):
        assert outer in found[inner].ancestors()
    assert "<script>" not in next(root.iter("body")).text().replace(EVIL, "")
    summary = {r[0]: r[1:] for r in table_rows(next(root.iter("table")))}
    assert summary == {"LOC": ["2", "1"], "ORG": ["1", "1"], "TAG": ["1", "1"], odd: ["1", "1"]}


def test_every_random_span_set_renders_with_the_text_intact():
    rng = random.Random(5)
    text = "<a>&amp;b\"c'de"
    for _ in range(200):
        spans = random_spans(rng, length=len(text), types="AB", most=8)
        records = [{"text": text, "entities": [
            {"start": s, "end": e, "type": t, "score": 0.5} for s, e, t in spans]}]  # fmt: skip
        root = parse_page(ner_pages.prediction_page(records, ["A", "B"]))
        doc = next(root.iter("div", "doc"))
        text_div = next(doc.iter("div", "text"))
        assert text_div.text() == text
        assert sorted(marks(doc)) == spans
        for start, end, type_ in inline_offsets(text_div):
            assert (start, end, type_) in spans


def table_rows(table):
    """The body rows of a table: the first cell's text, then the others'."""
    return [[cell.text().strip() for cell in row.iter("td")] for row in table.iter("tr")][1:]


def test_error_page_tables_the_categories_and_shows_gold_beside_predictions():
    texts = [EVIL + " 张三在北京", "李四去上海", "王五", "没有实体"]
    at = texts[0].index("张")
    gold = [[(at, at + 2, "PER"), (at + 3, at + 5, "LOC")], [(0, 2, "PER"), (3, 5, "LOC")],
            [(0, 2, "PER")], []]  # fmt: skip
    predicted = [[(at, at + 2, "PER"), (at + 3, at + 5, "ORG")], [(0, 3, "PER"), (3, 5, "LOC")],
                 [(0, 2, "PER")], [(0, 2, "<&>")]]  # fmt: skip
    examples = [
        Example(t, g, source=f"test.txt:{i}")
        for i, (t, g) in enumerate(zip(texts, gold, strict=True))
    ]
    root = parse_page(ner_pages.error_page(examples, predicted, ["LOC", "PER", "ORG"]))
    assert not list(root.iter("script"))
    assert "Chinchor" in root.text() and "Sundheim" in root.text()
    table = next(root.iter("table", "errors"))
    header = [th.text() for th in table.iter("th")]
    rows = {
        row[0]: dict(zip(header[1:], map(int, row[1:]), strict=True)) for row in table_rows(table)
    }
    expected = reference_counts(gold, predicted)
    for type_ in ("LOC", "PER", "ORG", "<&>"):
        row = rows[type_]
        assert row["gold"] == sum(s[2] == type_ for spans in gold for s in spans)
        assert row["predicted"] == sum(s[2] == type_ for spans in predicted for s in spans)
        for category, side in errors.KINDS:
            assert row[f"{category} {side}"] == expected[(type_, category, side)], (type_, side)
    assert rows["all"]["FP"] == 3 and rows["all"]["FN"] == 2 and rows["all"]["correct"] == 3
    docs = list(root.iter("div", "doc"))
    assert [d.attrs["id"] for d in docs] == ["t1", "t2", "t4"]  # the texts with errors
    assert "(test.txt:0)" in docs[0].text()
    for doc, i in zip(docs, (0, 1, 3), strict=True):
        gold_side = next(doc.iter("div", "gold"))
        predicted_side = next(doc.iter("div", "predicted"))
        assert next(gold_side.iter("div", "text")).text() == texts[i]
        assert marks(gold_side) == gold[i] and marks(predicted_side) == predicted[i]
        wrong = errors.text_errors(gold[i], predicted[i])
        fn = [(int(m.attrs["data-start"]), int(m.attrs["data-end"]), m.attrs["data-type"])
              for m in gold_side.iter("mark", "fn")]  # fmt: skip
        fp = [(int(m.attrs["data-start"]), int(m.attrs["data-end"]), m.attrs["data-type"])
              for m in predicted_side.iter("mark", "fp")]  # fmt: skip
        assert fn == [e.span for e in wrong if e.side == FN]
        assert fp == [e.span for e in wrong if e.side == FP]
    with pytest.raises(ValueError, match="4 examples but 3 lists"):
        ner_pages.error_page(examples, predicted[:3], ["LOC"])


# Classification.


def test_classification_prediction_page_shows_labels_and_probabilities_escaped():
    odd = '<i>"&amp;'
    records = [
        {"text": EVIL, "label": odd, "probabilities": {odd: 0.75, "neg": 0.25}},
        {"text": "好", "labels": ["neg", odd], "probabilities": {odd: 0.6, "neg": 0.9}},
    ]
    root = parse_page(classification_pages.prediction_page(records, ["neg", odd]))
    assert not list(root.iter("script"))
    docs = list(root.iter("div", "doc"))
    assert [next(d.iter("div", "text")).text() for d in docs] == [EVIL, "好"]
    assert [[s.attrs["data-label"] for s in d.iter("span", "label")] for d in docs] == [
        [odd],
        ["neg", odd],
    ]
    for doc, record in zip(docs, records, strict=True):
        shown = {s.attrs["data-label"]: float(s.attrs["data-p"]) for s in doc.iter("span", "p")}
        assert shown == record["probabilities"]
    counts = {row[0]: row[1] for row in table_rows(next(root.iter("table")))}
    assert counts == {"neg": "1", odd: "2"}


def png_of(root):
    source = next(root.iter("img")).attrs["src"]
    prefix = "data:image/png;base64,"
    assert source.startswith(prefix)
    return base64.b64decode(source[len(prefix) :])


@pytest.mark.parametrize("multi_label", [False, True])
def test_classification_error_page_matches_sklearn_and_lists_the_misclassified(multi_label):
    rng = np.random.default_rng(0)
    labels = ("a", "b", '<c&"')
    size = 30
    if multi_label:
        gold = [tuple(x for x in labels if rng.random() < 0.5) or ("a",) for _ in range(size)]
        probabilities = rng.random((size, 3))
        predicted = [
            tuple(x for x, p in zip(labels, row, strict=True) if p > 0.5) for row in probabilities
        ]
    else:
        gold = [(labels[i],) for i in rng.integers(0, 3, size)]
        probabilities = rng.dirichlet(np.ones(3), size)
        predicted = [(labels[i],) for i in probabilities.argmax(-1)]
    examples = [TextExample(f"{EVIL} {i}", g) for i, g in enumerate(gold)]
    root = parse_page(classification_pages.error_page(
        examples, probabilities, predicted, labels, multi_label))  # fmt: skip
    assert not list(root.iter("script"))
    assert png_of(root).startswith(b"\x89PNG\r\n\x1a\n")
    table = [[int(x) for x in row[1:]] for row in table_rows(next(root.iter("table")))]
    if multi_label:
        binary = lambda sets: [[x in s for x in labels] for s in sets]  # noqa: E731
        per_label = multilabel_confusion_matrix(binary(gold), binary(predicted))
        # sklearn: [[tn, fp], [fn, tp]]; the page: tp, fn, fp, tn.
        assert table == [[m[1, 1], m[1, 0], m[0, 1], m[0, 0]] for m in per_label]
    else:
        flat = lambda sets: [s[0] for s in sets]  # noqa: E731
        assert table == confusion_matrix(flat(gold), flat(predicted), labels=labels).tolist()
    wrong = [i for i in range(size) if set(gold[i]) != set(predicted[i])]
    docs = list(root.iter("div", "doc"))
    assert wrong and [d.attrs["id"] for d in docs] == [f"t{i + 1}" for i in wrong]
    for doc, i in zip(docs, wrong, strict=True):
        assert next(doc.iter("div", "text")).text() == examples[i].text
        shown = [s.attrs["data-label"] for s in doc.iter("span", "label")]
        assert shown == [*gold[i], *predicted[i]]
        p = {s.attrs["data-label"]: float(s.attrs["data-p"]) for s in doc.iter("span", "p")}
        assert p == pytest.approx(dict(zip(labels, probabilities[i], strict=True)), abs=5e-5)


# A character in no installed font but matplotlib's "Last Resort" (which draws a box).
UNDRAWABLE = "\U0010fffd"


def test_font_for_finds_the_default_font_and_none_for_an_undrawable_character():
    assert classification_pages.font_for(["plain ASCII", "a-b"]) == "DejaVu Sans"
    assert classification_pages.font_for(["ok", f"x{UNDRAWABLE}"]) is None


@pytest.mark.parametrize("multi_label", [False, True])
def test_labels_no_font_draws_are_numbered_in_the_picture_and_named_in_the_table(multi_label):
    labels = (f"{UNDRAWABLE}体育", "b", "c")
    gold = [("b",), (labels[0],), ("c",), ("b",)]
    predicted = [("b",), ("c",), ("c",), (labels[0],)]
    probabilities = np.full((4, 3), 1 / 3)
    examples = [TextExample(f"text {i}", g) for i, g in enumerate(gold)]
    document = classification_pages.error_page(
        examples, probabilities, predicted, labels, multi_label
    )
    root = parse_page(document)
    assert png_of(root).startswith(b"\x89PNG\r\n\x1a\n")
    table = table_rows(next(root.iter("table")))
    assert [row[0] for row in table] == [f"{k}. {x}" for k, x in enumerate(labels, 1)]
    assert "the picture numbers them as the table does" in document


def test_masked_lm_folders_refuse_pages():
    from tf_ner.tasks.masked_lm.task import MaskedLmSettings, MaskedLmTask

    task = MaskedLmTask(MaskedLmSettings())
    with pytest.raises(
        ValueError, match="--html: the masked_lm task writes no page of predictions"
    ):
        task.check_page("predictions", "--html")
    with pytest.raises(ValueError, match="--errors: the masked_lm task writes no page of errors"):
        task.check_page("errors", "--errors")
