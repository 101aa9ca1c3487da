"""A text and its class labels: the one representation of a classification example."""

from dataclasses import dataclass, field

from tf_ner.data.formats.errors import DatasetError
from tf_ner.ground.errors import InputError


def _problem(text, labels):
    """What is wrong with a text and its labels (a tuple), or None."""
    if not isinstance(text, str) or not text.strip():
        return f"the text is {text!r}; expected a non-empty string"
    if not labels:
        return "no label; expected at least one label per text"
    for label in labels:
        if not isinstance(label, str) or not label.strip():
            return f"label {label!r}: expected a non-empty string (labels {labels!r})"
    if len(set(labels)) != len(labels):
        return f"labels {labels!r} repeat a label; list each once"
    return None


def _as_tuple(labels):
    return (labels,) if isinstance(labels, str) else tuple(labels)


@dataclass(frozen=True)
class TextExample:
    """One text with one label, or several (multi-label).

    Args:
        text: str, the text; empty or whitespace-only texts are rejected.
        labels: a str (one label) or an iterable of str; stored as a tuple in the
            given order. Every label is a non-empty str, none repeated.
        source: optional `"file:line"` where the example was read, for messages.

    Raises:
        ValueError: an empty text, no label, a label that is not a non-empty str,
            or a repeated label; the message starts with `source`.

    Example:
    >>> TextExample("这家酒店很干净", "positive").labels
    ('positive',)
    """

    text: str
    labels: tuple = ()
    source: str | None = field(default=None, compare=False)

    def __post_init__(self):
        labels = _as_tuple(self.labels)
        problem = _problem(self.text, labels)
        if problem:
            raise InputError(f"{self.source}: {problem}" if self.source else problem)
        object.__setattr__(self, "labels", labels)


def read_example(path, line, text, labels):
    """A `TextExample` read at `path:line`, or a `DatasetError` naming that place.

    Args:
        path: str, the file.
        line: int, the 1-based line the record starts on.
        text: the record's text.
        labels: a str or an iterable of str.

    Returns:
        `TextExample` with `source="path:line"`.

    Raises:
        DatasetError: what `TextExample` rejects, as `"path:line: reason"`.
    """
    problem = _problem(text, _as_tuple(labels))
    if problem:
        raise DatasetError(path, line, problem)
    return TextExample(text, labels, source=f"{path}:{line}")


def label_counts(examples):
    """How many examples carry each label.

    Args:
        examples: iterable of `TextExample`; a multi-label example counts once
            for each of its labels.

    Returns:
        dict from label to count, sorted by label.
    """
    counts = {}
    for example in examples:
        for label in example.labels:
            counts[label] = counts.get(label, 0) + 1
    return dict(sorted(counts.items()))
