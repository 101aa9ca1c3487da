import math

import numpy as np
import pytest
import tensorflow as tf

from tf_ner.bert.tokenization import Encoding
from tf_ner.tasks.ner import NerSettings, span_mask, span_scores

# "[CLS] 李 鹏 在 北京 [SEP]" with 北京 one token of two characters.
ENCODING = Encoding(
    ids=[2, 10, 11, 12, 13, 3],
    segment_ids=[0] * 6,
    offsets=[(0, 0), (0, 1), (1, 2), (2, 3), (3, 5), (0, 0)],
    tokens=["[CLS]", "李", "鹏", "在", "北京", "[SEP]"],
)


def test_global_pointer_scores_are_the_sigmoid_of_the_span_cell():
    settings = NerSettings(head="globalpointer", types=["LOC", "PER"])
    logits = np.full((2, 6, 6), -5.0)
    logits[1, 1, 2] = 2.0  # PER 李鹏: tokens 1..2
    logits[0, 4, 4] = 0.5  # LOC 北京: token 4
    spans = [(0, 2, "PER"), (3, 5, "LOC")]
    scores = span_scores(settings, logits, logits, ENCODING, spans)
    assert scores == pytest.approx([1 / (1 + math.exp(-2.0)), 1 / (1 + math.exp(-0.5))])


def test_tag_scores_average_the_decoded_tag_probability():
    settings = NerSettings(head="crf", types=["LOC", "PER"])  # tags O B-LOC I-LOC B-PER I-PER
    emissions = np.zeros((6, 5))
    emissions[1] = [0, 0, 0, math.log(3), 0]  # B-PER: 3 / 7
    emissions[2] = [0, 0, 0, 0, math.log(6)]  # I-PER: 6 / 10
    tags = np.array([0, 3, 4, 0, 1, 0])
    (score,) = span_scores(settings, tags, emissions, ENCODING, [(0, 2, "PER")])
    assert score == pytest.approx((3 / 7 + 6 / 10) / 2)
    softmax = NerSettings(head="softmax", types=["LOC", "PER"])
    (from_logits,) = span_scores(softmax, emissions, emissions, ENCODING, [(0, 2, "PER")])
    assert from_logits == pytest.approx(score)  # the argmax is the decoded tag here


def test_span_mask_leaves_out_cls_sep_and_padding():
    ids = tf.constant([[2, 7, 8, 3, 0, 0], [2, 7, 8, 9, 10, 3]])
    expected = [[0, 1, 1, 0, 0, 0], [0, 1, 1, 1, 1, 0]]
    np.testing.assert_array_equal(span_mask(ids).numpy(), np.array(expected, bool))
