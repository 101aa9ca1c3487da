"""One check that every layer goes through (after keras-hub's `run_layer_test`).

`run_layer_test` checks, in order:
1. config round trip: every init argument is in `get_config()`, `from_config` and
   Keras (de)serialisation by registered name give the same config;
2. an eager call: output structure, shapes and dtypes, finite values;
3. weight counts (trainable, non-trainable, parameters);
4. one `fit` step of a functional model around the layer: finite loss, and every
   trainable weight that receives a gradient changes;
5. `.keras` save and load: the reloaded model predicts identical outputs.

Inputs and outputs may be single arrays or (nested) dicts / lists of arrays, so the
same helper serves the heads and the BERT encoder. Array-valued `call_kwargs` (masks,
positions) become model inputs too.
"""

import keras
import numpy as np


def _flat_inputs(input_data, call_kwargs):
    """Flat dict of named arrays and a function rebuilding (args, kwargs) from it."""
    leaves = keras.tree.flatten(input_data)
    names = [f"input_{i}" for i in range(len(leaves))]
    array_kwargs = {k: v for k, v in call_kwargs.items() if isinstance(v, np.ndarray)}
    other_kwargs = {k: v for k, v in call_kwargs.items() if k not in array_kwargs}
    flat = dict(zip(names, leaves, strict=True))
    flat.update({f"kwarg_{k}": v for k, v in array_kwargs.items()})

    def rebuild(values):
        inputs = keras.tree.pack_sequence_as(input_data, [values[n] for n in names])
        kwargs = dict(other_kwargs)
        kwargs.update({k: values[f"kwarg_{k}"] for k in array_kwargs})
        return inputs, kwargs

    return flat, rebuild


def _unmasked_square_loss(y_true, y_pred):
    """Mean square of the outputs, skipping masked (very negative) cells."""
    y_pred = keras.ops.cast(y_pred, "float32")
    kept = keras.ops.where(keras.ops.abs(y_pred) < 1e4, y_pred - y_true, 0.0)
    return keras.ops.mean(keras.ops.square(kept))


def run_layer_test(
    layer_cls,
    init_kwargs,
    input_data,
    *,
    tmp_path,
    call_kwargs=None,
    expected_output_shape=None,
    expected_output_dtype=None,
    expected_num_trainable_weights=None,
    expected_num_non_trainable_weights=0,
    expected_num_params=None,
    run_training_check=True,
    training_loss=None,
    run_saving_check=True,
):
    """Runs the shared checks on `layer_cls(**init_kwargs)`; returns the eager output.

    Args:
        layer_cls: the layer class.
        init_kwargs: dict of constructor arguments.
        input_data: array, or a (nested) dict/list of arrays, the first call argument.
        tmp_path: a `pathlib.Path` for the `.keras` file.
        call_kwargs: dict of further call arguments; numpy arrays become model inputs.
        expected_output_shape: tuple (or structure of tuples, like the output).
        expected_output_dtype: str (or structure of str, like the output).
        expected_num_trainable_weights: int, number of trainable variables.
        expected_num_non_trainable_weights: int. Defaults to 0.
        expected_num_params: int, total number of scalars in the weights.
        run_training_check: bool, run one `fit` step. Outputs must be float.
        training_loss: Keras loss for the fit step, called with zero targets shaped
            like the outputs. Defaults to the mean square of the unmasked outputs.
        run_saving_check: bool, save to `.keras`, reload, compare predictions.
    """
    call_kwargs = dict(call_kwargs or {})

    # 1. Config round trip.
    layer = layer_cls(**init_kwargs)
    config = layer.get_config()
    for key in init_kwargs:
        assert key in config, f"{layer_cls.__name__}.get_config() lacks `{key}`"
    assert layer_cls.from_config(config).get_config() == config
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(revived) is layer_cls and revived.get_config() == config

    # 2. Eager call: shapes, dtypes, finite values.
    output = layer(input_data, **call_kwargs)
    shapes = keras.tree.map_structure(lambda t: tuple(t.shape), output)
    dtypes = keras.tree.map_structure(lambda t: keras.backend.standardize_dtype(t.dtype), output)
    if expected_output_shape is not None:
        assert shapes == expected_output_shape, f"output shape {shapes} != {expected_output_shape}"
    if expected_output_dtype is not None:
        assert dtypes == expected_output_dtype, f"output dtype {dtypes} != {expected_output_dtype}"
    for leaf in keras.tree.flatten(output):
        assert np.all(np.isfinite(np.asarray(leaf, dtype=np.float64))), "non-finite output"

    # 3. Weight counts.
    if expected_num_trainable_weights is not None:
        assert len(layer.trainable_weights) == expected_num_trainable_weights, [
            w.path for w in layer.trainable_weights
        ]
    assert len(layer.non_trainable_weights) == expected_num_non_trainable_weights
    if expected_num_params is not None:
        assert layer.count_params() == expected_num_params, layer.count_params()

    # A functional model around a fresh layer.
    flat, rebuild = _flat_inputs(input_data, call_kwargs)
    symbolic = {
        name: keras.Input(shape=array.shape[1:], dtype=str(array.dtype), name=name)
        for name, array in flat.items()
    }
    args, kwargs = rebuild(symbolic)
    model = keras.Model(symbolic, layer_cls(**init_kwargs)(args, **kwargs))
    batch_size = len(next(iter(flat.values())))

    # 4. One fit step.
    if run_training_check:
        targets = keras.tree.map_structure(
            lambda t: np.zeros(t.shape, "float32"), keras.tree.flatten(output)
        )
        losses = [training_loss or _unmasked_square_loss] * len(targets)
        model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=losses)
        before = [np.array(w) for w in model.trainable_weights]
        history = model.fit(flat, targets, batch_size=batch_size, epochs=1, verbose=0)
        assert np.isfinite(history.history["loss"][0]), history.history
        changed = [
            not np.array_equal(b, np.array(w))
            for b, w in zip(before, model.trainable_weights, strict=True)
        ]
        assert any(changed) or not before, "no trainable weight changed in one fit step"

    # 5. Save and load: identical predictions.
    if run_saving_check:
        expected = model.predict(flat, batch_size=batch_size, verbose=0)
        path = tmp_path / f"{layer_cls.__name__}.keras"
        model.save(path)
        loaded = keras.saving.load_model(
            path, compile=False
        )  # the test loss need not be registered
        actual = loaded.predict(flat, batch_size=batch_size, verbose=0)
        keras.tree.map_structure(np.testing.assert_array_equal, actual, expected)
    return output
