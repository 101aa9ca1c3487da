"""What encoding a corpus into labels kept and lost: `EncodingReport`.

An entity the labels cannot hold is never dropped silently: it is recorded here with
its example's source and a reason, and `make_dataset` logs the summary.
"""

import collections
import dataclasses

from tf_ner.ground.errors import InputError

EDGE_INSIDE_TOKEN = "edge inside a token"
EDGE_INSIDE_WORD = "edge inside a word"
EDGE_UNCOVERED = "edge on a character no token covers"
OVERLAPS = "overlaps another entity (tag heads hold flat entities only)"
LONGER_THAN_WINDOW = "longer than a window"


@dataclasses.dataclass(frozen=True)
class Unrepresentable:
    """An entity the labels cannot hold.

    Attributes:
        source: str, where the example comes from (`"file:line"`, or `"example 12"`).
        entity: `(start, end, type)` character span.
        reason: str, one of the module's reason constants (`EDGE_INSIDE_TOKEN`, ...).
        detail: str, what exactly is in the way, for a person to read.
    """

    source: str
    entity: tuple
    reason: str
    detail: str

    def __str__(self):
        return f"{self.source}: entity {self.entity!r}: {self.reason} ({self.detail})"


class UnrepresentableEntityError(InputError):
    """`encode` met entities its labels cannot hold and no report was given to list them."""


@dataclasses.dataclass
class EncodingReport:
    """What encoding a corpus kept and lost.

    Attributes:
        examples: int, examples encoded.
        entities: int, entities in those examples.
        encoded: int, entities held whole by the labels of at least one window.
        windows: int, label rows made (one per window; a short text is one window).
        split_texts: int, texts longer than one window.
        unrepresentable: list of `Unrepresentable`.
    """

    examples: int = 0
    entities: int = 0
    encoded: int = 0
    windows: int = 0
    split_texts: int = 0
    unrepresentable: list = dataclasses.field(default_factory=list)

    def add(self, source, entity, reason, detail=""):
        """Records one entity the labels cannot hold."""
        self.unrepresentable.append(Unrepresentable(source, tuple(entity), reason, detail))

    def counts(self):
        """`collections.Counter` of unrepresentable entities by reason."""
        return collections.Counter(u.reason for u in self.unrepresentable)

    @property
    def lost_fraction(self):
        """Fraction of entities that no label holds (0.0 for an empty corpus)."""
        return len(self.unrepresentable) / self.entities if self.entities else 0.0

    def summary(self, limit=10):
        """A few lines for a log: totals, losses by reason, the first `limit` losses."""
        lines = [
            f"encoded {self.examples} examples into {self.windows} windows "
            f"({self.split_texts} texts split); {self.encoded} of {self.entities} entities "
            f"labelled, {len(self.unrepresentable)} unrepresentable "
            f"({100 * self.lost_fraction:.2f}% round-trip loss)"
        ]
        for reason, count in sorted(self.counts().items()):
            lines.append(f"  {count} x {reason}")
        for item in self.unrepresentable[:limit]:
            lines.append(f"  {item}")
        if len(self.unrepresentable) > limit:
            lines.append(f"  ... and {len(self.unrepresentable) - limit} more")
        return "\n".join(lines)

    def __str__(self):
        return self.summary()
