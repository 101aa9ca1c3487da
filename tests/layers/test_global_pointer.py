import keras
import numpy as np
import pytest

from tests.layer_harness import run_layer_test
from tests.layers.reference import global_pointer_numpy, valid_cells
from tf_ner.ground.masking import large_negative
from tf_ner.layers import GlobalPointer
from tf_ner.losses import global_pointer_loss

HIDDEN = np.random.default_rng(0).normal(size=(2, 6, 16)).astype("float32")
MASK = np.array([[0, 1, 1, 1, 0, 0], [0, 1, 1, 1, 1, 0]], "int32")  # [CLS], tokens, [SEP], pad


def test_layer_harness(tmp_path):
    logits = run_layer_test(
        GlobalPointer,
        {"num_types": 3, "head_size": 8, "rope": True, "tril_mask": True},
        HIDDEN,
        call_kwargs={"mask": MASK},
        tmp_path=tmp_path,
        expected_output_shape=(2, 3, 6, 6),
        expected_output_dtype="float32",
        expected_num_trainable_weights=2,
        expected_num_params=16 * 3 * 2 * 8 + 3 * 2 * 8,
        training_loss=global_pointer_loss,
    )
    assert logits.shape == (2, 3, 6, 6)


def test_variable_paths():
    layer = GlobalPointer(2, head_size=4, name="global_pointer")
    layer.build((None, None, 16))
    assert [w.path for w in layer.weights] == [
        "global_pointer/query_key/kernel",
        "global_pointer/query_key/bias",
    ]


@pytest.mark.parametrize("rope", [True, False])
@pytest.mark.parametrize("tril_mask", [True, False])
def test_matches_numpy(rope, tril_mask):
    layer = GlobalPointer(
        3, head_size=8, rope=rope, tril_mask=tril_mask, bias_initializer="glorot_uniform"
    )
    logits = layer(HIDDEN, mask=MASK).numpy()
    kernel, bias = (w.numpy() for w in layer.weights)
    expected = global_pointer_numpy(HIDDEN, kernel, bias, 3, 8, rope=rope)
    valid = np.broadcast_to(valid_cells(MASK, 6, tril_mask), logits.shape)
    np.testing.assert_allclose(logits[valid], expected[valid], rtol=1e-5, atol=1e-5)
    assert np.all(logits[~valid] == large_negative("float32"))


def test_without_mask_only_lower_triangle_is_masked():
    logits = GlobalPointer(2, head_size=4)(HIDDEN).numpy()
    lower = np.tril(np.ones((6, 6), bool), -1)
    assert np.all(logits[:, :, lower] == large_negative("float32"))
    assert np.all(logits[:, :, ~lower] > large_negative("float32"))


def test_keras_mask_from_embedding_is_used():
    token_ids = np.array([[5, 3, 4, 0, 0]])
    inputs = keras.Input((None,), dtype="int32")
    hidden = keras.layers.Embedding(10, 8, mask_zero=True)(inputs)
    model = keras.Model(inputs, GlobalPointer(2, head_size=4)(hidden))
    logits = model.predict(token_ids, verbose=0)
    assert np.all(logits[:, :, 3:, :] == large_negative("float32"))
    assert np.all(logits[:, :, :, 3:] == large_negative("float32"))
    assert np.all(logits[:, :, :3, :3][..., np.triu_indices(3)[0], np.triu_indices(3)[1]] > -1e4)


def test_scores_shift_invariant_with_rope():
    # With RoPE and no bias, shifting the whole sequence right keeps span scores.
    layer = GlobalPointer(1, head_size=8, use_bias=False, tril_mask=False)
    x = HIDDEN[:1, :4]
    shifted = np.concatenate([np.zeros((1, 2, 16), "float32"), x], axis=1)
    np.testing.assert_allclose(layer(shifted)[:, :, 2:, 2:], layer(x), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_types": 0}, r"`num_types` must be an int >= 1, received 0"),
        ({"num_types": -2}, r"`num_types` must be an int >= 1, received -2"),
        ({"num_types": "3"}, r"`num_types` must be an int >= 1, received '3'"),
        (
            {"num_types": 2, "head_size": 7},
            r"`head_size` must be even when `rope=True`.*head_size=7",
        ),
        ({"num_types": 2, "head_size": 0}, r"`head_size` must be an int >= 1, received 0"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        GlobalPointer(**kwargs)


def test_odd_head_size_without_rope_is_fine():
    assert GlobalPointer(2, head_size=7, rope=False)(HIDDEN).shape == (2, 2, 6, 6)


def test_bad_input_rank():
    with pytest.raises(ValueError, match=r"\[batch, length, hidden\]"):
        GlobalPointer(2, head_size=4)(np.zeros((2, 16), "float32"))
