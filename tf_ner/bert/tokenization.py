"""WordPiece tokenizer with character offsets into the original text.

Built on the `tokenizers` library with the same pipeline as Hugging Face's
`BertTokenizerFast` (clean text, Chinese characters split one per token, optional
lower-casing with accent stripping, punctuation split, WordPiece), so the ids are the
same; offsets point into the text exactly as the user passed it. One step is ours,
off by default: punctuation absent from the vocabulary read as its full-width or
half-width twin when the twin is in it (`fold_width`).
"""

import dataclasses
import pathlib
import unicodedata

import tokenizers
from tokenizers import normalizers, pre_tokenizers

from tf_ner.ground.errors import InputError, MissingFileError

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")

# Full-width forms U+FF01-FF5E are the ASCII characters U+0021-007E shifted by this.
FULL_WIDTH_SHIFT = 0xFEE0


class TextTooLongError(InputError):
    """A text needs more tokens than allowed; split it into windows instead."""


@dataclasses.dataclass(frozen=True)
class Encoding:
    """A tokenised text.

    Attributes:
        ids: list of int token ids.
        segment_ids: list of int segment (token type) ids, same length.
        offsets: list of `(start, end)` character offsets into the original text, end
            exclusive; `(0, 0)` for [CLS], [SEP] and other added tokens.
        tokens: list of str tokens.
    """

    ids: list
    segment_ids: list
    offsets: list
    tokens: list

    def __len__(self):
        return len(self.ids)


def read_vocab(vocab_file):
    """Reads `vocab.txt` (one token per line; the line number is the id).

    Raises:
        FileNotFoundError: no file at `vocab_file`.
        ValueError: a duplicated token or a missing special token (names the line).
    """
    path = pathlib.Path(vocab_file)
    if not path.is_file():
        raise MissingFileError(f"vocabulary not found: {path} (expected vocab.txt)")
    vocab = {}
    with path.open(encoding="utf-8") as f:
        for line_number, line in enumerate(f, start=1):
            token = line.rstrip("\r\n")
            if token in vocab:
                raise InputError(
                    f"{path}:{line_number}: token {token!r} already defined at line "
                    f"{vocab[token] + 1}; each token must appear once"
                )
            vocab[token] = line_number - 1
    missing = [t for t in ("[UNK]", "[CLS]", "[SEP]") if t not in vocab]
    if missing:
        raise InputError(f"{path}: special token(s) {missing} missing from the vocabulary")
    return vocab


def width_twins(vocab):
    """The punctuation to read as its width twin: `{absent: present}`.

    A pair is an ASCII punctuation mark and its full-width form (',' and '，', '!' and
    '！'); whichever of the two the vocabulary lacks maps to the one it holds. Only
    pairs whose full-width form is Unicode punctuation count, so that both sides split
    off as one token alike ('～' and '＋' are symbols, which BERT does not split).
    Chinese text mixes both widths, and a vocabulary built from one kind of text often
    holds only one: without this, every ',' of a review is [UNK] to an encoder
    pre-trained on newspaper text.
    """
    twins = {}
    for code in range(0x21, 0x7F):
        half, full = chr(code), chr(code + FULL_WIDTH_SHIFT)
        if half.isalnum() or not unicodedata.category(full).startswith("P"):
            continue
        if half in vocab and full not in vocab:
            twins[full] = half
        elif full in vocab and half not in vocab:
            twins[half] = full
    return twins


def infer_do_lower_case(vocab):
    """True when no ordinary vocabulary entry holds an ASCII capital (an uncased model).

    Only A-Z count: uncased vocabularies keep symbols such as 'ℝ'.
    """
    return not any(
        any("A" <= c <= "Z" for c in token)
        for token in vocab
        if not (token.startswith("[") and token.endswith("]"))
    )


class Tokenizer:
    """BERT WordPiece tokenizer returning ids and character offsets.

    Args:
        vocab_file: path to `vocab.txt`.
        do_lower_case: bool or None. Lower-case and strip accents (uncased models and
            Chinese BERT). None infers it from the vocabulary: uncased when no entry
            holds an upper-case letter.
        max_chars_per_word: int, longer words become one [UNK] (as in Google's code).
        fold_width: bool, read punctuation absent from the vocabulary as its full-width
            or half-width twin when the twin is in it (`width_twins`); False (the
            default) gives exactly Hugging Face's and Google's ids (such characters
            become [UNK]).

    Example:
    >>> tokenizer = Tokenizer("checkpoints/chinese_L-12_H-768_A-12/vocab.txt")  # doctest: +SKIP
    >>> encoding = tokenizer.encode("我爱北京")  # doctest: +SKIP
    >>> encoding.offsets  # doctest: +SKIP
    [(0, 0), (0, 1), (1, 2), (2, 3), (3, 4), (0, 0)]
    """

    def __init__(self, vocab_file, do_lower_case=None, max_chars_per_word=100, fold_width=False):
        self.vocab_file = str(vocab_file)
        self.vocab = read_vocab(vocab_file)
        if do_lower_case is None:
            do_lower_case = infer_do_lower_case(self.vocab)
        self.do_lower_case = bool(do_lower_case)
        self.fold_width = bool(fold_width)
        self._id_to_token = {i: t for t, i in self.vocab.items()}
        model = tokenizers.models.WordPiece(
            self.vocab, unk_token="[UNK]", max_input_chars_per_word=max_chars_per_word
        )
        self._backend = tokenizers.Tokenizer(model)
        bert = normalizers.BertNormalizer(
            clean_text=True,
            handle_chinese_chars=True,
            strip_accents=self.do_lower_case,
            lowercase=self.do_lower_case,
        )
        twins = width_twins(self.vocab) if self.fold_width else {}
        self._backend.normalizer = (
            normalizers.Sequence([bert, *(normalizers.Replace(a, b) for a, b in twins.items())])
            if twins
            else bert
        )
        self._backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        self._backend.add_special_tokens([t for t in SPECIAL_TOKENS if t in self.vocab])

    @property
    def vocab_size(self):
        return len(self.vocab)

    @property
    def pad_id(self):
        return self.vocab.get("[PAD]", 0)

    @property
    def cls_id(self):
        return self.vocab["[CLS]"]

    @property
    def sep_id(self):
        return self.vocab["[SEP]"]

    @property
    def unk_id(self):
        return self.vocab["[UNK]"]

    def token_to_id(self, token):
        return self.vocab.get(token, self.unk_id)

    def id_to_token(self, token_id):
        return self._id_to_token[token_id]

    def tokenize(self, text):
        """Tokenises `text` without [CLS]/[SEP]; segment ids are all 0.

        Returns:
            `Encoding`.
        """
        return _to_encoding(text, self._backend.encode(text, add_special_tokens=False))

    def tokenize_batch(self, texts):
        """`tokenize` for many texts at once (parallel in the Rust backend)."""
        texts = list(texts)
        encoded = self._backend.encode_batch(texts, add_special_tokens=False)
        return [_to_encoding(t, e) for t, e in zip(texts, encoded, strict=True)]

    def unknown_offsets(self, texts):
        """What `tokenize_batch` would read as [UNK], without building every `Encoding`
        (a quarter of the time on a whole corpus: most texts have no [UNK]).

        Yields:
            per text, `(tokens, offsets)`: its number of tokens and the character
            offsets of its [UNK] tokens, as `tokenize` gives them.
        """
        texts = list(texts)
        unk = self.unk_id
        encoded = self._backend.encode_batch(texts, add_special_tokens=False)
        for text, encoding in zip(texts, encoded, strict=True):
            ids = encoding.ids
            if unk not in ids:
                yield len(ids), []
                continue
            offsets = _cover_dropped_characters(text, [tuple(o) for o in encoding.offsets])
            yield len(ids), [o for i, o in zip(ids, offsets, strict=True) if i == unk]

    def encode(self, text, pair=None, max_length=None):
        """Tokenises `text` (and optionally `pair`) as `[CLS] text [SEP] (pair [SEP])`.

        Args:
            text: str.
            pair: optional second str (segment id 1), for sentence-pair tasks.
            max_length: optional int; a longer result raises instead of truncating.

        Returns:
            `Encoding`; offsets of `pair` tokens point into `pair`.

        Raises:
            TextTooLongError: more than `max_length` tokens.
        """
        first = self.tokenize(text)
        return self.with_special_tokens(
            first, self.tokenize(pair) if pair is not None else None, max_length
        )

    def with_special_tokens(self, first, second=None, max_length=None):
        """Wraps tokenised pieces as `[CLS] first [SEP] (second [SEP])`.

        Raises:
            TextTooLongError: more than `max_length` tokens.
        """
        needed = len(first) + 2 + (0 if second is None else len(second) + 1)
        if max_length is not None and needed > max_length:
            raise TextTooLongError(
                f"text needs {needed} tokens with [CLS]/[SEP], more than max_length="
                f"{max_length}; split it into windows (tf_ner.data.split_windows) or raise "
                f"max_length"
            )
        ids = [self.cls_id, *first.ids, self.sep_id]
        segment_ids = [0] * (len(first) + 2)
        offsets = [(0, 0), *first.offsets, (0, 0)]
        tokens = ["[CLS]", *first.tokens, "[SEP]"]
        if second is not None:
            ids += [*second.ids, self.sep_id]
            segment_ids += [1] * (len(second) + 1)
            offsets += [*second.offsets, (0, 0)]
            tokens += [*second.tokens, "[SEP]"]
        return Encoding(ids=ids, segment_ids=segment_ids, offsets=offsets, tokens=tokens)


def check_tokenizer(tokenizer):
    """Raises InputError unless the tokenizer's [PAD] is id 0: batches pad with 0, and
    the heads mask `token_ids != 0`."""
    if tokenizer.pad_id != 0 or tokenizer.id_to_token(0) != "[PAD]":
        raise InputError(
            f"{tokenizer.vocab_file}: [PAD] must be id 0 (the first line of vocab.txt), "
            f"got id 0 = {tokenizer.id_to_token(0)!r}; the heads mask token_ids != 0"
        )


def _to_encoding(text, encoded):
    return Encoding(
        ids=list(encoded.ids),
        segment_ids=[0] * len(encoded.ids),
        offsets=_cover_dropped_characters(text, [tuple(o) for o in encoded.offsets]),
        tokens=list(encoded.tokens),
    )


def _cover_dropped_characters(text, offsets):
    """Extends offsets over characters the normaliser dropped inside a word.

    Combining accents (stripped when lower-casing) and control characters leave no
    token of their own; each such run joins the token it touches in the same
    whitespace-free run (the one before it, else the one after), so that every
    visible character of a word belongs to exactly one token. A run that touches
    no token (a lone control character between spaces) stays uncovered.
    """
    covered = bytearray(len(text))
    for start, end in offsets:
        covered[start:end] = b"\x01" * (end - start)
    position = covered.find(0)  # jump from one uncovered character to the next
    if position < 0:
        return offsets
    ending_at = {end: i for i, (start, end) in enumerate(offsets) if end > start}
    starting_at = {start: i for i, (start, end) in enumerate(offsets) if end > start}
    offsets = list(offsets)
    while position >= 0:
        if text[position].isspace():
            position = covered.find(0, position + 1)
            continue
        run_end = position
        while run_end < len(text) and not covered[run_end] and not text[run_end].isspace():
            run_end += 1
        if position in ending_at:
            i = ending_at[position]
            offsets[i] = (offsets[i][0], run_end)
        elif run_end in starting_at:
            i = starting_at[run_end]
            offsets[i] = (position, offsets[i][1])
        position = covered.find(0, run_end)
    return offsets
