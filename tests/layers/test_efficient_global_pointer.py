import numpy as np
import pytest

from tests.layer_harness import run_layer_test
from tests.layers.reference import efficient_global_pointer_numpy, valid_cells
from tf_ner.ground.masking import large_negative
from tf_ner.layers import EfficientGlobalPointer, GlobalPointer
from tf_ner.losses import global_pointer_loss

HIDDEN = np.random.default_rng(0).normal(size=(2, 6, 16)).astype("float32")
MASK = np.array([[0, 1, 1, 1, 0, 0], [0, 1, 1, 1, 1, 0]], "int32")


def test_layer_harness(tmp_path):
    run_layer_test(
        EfficientGlobalPointer,
        {"num_types": 3, "head_size": 8},
        HIDDEN,
        call_kwargs={"mask": MASK},
        tmp_path=tmp_path,
        expected_output_shape=(2, 3, 6, 6),
        expected_output_dtype="float32",
        expected_num_trainable_weights=4,
        # 2*D*d + 2d  +  2d * 2*types + 2*types
        expected_num_params=2 * 16 * 8 + 2 * 8 + 2 * 8 * 2 * 3 + 2 * 3,
        training_loss=global_pointer_loss,
    )


def test_fewer_parameters_than_global_pointer():
    efficient = EfficientGlobalPointer(9, head_size=64)
    plain = GlobalPointer(9, head_size=64)
    efficient.build((None, None, 768))
    plain.build((None, None, 768))
    assert efficient.count_params() == 2 * 768 * 64 + 2 * 64 + 4 * 64 * 9 + 2 * 9
    assert efficient.count_params() * 8 < plain.count_params()


def test_variable_paths():
    layer = EfficientGlobalPointer(2, head_size=4, name="head")
    layer.build((None, None, 16))
    assert [w.path for w in layer.weights] == [
        "head/query_key/kernel",
        "head/query_key/bias",
        "head/type_bias/kernel",
        "head/type_bias/bias",
    ]


@pytest.mark.parametrize("rope", [True, False])
def test_matches_numpy(rope):
    layer = EfficientGlobalPointer(3, head_size=8, rope=rope, bias_initializer="glorot_uniform")
    logits = layer(HIDDEN, mask=MASK).numpy()
    weights = [w.numpy() for w in layer.weights]
    expected = efficient_global_pointer_numpy(HIDDEN, *weights, 3, 8, rope=rope)
    valid = np.broadcast_to(valid_cells(MASK, 6), logits.shape)
    np.testing.assert_allclose(logits[valid], expected[valid], rtol=1e-5, atol=1e-5)
    assert np.all(logits[~valid] == large_negative("float32"))


def test_bad_arguments():
    with pytest.raises(
        ValueError, match=r"EfficientGlobalPointer: `num_types` must be an int >= 1"
    ):
        EfficientGlobalPointer(0)
    with pytest.raises(ValueError, match=r"`head_size` must be even"):
        EfficientGlobalPointer(2, head_size=5)
