"""The characters a vocabulary reads as [UNK], counted by hand."""

import collections

from tests.data.tiny_vocab import write_tiny_vocab
from tf_ner.bert.tokenization import Tokenizer
from tf_ner.data.coverage import vocabulary_coverage


def test_coverage_counts_each_unknown_character_by_the_text_it_stands_for(tmp_path):
    tokenizer = Tokenizer(write_tiny_vocab(tmp_path))
    texts = [
        "我爱北京!",  # 5 tokens, all known
        "我爱北京！，好?",  # full-width ！ and ， and 好 and ? unknown: 8 tokens, 4 [UNK]
        "上海，上海",  # 5 tokens, one ，
        "",
    ]
    coverage = vocabulary_coverage(tokenizer, texts)
    assert (coverage.texts, coverage.tokens) == (4, 18)
    assert (coverage.unknown_tokens, coverage.texts_with_unknown) == (5, 2)
    assert coverage.unknown == collections.Counter({"，": 2, "！": 1, "好": 1, "?": 1})
    assert coverage.unknown_fraction == 5 / 18
    line = coverage.summary("train", most_common=2)
    assert line == (
        "train: 5 of 18 tokens (27.78%) are [UNK], in 2 of 4 texts; most often for "
        "'，' 2, '！' 1 and 2 more"
    )
    # Read as their twins ('!' and ',' are in the vocabulary), ！ and ， are known.
    folded = vocabulary_coverage(Tokenizer(write_tiny_vocab(tmp_path), fold_width=True), texts)
    assert folded.unknown == collections.Counter({"好": 1, "?": 1})
    known = vocabulary_coverage(tokenizer, ["我爱北京"])
    assert known.summary("dev") == "dev: 0 of 4 tokens (0.00%) are [UNK], in 0 of 1 texts"
