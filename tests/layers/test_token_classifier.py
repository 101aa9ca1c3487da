import keras
import numpy as np
import pytest

from tests.layer_harness import run_layer_test
from tf_ner.layers import CRF, TokenClassifier
from tf_ner.losses import masked_token_crossentropy

HIDDEN = np.random.default_rng(0).normal(size=(2, 6, 16)).astype("float32")


def test_layer_harness(tmp_path):
    logits = run_layer_test(
        TokenClassifier,
        {"num_tags": 5, "dropout": 0.1},
        HIDDEN,
        tmp_path=tmp_path,
        expected_output_shape=(2, 6, 5),
        expected_output_dtype="float32",
        expected_num_trainable_weights=2,
        expected_num_params=16 * 5 + 5,
    )
    kernel_init = TokenClassifier(5).get_config()["kernel_initializer"]
    assert kernel_init["class_name"] == "TruncatedNormal"
    assert logits.shape == (2, 6, 5)


def test_matches_dense_and_fits_with_masked_crossentropy():
    layer = TokenClassifier(5, name="head")
    logits = layer(HIDDEN).numpy()
    kernel, bias = (w.numpy() for w in layer.weights)
    np.testing.assert_allclose(logits, HIDDEN @ kernel + bias, rtol=1e-5, atol=1e-5)
    assert [w.path for w in layer.weights] == ["head/classifier/kernel", "head/classifier/bias"]

    labels = np.array([[-100, 1, 2, -100, 4, -100], [-100, 0, 0, 3, -100, -100]])
    inputs = keras.Input((None, 16))
    model = keras.Model(inputs, TokenClassifier(5)(inputs))
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss=masked_token_crossentropy)
    history = model.fit(HIDDEN, labels, epochs=30, verbose=0)
    assert history.history["loss"][-1] < 0.1 * history.history["loss"][0]
    predicted = model.predict(HIDDEN, verbose=0).argmax(-1)
    np.testing.assert_array_equal(predicted[labels != -100], labels[labels != -100])


def test_padding_mask_flows_to_a_crf():
    token_ids = keras.Input((None,), dtype="int32")
    hidden = keras.layers.Embedding(10, 8, mask_zero=True)(token_ids)
    tags = CRF(3)(TokenClassifier(3)(hidden))
    out = keras.Model(token_ids, tags).predict(np.array([[4, 5, 6, 0, 0]]), verbose=0)
    assert np.all(out[:, 3:] == 0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_tags": 0}, "`num_tags` must be an int >= 1, received 0"),
        ({"num_tags": 3, "dropout": 1.0}, "`dropout` must be in"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TokenClassifier(**kwargs)
