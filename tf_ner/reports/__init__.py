"""Reports: HTML pages of what a task's model predicts, and of its errors.

Above the tasks they show: a page reads a task's settings and predictions (and may
ask the task to predict); no task knows its pages. `tf-ner predict --html` and
`tf-ner evaluate --errors` write them through `write_page`.

- `html`: what the pages share (the page, escaping, colours, tables).
- `ner.pages`, `ner.errors`: entities marked in their texts; errors in categories.
- `classification.pages`: labels and probabilities; the confusion matrix.
"""

import importlib

from tf_ner.ground.errors import SettingsError

# The module of each task's pages: `write_prediction_page(task, records, path)` and
# `write_error_page(task, model, tokenizer, examples, scores, path, batch_size)`.
PAGES = {
    "ner": "tf_ner.reports.ner.pages",
    "classification": "tf_ner.reports.classification.pages",
}
KINDS = {"predictions": "write_prediction_page", "errors": "write_error_page"}


def page_writer(task, kind, flag):
    """The function that writes the `kind` page (`"predictions"`, `"errors"`) of `task`.

    Raises:
        SettingsError: the task has no pages, named with the flag that asked for one.
    """
    if task.name not in PAGES:
        raise SettingsError(f"{flag}: the {task.name} task has no page of {kind}")
    return getattr(importlib.import_module(PAGES[task.name]), KINDS[kind])
