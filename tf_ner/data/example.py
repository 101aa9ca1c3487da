"""The one entity representation: character spans `(start, end, type)`, end exclusive."""

from dataclasses import dataclass, field

from tf_ner.ground.errors import InputError


@dataclass(frozen=True)
class Example:
    """A text and its entities as character spans.

    Args:
        text: str, the original text.
        entities: iterable of `(start, end, type)`: `text[start:end]` is the entity
            (end exclusive). Nested and overlapping spans are allowed. Stored sorted
            and de-duplicated as a tuple.
        source: optional `"file:line"` where the example starts, used in error messages.

    Raises:
        ValueError: a span outside the text, empty, or with a non-string type.
    """

    text: str
    entities: tuple = ()
    source: str | None = field(default=None, compare=False)

    def __post_init__(self):
        spans = []
        for span in self.entities:
            start, end, type_ = span
            if not (isinstance(start, int) and isinstance(end, int)):
                raise InputError(f"{self._where()}entity {span!r}: start and end must be ints")
            if not 0 <= start < end <= len(self.text):
                raise InputError(
                    f"{self._where()}entity {span!r} is outside the text of length "
                    f"{len(self.text)} (expected 0 <= start < end <= {len(self.text)})"
                )
            if not isinstance(type_, str) or not type_:
                raise InputError(f"{self._where()}entity {span!r}: type must be a non-empty str")
            spans.append((start, end, type_))
        object.__setattr__(self, "entities", tuple(sorted(set(spans))))

    def _where(self):
        return f"{self.source}: " if self.source else ""

    def entity_texts(self):
        """`[(text[start:end], type), ...]` in span order."""
        return [(self.text[s:e], t) for s, e, t in self.entities]
