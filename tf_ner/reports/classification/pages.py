"""HTML pages of classification predictions and of misclassified texts.

Each text's labels are `<span class="label c{k}" data-label="...">` elements and its
probabilities `<span class="p" data-label="..." data-p="...">`, the text itself a
`<div class="text">`. The error page holds the confusion matrix as a table and as a
PNG embedded in the page (a `data:` URI), so the page stays one file.
"""

import base64
import collections
import io

import numpy as np

from tf_ner.reports.html import (
    Markup,
    attribute,
    cell,
    colour_style,
    colours,
    page,
    table,
    write_page,
)

_STYLE = """
.label{border:1px solid;border-radius:.3em;padding:0 .35em;margin-right:.3em}
.p{display:inline-block;margin:.1em .4em .1em 0;padding:0 .3em;font-size:.85em;
background:linear-gradient(90deg,#c9daf0 var(--p),#f3f3f3 var(--p))}
.wrong .text{background:#fff6f6}
"""

# Columns of a multi-label confusion matrix: one row per label.
MULTI_LABEL_COLUMNS = (
    "gold and predicted",
    "gold, not predicted",
    "predicted, not gold",
    "neither",
)


def _labels(labels, colour_of):
    return "".join(
        f'<span class="label c{colour_of[label]}" data-label="{attribute(label)}">'
        f"{cell(label)}</span>"
        for label in labels
    )


def _probabilities(probabilities):
    """Every label's probability, the highest first, each with a bar behind it."""
    ranked = sorted(probabilities.items(), key=lambda item: (-item[1], item[0]))
    return "".join(
        f'<span class="p" data-label="{attribute(label)}" data-p="{p!r}" '
        f'style="--p:{100 * p:.1f}%">'
        f"{cell(label)} {p:.4f}</span>"
        for label, p in ranked
    )


def _text_block(index, text, sections, classes="doc", source=None):
    where = f" ({cell(source)})" if source else ""
    rows = "".join(f'<div class="meta">{name}: {html}</div>' for name, html in sections)
    return (
        f'<div class="{classes}" id="t{index}"><div class="meta">#{index}{where}</div>'
        f'<div class="text">{cell(text)}</div>{rows}</div>'
    )


def prediction_page(records, labels, title="tf_ner predictions"):
    """The HTML page of predicted labels (`tf-ner predict --html`).

    Args:
        records: dicts `{"text", "label" (or "labels": [...]), "probabilities":
            {LABEL: p}}` (`TextClassifier.records`).
        labels: the model's labels (their colours, in this order).

    Returns:
        str, the page.
    """
    records = list(records)
    colour_of = colours(labels)
    predicted = [r["labels"] if "labels" in r else [r["label"]] for r in records]
    counts = collections.Counter(label for text in predicted for label in text)
    summary = f"<p>{len(records)} texts.</p>" + table(
        ["label", "texts predicted"], [[Markup(_labels([x], colour_of)), counts[x]] for x in labels]
    )
    docs = []
    for i, (record, labels_) in enumerate(zip(records, predicted, strict=True), start=1):
        sections = [
            ("predicted", _labels(labels_, colour_of)),
            ("probabilities", _probabilities(record["probabilities"])),
        ]
        docs.append(_text_block(i, record["text"], sections))
    body = Markup(summary + "\n<h2>Texts</h2>\n" + "\n".join(docs))
    return page(title, body, _STYLE + colour_style(len(labels)))


def confusion(gold, predicted, labels, multi_label):
    """The confusion matrix of label sets.

    Args:
        gold: per text, its gold labels (one unless `multi_label`).
        predicted: per text, its predicted labels.
        labels: all labels, in the order of the rows.
        multi_label: bool.

    Returns:
        int array: `[labels, labels]`, texts by gold label (row) and predicted label
        (column); multi-label `[labels, 4]`, texts per label in each of
        `MULTI_LABEL_COLUMNS`.
    """
    index = {label: i for i, label in enumerate(labels)}
    if not multi_label:
        matrix = np.zeros((len(labels), len(labels)), np.int64)
        for (g,), (p,) in zip(gold, predicted, strict=True):
            matrix[index[g], index[p]] += 1
        return matrix
    matrix = np.zeros((len(labels), len(MULTI_LABEL_COLUMNS)), np.int64)
    for g, p in zip(gold, predicted, strict=True):
        g, p = set(g), set(p)
        for label, i in index.items():
            column = (0 if label in p else 1) if label in g else (2 if label in p else 3)
            matrix[i, column] += 1
    return matrix


def font_for(names):
    """The family of an installed font that draws every character of `names`, or None.

    matplotlib's default font (DejaVu Sans) has no Chinese, and a name it cannot draw
    becomes a row of boxes; this looks for another installed font that covers them.
    matplotlib's own "Last Resort" font maps every character, to a box, so it does not
    count.
    """
    from matplotlib import font_manager, ft2font

    needed = {ord(c) for name in names for c in str(name) if not c.isspace()}
    default = font_manager.findfont(font_manager.FontProperties())
    entries = sorted(font_manager.fontManager.ttflist, key=lambda e: e.fname != default)
    for entry in entries:
        if entry.name.startswith("Last Resort"):
            continue
        try:
            covered = ft2font.FT2Font(entry.fname).get_charmap().keys()
        except (OSError, RuntimeError):  # a font file FreeType cannot read
            continue
        if needed <= covered:
            return entry.name
    return None


def confusion_png(matrix, rows, columns, xlabel, ylabel, family=None):
    """The confusion matrix as a PNG heat map with the counts written in: bytes.

    `family`: the font of the tick names (`font_for`); None for matplotlib's default.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    def plain(names):  # a `$` would start matplotlib's mathtext
        return [str(name).replace("$", r"\$") for name in names]

    font = {"family": family} if family else {}
    width = 2.5 + 0.55 * matrix.shape[1] + 0.06 * max(len(str(r)) for r in rows)
    figure, axis = pyplot.subplots(figsize=(width, 1.5 + 0.45 * matrix.shape[0]), dpi=100)
    axis.imshow(matrix, cmap="Blues", aspect="auto")
    axis.set_xticks(range(matrix.shape[1]), plain(columns), rotation=45, ha="right", **font)
    axis.set_yticks(range(matrix.shape[0]), plain(rows), **font)
    axis.set_xlabel(xlabel)
    axis.set_ylabel(ylabel)
    high = matrix.max() if matrix.size else 0
    for (i, j), count in np.ndenumerate(matrix):
        colour = "white" if high and count > high / 2 else "black"
        axis.text(j, i, str(count), ha="center", va="center", color=colour, fontsize=8)
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png")
    pyplot.close(figure)
    return buffer.getvalue()


def _drawn_names(labels, columns):
    """The labels and columns as the PNG names them, and whether the labels are numbered.

    With no installed font for the labels, the picture numbers them 1..K, and the
    page's table, which the browser draws with its own fonts, gives each number's label.
    """
    family = font_for([*labels, *columns])
    if family is not None:
        return labels, columns, family, False
    numbers = [str(k) for k in range(1, len(labels) + 1)]
    columns = numbers if list(columns) == list(labels) else columns
    return numbers, columns, font_for([*numbers, *columns]), True


def error_page(examples, probabilities, predicted, labels, multi_label, title="tf_ner errors"):
    """The HTML page of the misclassified texts (`tf-ner evaluate --errors`).

    On top the confusion matrix (`confusion`) as a table and as a PNG; then each text
    whose predicted labels differ from its gold ones, with both and the probabilities.

    Args:
        examples: the gold `TextExample`s.
        probabilities: `[texts, labels]` array (`ClassificationTask.probabilities`).
        predicted: per text, its predicted labels (`ClassificationTask.predicted`).
        labels: the model's labels, in the order of the probabilities' columns.
        multi_label: bool.

    Returns:
        str, the page.
    """
    examples, predicted = list(examples), [tuple(p) for p in predicted]
    if not len(examples) == len(predicted) == len(probabilities):
        raise ValueError(
            f"error_page: {len(examples)} examples, {len(predicted)} predictions and "
            f"{len(probabilities)} rows of probabilities; expected one of each per text"
        )
    gold = [e.labels for e in examples]
    matrix = confusion(gold, predicted, labels, multi_label)
    columns = MULTI_LABEL_COLUMNS if multi_label else labels
    axes = ("texts", "label") if multi_label else ("predicted", "gold")
    rows_drawn, columns_drawn, family, numbered = _drawn_names(labels, columns)
    drawn = confusion_png(matrix, rows_drawn, columns_drawn, *axes, family=family)
    png = base64.b64encode(drawn).decode("ascii")
    wrong = [i for i, (g, p) in enumerate(zip(gold, predicted, strict=True)) if set(g) != set(p)]
    colour_of = colours(labels)
    if multi_label:
        what = " (a text is misclassified when its predicted label set is not its gold one)"
        explained = "Per label, the texts by whether it is gold and whether it is predicted."
    else:
        what = ""
        explained = "Texts by gold label (rows) and predicted label (columns)."
    names = [f"{k}. {x}" for k, x in enumerate(labels, 1)] if numbered else labels
    rows = [[name, *row] for name, row in zip(names, matrix.tolist(), strict=True)]
    if numbered:
        explained += (
            " No installed font draws these labels, so the picture numbers them as the table does."
        )
    summary = (
        f"<p>{len(wrong)} of {len(examples)} texts misclassified{what}.</p>"
        f"<h2>Confusion matrix</h2><p>{explained}</p>"
        + table([axes[1], *columns], rows, classes="confusion")
        + f'<p><img alt="confusion matrix" src="data:image/png;base64,{png}"></p>'
    )
    docs = []
    for i in wrong:
        row = {label: round(float(p), 4) for label, p in zip(labels, probabilities[i], strict=True)}
        sections = [
            ("gold", _labels(gold[i], colour_of)),
            ("predicted", _labels(predicted[i], colour_of)),
            ("probabilities", _probabilities(row)),
        ]
        docs.append(_text_block(i + 1, examples[i].text, sections, "doc wrong", examples[i].source))
    body = Markup(summary + "\n<h2>Misclassified texts</h2>\n" + "\n".join(docs))
    return page(title, body, _STYLE + colour_style(len(labels)))


def write_prediction_page(task, records, path):
    """The labels and probabilities of `TextClassifier.records`, written to `path`."""
    write_page(path, prediction_page(records, task.settings.labels))


def write_error_page(task, model, tokenizer, examples, scores, path, batch_size=64):
    """The confusion matrix and the misclassified texts, written to `path`.

    `ClassificationTask.evaluate` keeps no prediction per text (its metrics run over the
    labelled batches), so this predicts the texts' probabilities once more.
    """
    s = task.settings
    examples = list(examples)
    probabilities = task.probabilities(model, tokenizer, task.texts(examples), batch_size)
    document = error_page(
        examples, probabilities, task.predicted(probabilities), s.labels, s.multi_label
    )
    write_page(path, document)
