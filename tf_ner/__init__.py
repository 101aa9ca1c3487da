"""tf_ner: fine-tune BERT-family models with TensorFlow/Keras 3 for (nested) NER.

Subpackages (imports point downwards): `optimization` < `bert` < `layers`, `losses`,
`metrics`, `data` < `tasks` < `train` < `cli`. `tf_ner.Recognizer` loads a trained model
folder (imported on first use, so `import tf_ner` stays light).
"""

__version__ = "0.1.0"


def __getattr__(name):
    if name == "Recognizer":
        from tf_ner.train.recognizer import Recognizer

        return Recognizer
    raise AttributeError(f"module 'tf_ner' has no attribute {name!r}")
