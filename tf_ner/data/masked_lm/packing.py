"""Tokenised texts -> full rows of `max_length` tokens (RoBERTa's FULL-SENTENCES packing).

The texts, each followed by [SEP], form one stream in corpus order; every row is
[CLS] and the next `max_length - 1` items of that stream:

    [CLS] a a a [SEP] b b b b [SEP] c c      <- c does not fit: split
    [CLS] c c c [SEP] d d [SEP] e e e e      <- the rest of c starts the next row

So every row but the last is full (no padding), no token is lost or repeated, and
a text longer than a row simply runs over several rows. Corner case of the rule: a
text whose last token fills a row has its [SEP] at the start of the next row
(`[CLS] [SEP] ...`), as in fairseq's token blocks. Segment ids are all 0: there is
no next-sentence prediction (Liu et al. 2019 found it does not help).

References:
    Liu et al. (2019), "RoBERTa: A Robustly Optimized BERT Pretraining Approach",
    section 4.2 (FULL-SENTENCES).
"""

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class PackedSequences:
    """Rows of packed texts.

    Attributes:
        ids: int32 `[rows, max_length]`, `[CLS] ... ` token ids, 0 ([PAD]) after the end.
        words: int32 `[rows, max_length]`, -1 at [CLS], [SEP] and padding; elsewhere
            the token's word, numbered 0, 1, 2, ... within the row in order, so
            that words of different texts (or rows) never share a number.
        lengths: int32 `[rows]`, positions in use (`max_length` but for the last row).
    """

    ids: np.ndarray
    words: np.ndarray
    lengths: np.ndarray

    def __len__(self):
        return len(self.ids)

    @property
    def max_length(self):
        return self.ids.shape[1]


def pack_sequences(tokenized, max_length, cls_id, sep_id):
    """Packs texts into full rows: `[CLS] text_a [SEP] text_b [SEP] ...`.

    Args:
        tokenized: list of `TokenizedText` (from `tokenize_corpus`); texts without
            tokens add nothing (not even a [SEP]).
        max_length: int >= 3, positions of a row including [CLS].
        cls_id: int, the [CLS] id.
        sep_id: int, the [SEP] id.

    Returns:
        `PackedSequences`; zero rows for an empty list.

    Raises:
        ValueError: `max_length` < 3 (a row must hold [CLS], a token and [SEP]).
    """
    if not isinstance(max_length, int | np.integer) or max_length < 3:
        raise ValueError(f"max_length={max_length!r}: expected an int >= 3 ([CLS], a token, [SEP])")
    tokenized = [t for t in tokenized if len(t)]
    counts = np.array([len(t) for t in tokenized], dtype=np.int64)
    size = int(counts.sum()) + len(tokenized)  # tokens and one [SEP] per text
    width = max_length - 1
    rows = -(-size // width)
    stream_ids = np.zeros(rows * width, dtype=np.int32)  # padded with [PAD] = 0
    stream_words = np.full(rows * width, -1, dtype=np.int64)
    if tokenized:
        seps = np.cumsum(counts + 1) - 1
        is_token = np.ones(size, dtype=bool)
        is_token[seps] = False
        stream_ids[seps] = sep_id
        stream_ids[:size][is_token] = np.concatenate([t.ids for t in tokenized])
        stream_words[:size][is_token] = _corpus_words(tokenized, counts)
    ids = np.concatenate(
        [np.full((rows, 1), cls_id, dtype=np.int32), stream_ids.reshape(rows, width)], axis=1
    )
    words = stream_words.reshape(rows, width)
    # Renumber from 0 in each row: corpus word numbers grow along the stream.
    real = words >= 0
    row_first = np.where(real, words, np.iinfo(np.int64).max).min(axis=1, keepdims=True)
    words = np.where(real, words - row_first, -1)
    words = np.concatenate([np.full((rows, 1), -1), words], axis=1).astype(np.int32)
    lengths = np.full(rows, max_length, dtype=np.int32)
    if rows:
        lengths[-1] = 1 + size - (rows - 1) * width
    return PackedSequences(ids, words, lengths)


def _corpus_words(tokenized, counts):
    """int64 `[tokens]`: each token's word numbered across the corpus (0, 1, 2, ...)."""
    words = np.concatenate([t.words for t in tokenized]).astype(np.int64)
    new_word = np.ones(len(words), dtype=bool)
    new_word[1:] = words[1:] != words[:-1]
    new_word[np.cumsum(counts)[:-1]] = True  # a text's first word is always new
    return np.cumsum(new_word) - 1
