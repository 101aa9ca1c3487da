import numpy as np

from tf_ner.ground.span_cells import span_cells


def test_span_cells_are_the_cells_above_the_threshold_with_first_before_last():
    logits = np.full((2, 3, 3), -1.0)
    logits[0, 0, 1] = 0.5  # type 0, tokens 0..1
    logits[1, 2, 2] = 2.0  # type 1, token 2
    logits[1, 2, 0] = 3.0  # last < first: never a span
    assert span_cells(logits).tolist() == [[0, 0, 1], [1, 2, 2]]
    assert span_cells(logits, threshold=1.0).tolist() == [[1, 2, 2]]
