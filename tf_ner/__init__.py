"""tf_ner: fine-tune BERT-family models with TensorFlow/Keras 3 for (nested) NER and
text classification.

Subpackages (imports point downwards): `ground` < `optimization` < `bert` < `layers`,
`losses`, `metrics`, `data` < `tasks` < `reports` < `train` < `studies` < `cli`.
`tf_ner.load(folder)` gives the predictor of a trained model folder
(`tf_ner.Recognizer` for NER); names are imported on first use, so `import tf_ner`
imports no TensorFlow, and neither does `tf_ner.load(folder, runtime="onnx")`, which
predicts with numpy, tokenizers and onnxruntime alone. To read a `model.keras` of ours
with `keras.models.load_model`, `import tf_ner.keras_objects` first.
"""

from tf_ner.ground.lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    "Recognizer": "tf_ner.tasks.ner.recognizer",
    "load": "tf_ner.tasks.folder",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
