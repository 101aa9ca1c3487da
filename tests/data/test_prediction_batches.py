"""Raw texts in batches of windows of about one length, and outputs back to spans."""

import numpy as np
import pytest

from tests.data.test_pipeline import TYPES, _corpus, _pad
from tests.data.tiny_vocab import write_tiny_vocab
from tf_ner.bert.tokenization import Tokenizer
from tf_ner.data.encoding import SpanLabeler, TagLabeler
from tf_ner.data.prediction_batches import make_prediction_batches


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    return Tokenizer(write_tiny_vocab(tmp_path_factory.mktemp("vocab")))


@pytest.mark.parametrize("head", ["globalpointer", "crf"])
def test_prediction_batches_map_outputs_back_to_each_text(tokenizer, head):
    examples = _corpus(25, seed=9, nested=head == "globalpointer", max_chars=120)
    texts = [e.text for e in examples]
    batches = make_prediction_batches(texts, tokenizer, max_length=32, stride=8, batch_size=4)
    labeler = SpanLabeler(TYPES) if head == "globalpointer" else TagLabeler(TYPES)
    row = 0
    outputs = []
    for features in batches.dataset:
        ids = features["token_ids"].numpy()
        assert set(features) == {"token_ids", "segment_ids"}
        perfect, widths = [], []
        for _ in range(ids.shape[0]):  # what a perfect model would output for each row
            t, w = batches.rows[row]
            encoding = batches.encoding(t, w)
            widths.append(len(encoding.ids))
            assert list(ids[len(perfect)]) == encoding.ids + [0] * (ids.shape[1] - widths[-1])
            labels = labeler.encode(examples[t], encoding, window=batches.windows[t][w])
            perfect.append(labels)
            row += 1
        # each batch is padded to its longest window only
        assert ids.shape[1] == max(widths)
        outputs.append(_pad(perfect, ids.shape[1]))
    assert row == len(batches.rows) > len(texts)
    lengths = [len(batches.encoding(t, w).ids) for t, w in batches.rows]
    assert lengths == sorted(lengths), "windows are batched by length"
    decoded = batches.decode(outputs, labeler)
    # prediction windows recover entities of up to stride + 1 tokens (all of them here)
    assert decoded == [list(e.entities) for e in examples]
    with pytest.raises(ValueError, match=r"outputs hold \d+ rows but the dataset has"):
        batches.decode(outputs[:-1], labeler)


def test_prediction_batches_pad_to_the_buckets_given(tokenizer):
    texts = [e.text for e in _corpus(40, seed=9, nested=False, max_chars=40)]
    plain = make_prediction_batches(texts, tokenizer, max_length=32, stride=8, batch_size=4)
    bucketed = make_prediction_batches(
        texts, tokenizer, max_length=32, stride=8, batch_size=4, buckets=(16, 24, 32)
    )
    assert bucketed.rows == plain.rows
    lengths = set()
    for short, padded in zip(plain, bucketed, strict=True):
        width = short["token_ids"].shape[1]
        lengths.add(width)
        assert padded["token_ids"].shape[1] == min(b for b in (16, 24, 32) if b >= width)
        np.testing.assert_array_equal(padded["token_ids"][:, :width], short["token_ids"])
        assert not padded["token_ids"][:, width:].any()
    assert not lengths <= {16, 24, 32}, "without buckets, batches take other lengths"
    with pytest.raises(ValueError, match="batch_size=0"):
        make_prediction_batches(texts, tokenizer, batch_size=0)
