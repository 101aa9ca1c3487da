"""Reading a saved model's variables without building it (h5py only, no TensorFlow)."""

import io
import zipfile

import h5py
import numpy as np


def read_weights_h5(path_or_file):
    """`{h5 dataset path: array}` of every variable in a `.weights.h5` file."""
    arrays = {}
    with h5py.File(path_or_file, "r") as h5:
        h5.visititems(
            lambda name, item: (
                arrays.__setitem__(name, np.asarray(item))
                if isinstance(item, h5py.Dataset)
                else None
            )
        )
    return arrays


def read_model_weights(keras_file):
    """`{h5 dataset path: array}` of the model and optimizer variables in a `.keras` file."""
    with zipfile.ZipFile(keras_file) as archive:
        return read_weights_h5(io.BytesIO(archive.read("model.weights.h5")))


def max_abs_difference(a, b):
    """The largest |a - b| over variables that both hold; fails if their names differ."""
    assert sorted(a) == sorted(b), sorted(set(a) ^ set(b))
    return max(float(np.max(np.abs(a[k].astype(np.float64) - b[k]))) for k in a)


def iterations(weights):
    """The optimizer's step counter among `read_*_weights` arrays."""
    return int(weights["optimizer/vars/0"])
