"""Texts longer than the window: what they keep, counted, never silent.

Truncation (Sun et al., 2019, "How to Fine-Tune BERT for Text Classification", section
5.3): a text longer than the window keeps its `head` tokens, its `tail` tokens, or
`head_tokens` from the start and the rest from the end (`head+tail`; 128 + 382 was best
at 512 there). Every truncated text is counted in the `TruncationReport`.
"""

import dataclasses

import numpy as np

from tf_ner.ground.errors import SettingsError

TRUNCATIONS = ("head", "tail", "head+tail")


@dataclasses.dataclass
class TruncationReport:
    """How many texts were longer than the window, and how many tokens they lost."""

    texts: int = 0
    truncated: int = 0
    tokens_dropped: int = 0

    def summary(self):
        share = 100 * self.truncated / self.texts if self.texts else 0.0
        return (
            f"{self.truncated} of {self.texts} texts ({share:.1f}%) longer than the window, "
            f"truncated ({self.tokens_dropped} tokens left out)"
        )


def truncate(ids, capacity, mode, head_tokens):
    """The token ids a window keeps of a text (`mode` in `TRUNCATIONS`).

    Args:
        ids: list of int, the text's tokens (no [CLS]/[SEP]).
        capacity: int, tokens a window holds.
        mode: `"head"`, `"tail"` or `"head+tail"`.
        head_tokens: int, tokens kept from the start with `"head+tail"`.

    Returns:
        list of int, at most `capacity` long.
    """
    if len(ids) <= capacity:
        return list(ids)
    if mode == "head":
        return list(ids[:capacity])
    if mode == "tail":
        return list(ids[len(ids) - capacity :])
    head = min(head_tokens, capacity)
    return list(ids[:head]) + list(ids[len(ids) - (capacity - head) :])


def encode_texts(texts, tokenizer, max_length, truncation, head_tokens, report=None):
    """`[CLS] tokens [SEP]` ids of each text, truncated as `truncation` says (counted)."""
    if truncation not in TRUNCATIONS:
        raise SettingsError(f"truncation {truncation!r}: expected one of {', '.join(TRUNCATIONS)}")
    capacity = max_length - 2
    report = report if report is not None else TruncationReport()
    rows = []
    for encoding in tokenizer.tokenize_batch(list(texts)):
        kept = truncate(encoding.ids, capacity, truncation, head_tokens)
        report.texts += 1
        if len(kept) < len(encoding.ids):
            report.truncated += 1
            report.tokens_dropped += len(encoding.ids) - len(kept)
        rows.append(np.asarray([tokenizer.cls_id, *kept, tokenizer.sep_id], np.int32))
    return rows, report
