"""How much of a corpus a vocabulary covers: the characters it reads as [UNK].

A character the vocabulary lacks reaches the model as [UNK], the same input for every
such character: information lost without an error. `vocabulary_coverage` counts it,
and `tf-ner train` prints the count for the training data, so that a mismatch (an
encoder whose vocabulary has the full-width `，` and `！` of news text, fine-tuned on
reviews written with ASCII `,` and `!`) shows before training rather than never.
"""

import collections
import dataclasses


@dataclasses.dataclass
class Coverage:
    """What a vocabulary reads as [UNK] in a corpus.

    Attributes:
        texts: int, texts tokenised.
        tokens: int, tokens they make ([CLS]/[SEP] not counted).
        unknown_tokens: int, of those, [UNK].
        texts_with_unknown: int, texts with at least one [UNK].
        unknown: `collections.Counter` of the text each [UNK] stands for (a character,
            or a word longer than the tokenizer's limit), by occurrences.
    """

    texts: int = 0
    tokens: int = 0
    unknown_tokens: int = 0
    texts_with_unknown: int = 0
    unknown: collections.Counter = dataclasses.field(default_factory=collections.Counter)

    @property
    def unknown_fraction(self):
        """Fraction of the tokens that are [UNK] (0.0 without tokens)."""
        return self.unknown_tokens / self.tokens if self.tokens else 0.0

    def summary(self, name="data", most_common=8):
        """One line: the [UNK] share and the texts it stands for most often."""
        line = (
            f"{name}: {self.unknown_tokens:,} of {self.tokens:,} tokens "
            f"({self.unknown_fraction:.2%}) are [UNK], in {self.texts_with_unknown:,} of "
            f"{self.texts:,} texts"
        )
        if self.unknown:
            shown = ", ".join(f"{text!r} {count:,}" for text, count in
                              self.unknown.most_common(most_common))  # fmt: skip
            more = len(self.unknown) - most_common
            line += f"; most often for {shown}" + (f" and {more:,} more" if more > 0 else "")
        return line


def vocabulary_coverage(tokenizer, texts):
    """Counts the tokens of `texts` that `tokenizer`'s vocabulary reads as [UNK].

    Args:
        tokenizer: `tf_ner.bert.tokenization.Tokenizer`.
        texts: iterable of str.

    Returns:
        `Coverage`.
    """
    texts = list(texts)
    coverage = Coverage()
    for text, (tokens, offsets) in zip(texts, tokenizer.unknown_offsets(texts), strict=True):
        coverage.texts += 1
        coverage.tokens += tokens
        if offsets:
            coverage.texts_with_unknown += 1
            coverage.unknown_tokens += len(offsets)
            coverage.unknown.update(text[start:end] for start, end in offsets)
    return coverage
