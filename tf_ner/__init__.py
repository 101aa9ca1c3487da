"""tf_ner: fine-tune BERT-family models with TensorFlow/Keras 3 for (nested) NER.

Subpackages (imports point downwards): `optimization` < `bert` < `layers`, `losses`,
`metrics`, `data` < `tasks` < `train` < `cli`. `tf_ner.Recognizer` loads a trained model
folder (imported on first use, so `import tf_ner` stays light). Once TensorFlow and
Keras are imported, every Keras class of the package is registered, so
`keras.models.load_model` reads a `model.keras` of ours (see `tf_ner.registration`).
"""

from tf_ner import registration as _registration

__version__ = "0.1.0"

_registration.install()


def __getattr__(name):
    if name == "Recognizer":
        from tf_ner.train.recognizer import Recognizer

        return Recognizer
    raise AttributeError(f"module 'tf_ner' has no attribute {name!r}")
