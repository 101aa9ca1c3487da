"""tf_ner: fine-tune BERT-family models with TensorFlow/Keras 3 for (nested) NER and
text classification.

Subpackages (imports point downwards): `optimization` < `bert` < `layers`, `losses`,
`metrics`, `data` < `tasks` < `train` < `cli`. `tf_ner.load(folder)` gives the
predictor of a trained model folder (`tf_ner.Recognizer` for NER); names are imported
on first use, so `import tf_ner` stays light. Once TensorFlow and Keras are imported,
every Keras class of the package is registered, so `keras.models.load_model` reads a
`model.keras` of ours (see `tf_ner.registration`).
"""

from tf_ner import registration as _registration
from tf_ner.lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    "Recognizer": "tf_ner.tasks.ner.recognizer",
    "load": "tf_ner.tasks.folder",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

_registration.install()
