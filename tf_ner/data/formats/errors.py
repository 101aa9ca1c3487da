"""The one exception the dataset readers raise, and the report of a read."""

from dataclasses import dataclass, field

from tf_ner.ground.errors import InputError


class DatasetError(InputError):
    """A dataset file that cannot be read as the format says.

    The message is `"<path>:<line>: <what was expected and what was found>"`.

    Args:
        path: str or path-like, the file.
        line: int or None, the 1-based line number (None for the file as a whole).
        message: str, what was expected and what was found.

    Attributes:
        path: str, the file.
        line: int or None, the 1-based line number.
        reason: str, the message without the location.
    """

    def __init__(self, path, line, message):
        self.path = str(path)
        self.line = line
        self.reason = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


@dataclass
class DatasetInfo:
    """What `read_dataset(..., return_info=True)` reports beside the examples.

    Attributes:
        path: str, the file read.
        format: str, the format it was read as (resolved: e.g. `"conll_iob1"`,
            never `"auto"` or plain `"conll"`).
        detected: bool, True when `format` was chosen by auto-detection.
        repairs: list of `(line, reason)`, one per violation of the tag scheme
            that was repaired as seqeval reads it (`repair=True` only; see
            `tf_ner.data.tags.SpanList`).
        duplicates: int, entities listed more than once in a record (same start,
            end and type); each is kept once.
    """

    path: str
    format: str
    detected: bool = False
    repairs: list = field(default_factory=list)
    duplicates: int = 0

    @property
    def repair_count(self):
        """int, the number of repaired tags."""
        return len(self.repairs)
