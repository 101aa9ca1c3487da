from tf_ner.bert import Tokenizer
from tf_ner.bert.tokenization import SPECIAL_TOKENS
from tf_ner.bert.vocab import build_vocab, write_vocab

TEXTS = [
    "我爱北京天安门。",
    "John lives in New York, john!",
    "Johnny 2023年 visited York again; York.",
]


def test_every_character_has_a_token_and_frequent_words_are_whole(tmp_path):
    tokens = build_vocab(TEXTS, do_lower_case=True, min_word_count=2)
    assert tokens[: len(SPECIAL_TOKENS)] == list(SPECIAL_TOKENS)
    assert len(tokens) == len(set(tokens))
    write_vocab(tokens, tmp_path / "vocab.txt")
    tokenizer = Tokenizer(tmp_path / "vocab.txt", do_lower_case=True)
    for text in TEXTS + ["Yorkjohn 安北"]:
        encoding = tokenizer.tokenize(text)
        assert tokenizer.unk_id not in encoding.ids, encoding.tokens
    assert tokenizer.tokenize("john york").tokens == ["john", "york"]  # seen twice or more
    assert tokenizer.tokenize("lives").tokens == ["l", "##i", "##v", "##e", "##s"]  # seen once


def test_max_size_keeps_the_most_frequent(tmp_path):
    tokens = build_vocab(["aaa b", "a c"], do_lower_case=True, min_word_count=1, max_size=7)
    assert tokens == [*SPECIAL_TOKENS, "a", "##a"]  # a: 4 times, ##a: 3, b and c: once
