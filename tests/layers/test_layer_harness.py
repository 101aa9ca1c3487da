"""The shared harness handles dict inputs/outputs (as the BERT encoder will) and fails
on a layer that breaks its contract."""

import keras
import numpy as np
import pytest

from tests.layer_harness import run_layer_test


@keras.saving.register_keras_serializable(package="tf_ner_tests")
class _DictLayer(keras.layers.Layer):
    """{"token_ids", "segment_ids"} -> {"sequence_output", "pooled_output"}."""

    def __init__(self, hidden=8, **kwargs):
        super().__init__(**kwargs)
        self.hidden = hidden

    def build(self, input_shape):
        self.embedding = keras.layers.Embedding(
            10, self.hidden, dtype=self.dtype_policy, name="embed"
        )
        self.embedding.build(input_shape["token_ids"])
        self.pooler = keras.layers.Dense(self.hidden, dtype=self.dtype_policy, name="pooler")
        self.pooler.build((None, self.hidden))
        self.built = True

    def call(self, inputs, padding_mask=None):
        sequence = self.embedding(inputs["token_ids"] + inputs["segment_ids"])
        if padding_mask is not None:
            sequence = sequence * keras.ops.cast(padding_mask, sequence.dtype)[..., None]
        return {"sequence_output": sequence, "pooled_output": self.pooler(sequence[:, 0])}

    def get_config(self):
        return {**super().get_config(), "hidden": self.hidden}


@keras.saving.register_keras_serializable(package="tf_ner_tests")
class _ForgetsConfig(_DictLayer):
    def get_config(self):
        return keras.layers.Layer.get_config(self)


INPUTS = {
    "token_ids": np.array([[1, 4, 5, 2, 0], [1, 6, 2, 0, 0]], "int32"),
    "segment_ids": np.zeros((2, 5), "int32"),
}


def test_dict_inputs_outputs_and_array_kwargs(tmp_path):
    output = run_layer_test(
        _DictLayer,
        {"hidden": 8},
        INPUTS,
        call_kwargs={"padding_mask": (INPUTS["token_ids"] > 0).astype("int32")},
        tmp_path=tmp_path,
        expected_output_shape={"sequence_output": (2, 5, 8), "pooled_output": (2, 8)},
        expected_output_dtype={"sequence_output": "float32", "pooled_output": "float32"},
        expected_num_trainable_weights=3,
        expected_num_params=10 * 8 + 8 * 8 + 8,
    )
    assert np.all(np.asarray(output["sequence_output"])[1, 3:] == 0)


def test_catches_a_missing_config_key(tmp_path):
    with pytest.raises(AssertionError, match="lacks `hidden`"):
        run_layer_test(_ForgetsConfig, {"hidden": 8}, INPUTS, tmp_path=tmp_path)


def test_catches_a_wrong_shape(tmp_path):
    with pytest.raises(AssertionError, match="output shape"):
        run_layer_test(
            _DictLayer,
            {"hidden": 8},
            INPUTS,
            tmp_path=tmp_path,
            expected_output_shape={"sequence_output": (2, 5, 9), "pooled_output": (2, 8)},
        )
