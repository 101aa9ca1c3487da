"""Chinese word segmentation for whole-word masking, with jieba.

Chinese BERT's vocabulary holds single characters, so a Chinese "word" of WordPieces
is one character; whole-word masking over real words needs a segmenter. Cui et al.
(2019) used LTP; jieba is the segmenter installed with tf_ner and is imported only
here, on first use.
"""

import logging
import re

# The CJK ideograph blocks of Google's `tokenization._is_chinese_char`: the characters
# BERT's tokenizer splits one per token.
_CHINESE = re.compile(
    "[\u4e00-\u9fff\u3400-\u4dbf\U00020000-\U0002a6df\U0002a700-\U0002b73f"
    "\U0002b740-\U0002b81f\U0002b820-\U0002ceaf\uf900-\ufaff\U0002f800-\U0002fa1f]"
)


def has_chinese(text):
    """True when `text` holds at least one CJK ideograph."""
    return _CHINESE.search(text) is not None


def word_lengths(text):
    """The lengths in characters of jieba's words of `text`, in order (they sum to it).

    jieba's default mode (dictionary and HMM for unknown words); white space, Latin
    words and punctuation are words of their own.

    Args:
        text: str.

    Returns:
        list of int, summing to `len(text)`.

    Raises:
        RuntimeError: jieba's words do not add up to the text (a jieba that drops
            characters; whole-word masking would then be misaligned).
    """
    words = _jieba().lcut(text)
    lengths = [len(w) for w in words]
    if sum(lengths) != len(text):
        raise RuntimeError(
            f"jieba's words of {text[:40]!r} hold {sum(lengths)} characters, the text "
            f"{len(text)}; expected a segmentation that keeps every character"
        )
    return lengths


def _jieba():
    import jieba

    if not getattr(jieba.dt, "initialized", False):
        jieba.setLogLevel(logging.WARNING)  # quiet "Building prefix dict ..." on stderr
        jieba.initialize()
    return jieba
