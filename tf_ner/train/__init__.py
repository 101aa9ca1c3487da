"""Training: the fit loop, callbacks, strategy, schedules, the run's folder and export.

Names are imported on first use (`tf_ner.ground.lazy`), so that `tf_ner.train.config` (read
by the CLI to build `--help`) does not load Keras.
"""

from tf_ner.ground.lazy import lazy_exports

_EXPORTS = {
    "TrainConfig": "tf_ner.train.config",
    "TrainResult": "tf_ner.train.loop",
    "train": "tf_ner.train.loop",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
