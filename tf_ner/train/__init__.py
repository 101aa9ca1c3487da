"""Training: the fit loop, callbacks, strategy, the model folder and its export.

`TrainConfig`, `TrainResult`, `train` and `Recognizer` are imported on first use, so
that `tf_ner.train.config` (read by the CLI to build `--help`) does not load Keras.
"""

import importlib

_EXPORTS = {
    "Recognizer": "tf_ner.train.recognizer",
    "TrainConfig": "tf_ner.train.config",
    "TrainResult": "tf_ner.train.loop",
    "train": "tf_ner.train.loop",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'tf_ner.train' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
