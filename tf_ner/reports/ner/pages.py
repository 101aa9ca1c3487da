"""HTML pages of NER predictions and of NER errors, with the entities marked in the text.

Each entity is one `<mark class="e ...">` with `data-type`, `data-start`, `data-end`
(character offsets, end exclusive) and a label drawn by CSS from `data-label`, so that
the text nodes inside a text's `<div class="text">` are exactly the text. An entity
inside another is a `<mark>` inside the other's, with less padding, so every level
shows. Spans that cross (overlap without one holding the other; GlobalPointer heads
can predict them) cannot nest: the first in text order is marked in the text, the
one that crosses it is listed under the text, marked on its own.
"""

import collections
import dataclasses

from tf_ner.reports.html import (
    Markup,
    attribute,
    cell,
    colour_style,
    colours,
    page,
    swatch,
    table,
    write_page,
)
from tf_ner.reports.ner.errors import (
    FALSE_NEGATIVE,
    FALSE_POSITIVE,
    KINDS,
    count_errors,
    text_errors,
)

_STYLE = """
mark.e{color:inherit;border:1px solid;border-radius:.3em;box-decoration-break:clone;
-webkit-box-decoration-break:clone}
mark.e::after{content:attr(data-label);font-size:.62em;font-weight:600;margin-left:.2em;
color:#333;vertical-align:.15em}
mark.fp,mark.fn{outline:2px dashed #c00;outline-offset:1px}
.crossing{margin:.2em 0 .2em 1em;font-size:.9em;line-height:2.4}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:1.5em}
.side h3{font-size:.8em;margin:.2em 0;color:#666;font-weight:normal}
"""


@dataclasses.dataclass(frozen=True)
class Mark:
    """An entity to mark: its span, the label shown on it, and an extra CSS class."""

    start: int
    end: int
    type: str
    label: str
    kind: str = ""
    score: float | None = None


def layout(marks):
    """Which marks nest in the text, and which cross one of those.

    Marks are taken by start, the longer first; a mark goes inline unless it crosses
    an inline one that is still open at its start.

    Returns:
        `(inline, heights, crossing)`: the inline marks in document order, the height of
        each (1: holds no other mark; h: holds one of height h - 1), and the rest.
    """
    ordered = sorted(marks, key=lambda m: (m.start, -m.end, m.type, m.label))
    inline, heights, crossing, open_ = [], [], [], []  # open_: indices into inline
    for mark in ordered:
        while open_ and inline[open_[-1]].end <= mark.start:
            open_.pop()
        if open_ and mark.end > inline[open_[-1]].end:
            crossing.append(mark)
            continue
        for height, index in enumerate(reversed(open_), start=2):
            heights[index] = max(heights[index], height)
        open_.append(len(inline))
        inline.append(mark)
        heights.append(1)
    return inline, heights, crossing


def _open_tag(mark, height, colour_of):
    padding = f"{0.08 + 0.22 * (height - 1):.2f}em .12em"
    score = "" if mark.score is None else f' data-score="{mark.score!r}"'
    title = f"{mark.label} [{mark.start}:{mark.end}]"
    return (
        f'<mark class="e c{colour_of[mark.type]}{" " + mark.kind if mark.kind else ""}" '
        f'data-type="{attribute(mark.type)}" data-start="{mark.start}" data-end="{mark.end}" '
        f'data-label="{attribute(mark.label)}"{score} title="{attribute(title)}" '
        f'style="padding:{padding}">'
    )


def marked_text(text, marks, colour_of):
    """The text with its marks, as `<div class="text">`, then the crossing ones listed.

    Args:
        text: str.
        marks: iterable of `Mark` over `text`.
        colour_of: `{type: colour index}` (`tf_ner.reports.html.colours`).
    """
    inline, heights, crossing = layout(marks)
    parts, open_, position = ['<div class="text">'], [], 0

    def close():
        nonlocal position
        mark = open_.pop()
        parts.append(cell(text[position : mark.end]) + "</mark>")
        position = mark.end

    for mark, height in zip(inline, heights, strict=True):
        while open_ and open_[-1].end <= mark.start:
            close()
        parts.append(cell(text[position : mark.start]) + _open_tag(mark, height, colour_of))
        position = mark.start
        open_.append(mark)
    while open_:
        close()
    parts.append(cell(text[position:]) + "</div>")
    if crossing:
        items = "".join(
            f"<li>[{m.start}:{m.end}] {_open_tag(m, 1, colour_of)}{cell(text[m.start : m.end])}"
            f"</mark></li>"
            for m in crossing
        )
        parts.append(f'<ul class="crossing" title="crossing another span">{items}</ul>')
    return Markup("".join(parts))


def _all_types(types, seen):
    """The model's types, then any other type seen (sorted)."""
    return list(dict.fromkeys([*types, *sorted(seen)]))


def _type_name(type_, colour_of):
    """A type's name with its colour, for the tables."""
    return Markup(f"{swatch(colour_of[type_])} {cell(type_)}")


def prediction_page(records, types, title="tf_ner predictions"):
    """The HTML page of predicted entities (`tf-ner predict --html`).

    Args:
        records: dicts `{"text", "entities": [{"start", "end", "type", "score", ...}]}`
            (`Recognizer.records`).
        types: the model's entity types (their colours, in this order).

    Returns:
        str, the page.
    """
    records = list(records)
    types = _all_types(types, {e["type"] for r in records for e in r["entities"]})
    colour_of = colours(types)
    entities = collections.Counter(e["type"] for r in records for e in r["entities"])
    texts = collections.Counter(t for r in records for t in {e["type"] for e in r["entities"]})
    found = sum(bool(r["entities"]) for r in records)
    summary = (
        f"<p>{len(records)} texts, {found} with entities; {sum(entities.values())} entities. "
        f"The label on each entity is its type and score; an entity inside another is "
        f"marked inside it.</p>"
        + table(
            ["type", "entities", "texts"],
            [[_type_name(t, colour_of), entities[t], texts[t]] for t in types],
        )
    )
    docs = []
    for i, record in enumerate(records, start=1):
        marks = [
            Mark(e["start"], e["end"], e["type"], f"{e['type']} {e['score']:.2f}", score=e["score"])
            for e in record["entities"]
        ]
        docs.append(
            f'<div class="doc" id="t{i}"><div class="meta">#{i}, entities: {len(marks)}</div>'
            f"{marked_text(record['text'], marks, colour_of)}</div>"
        )
    body = Markup(summary + "\n<h2>Texts</h2>\n" + "\n".join(docs))
    return page(title, body, _STYLE + colour_style(len(types)))


SIDES = (FALSE_POSITIVE, FALSE_NEGATIVE)

_DEFINITIONS = """
<div class="note"><p>Each error is one span: a false positive (FP, a prediction that no
gold entity equals: type and both ends) or a false negative (FN, a gold entity that no
prediction equals): what precision and recall count. It gets one category from the spans
of the other side (gold for an FP, predictions for an FN) that overlap it (share a
character), correct ones included; the first that applies:</p>
<ul>
<li><b>type</b> error: one has the same span, another type;</li>
<li><b>boundary</b> error: one has the same type, other boundaries;</li>
<li><b>boundary+type</b> error: they overlap, with other types and other boundaries;</li>
<li><b>missed</b>: an FN that no prediction overlaps;</li>
<li><b>spurious</b>: an FP that no gold entity overlaps.</li>
</ul>
<p>A span overlapping several of the other side takes the first category that one of
them gives. Errors are counted per span, not per pair (a prediction covering two gold
entities of its type is one boundary FP and two boundary FNs), so the FPs of a type sum
to its predictions minus its correct ones, and the FNs to its gold entities minus its
correct ones. An FP counts under its predicted type, an FN under its gold type. The
categories follow the MUC scoring categories (correct, incorrect, partial, missing,
spurious) of N. Chinchor and B. Sundheim, 1993, "MUC-5 evaluation metrics",
Proceedings of the Fifth Message Understanding Conference (MUC-5).</p></div>
"""


def _error_table(types, colour_of, examples, predicted, counts):
    gold = collections.Counter(t for e in examples for _, _, t in e.entities)
    pred = collections.Counter(t for spans in predicted for _, _, t in spans)
    correct = collections.Counter(
        t for e, spans in zip(examples, predicted, strict=True)
        for _, _, t in set(e.entities) & set(spans)
    )  # fmt: skip
    rows = []
    for t in types:
        sides = [sum(counts[(t, c, s)] for c, s in KINDS if s == side) for side in SIDES]
        rows.append([gold[t], pred[t], correct[t], *sides, *(counts[(t, *k)] for k in KINDS)])
    named = [[_type_name(t, colour_of), *r] for t, r in zip(types, rows, strict=True)]
    total = ["all", *(sum(column) for column in zip(*rows, strict=True))]
    header = ["type", "gold", "predicted", "correct", *SIDES]
    header += [f"{category} {side}" for category, side in KINDS]
    return table(header, [*named, total], classes="errors")


def error_page(examples, predicted, types, title="tf_ner errors"):
    """The HTML page of the texts with errors (`tf-ner evaluate --errors`).

    On top, the errors per type in the categories of `tf_ner.reports.ner.errors`; then
    each text with an error, its gold entities beside its predictions, the false
    negatives and false positives outlined and labelled with their category.

    Args:
        examples: the gold `Example`s.
        predicted: per example, its predicted `(start, end, type)` spans.
        types: the model's entity types (their colours, in this order).

    Returns:
        str, the page.
    """
    examples, predicted = list(examples), [list(spans) for spans in predicted]
    if len(examples) != len(predicted):
        raise ValueError(
            f"error_page: {len(examples)} examples but {len(predicted)} lists of predictions"
        )
    seen = {t for e in examples for _, _, t in e.entities}
    types = _all_types(types, seen | {t for spans in predicted for _, _, t in spans})
    colour_of = colours(types)
    errors = [text_errors(e.entities, spans) for e, spans in zip(examples, predicted, strict=True)]
    wrong = [i for i, text in enumerate(errors) if text]
    summary = (
        f"<p>{len(wrong)} of {len(examples)} texts have errors.</p>"
        + _error_table(types, colour_of, examples, predicted, count_errors(errors))
        + _DEFINITIONS
    )
    docs = []
    for i in wrong:
        example = examples[i]
        category = {(error.span, error.side): error.category for error in errors[i]}
        sides = []
        for name, spans, side in (
            ("gold", example.entities, FALSE_NEGATIVE),
            ("predicted", predicted[i], FALSE_POSITIVE),
        ):
            marks = []
            for span in spans:
                kind = category.get((tuple(span), side))
                label = span[2] if kind is None else f"{span[2]} · {side} {kind}"
                marks.append(Mark(*span, label, side.lower() if kind else ""))
            sides.append(
                f'<div class="side {name}"><h3>{name}</h3>'
                f"{marked_text(example.text, marks, colour_of)}</div>"
            )
        where = f" ({cell(example.source)})" if example.source else ""
        docs.append(
            f'<div class="doc" id="t{i + 1}"><div class="meta">#{i + 1}{where}, '
            f"errors: {len(errors[i])}</div>"
            f'<div class="pair">{"".join(sides)}</div></div>'
        )
    body = Markup(summary + "\n<h2>Texts with errors</h2>\n" + "\n".join(docs))
    return page(title, body, _STYLE + colour_style(len(types)))


def write_prediction_page(task, records, path):
    """The entities of `Recognizer.records` marked in their texts, written to `path`."""
    write_page(path, prediction_page(records, task.settings.types))


def write_error_page(task, model, tokenizer, examples, scores, path, batch_size=64):
    """The texts with errors and the errors by category (`tf_ner.reports.ner.errors`),
    from the predictions `NerTask.evaluate` made (`scores["predictions"]`), to `path`."""
    write_page(path, error_page(examples, scores["predictions"], task.settings.types))
