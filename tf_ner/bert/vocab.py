"""A WordPiece vocabulary built from training texts, for encoders trained from scratch."""

import collections
import pathlib

from tokenizers import normalizers, pre_tokenizers

from tf_ner.bert.tokenization import SPECIAL_TOKENS


def build_vocab(texts, do_lower_case=True, min_word_count=3, max_size=None):
    """Builds a vocabulary under which every character of `texts` has a token.

    Words are split as the tokenizer splits them (Chinese characters one per word,
    punctuation apart). Every character gets a token, and characters of longer words
    also a `##` continuation token, so no word of these characters becomes [UNK];
    words seen at least `min_word_count` times also get a whole-word token.

    Args:
        texts: iterable of str.
        do_lower_case: bool, as the tokenizer will be built.
        min_word_count: int, minimum count for a whole-word token.
        max_size: optional int, keep at most this many tokens: the characters by
            frequency, then the whole words by frequency.

    Returns:
        A list of tokens, the special tokens first.
    """
    normalizer = normalizers.BertNormalizer(
        clean_text=True,
        handle_chinese_chars=True,
        strip_accents=do_lower_case,
        lowercase=do_lower_case,
    )
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    pieces, words = collections.Counter(), collections.Counter()
    for text in texts:
        for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text)):
            if len(word) == 1:
                pieces[word] += 1
                continue
            # Both forms of each character, so any spelling of these characters splits.
            pieces.update(word)
            pieces.update("##" + c for c in word)
            words[word] += 1
    ranked = sorted(pieces.items(), key=lambda item: (-item[1], item[0]))
    ranked += sorted(
        ((w, n) for w, n in words.items() if n >= min_word_count),
        key=lambda item: (-item[1], item[0]),
    )
    tokens = list(SPECIAL_TOKENS) + [t for t, _ in ranked if t not in SPECIAL_TOKENS]
    return tokens[:max_size] if max_size else tokens


def write_vocab(tokens, path):
    """Writes one token per line (the line number is the id)."""
    pathlib.Path(path).write_text("\n".join(tokens) + "\n", encoding="utf-8")
