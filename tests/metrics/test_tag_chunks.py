import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st

from tf_ner.data.tags import SCHEMES, tag_vocabulary, tags_to_spans
from tf_ner.metrics.tag_chunks import (
    BEGIN,
    END,
    INSIDE,
    OUTSIDE,
    SINGLE,
    chunks,
    compact,
    tag_table,
)


def test_tag_table_reads_m_as_i_and_numbers_types_in_order():
    prefixes, types, outside = tag_table(tag_vocabulary(["X", "Y"], "BMES"), "bmes")
    # O B-X M-X E-X S-X B-Y M-Y E-Y S-Y
    assert prefixes.tolist() == [OUTSIDE] + [BEGIN, INSIDE, END, SINGLE] * 2
    assert types.tolist() == [-1, 0, 0, 0, 0, 1, 1, 1, 1] and outside == 0
    _, _, outside = tag_table(["B-X", "O", "I-X"], "IOB2")
    assert outside == 1


def test_compact_moves_kept_positions_left_and_fills():
    values = tf.constant([[1, 2, 3, 4], [5, 6, 7, 8]])
    keep = tf.constant([[False, True, False, True], [True, True, True, True]])
    (compacted,) = compact([values], keep, [0])
    assert compacted.numpy().tolist() == [[2, 4, 0, 0], [5, 6, 7, 8]]


@settings(max_examples=60, deadline=None)
@given(
    scheme=st.sampled_from(SCHEMES),
    rows=st.lists(st.lists(st.integers(0, 8), min_size=1, max_size=9), min_size=1, max_size=4),
)
def test_chunks_are_the_spans_of_tags_to_spans(scheme, rows):
    """Any id sequences (valid or not), padded with O: starts and ends as seqeval reads."""
    tags = tag_vocabulary(["A", "B"], scheme)
    length = max(len(row) for row in rows)
    ids = np.zeros((len(rows), length), "int32")
    for i, row in enumerate(rows):
        ids[i, : len(row)] = [value % len(tags) for value in row]
    prefixes, types, _ = tag_table(tags, scheme)
    starts, ends = chunks(tf.constant(prefixes[ids]), tf.constant(types[ids]))
    found = {
        (i, start, int(ends[i, start]), tags[ids[i, start]].partition("-")[2])
        for i, start in zip(*np.nonzero(starts.numpy()), strict=True)
    }
    expected = {
        (i, *span)
        for i, row in enumerate(ids)
        for span in tags_to_spans([tags[t] for t in row], scheme, repair=True)
    }
    assert found == expected


def test_tag_table_rejects_duplicates():
    with pytest.raises(ValueError, match=r"distinct tags holding 'O'"):
        tag_table(["O", "B-X", "B-X"], "BIO")
