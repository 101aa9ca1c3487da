"""HTML pages of classification predictions and errors against scikit-learn's confusion
matrices, read back with `html.parser`."""

import base64

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, multilabel_confusion_matrix

from tests.page_tree import EVIL, parse_page, table_rows
from tf_ner.data.classification import TextExample
from tf_ner.reports.classification import pages as classification_pages


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
