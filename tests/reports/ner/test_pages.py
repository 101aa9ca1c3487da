"""HTML pages of NER predictions and errors: escaping, nesting and crossing spans, read
back with `html.parser`."""

import itertools
import random

import pytest

from tests.page_tree import EVIL, marks, parse_page, table_rows
from tests.reports.ner.test_errors import random_spans, reference_counts
from tf_ner.data.example import Example
from tf_ner.reports.ner import errors
from tf_ner.reports.ner import pages as ner_pages
from tf_ner.reports.ner.errors import FALSE_NEGATIVE as FN
from tf_ner.reports.ner.errors import FALSE_POSITIVE as FP
from tf_ner.reports.ner.pages import Mark, layout


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
