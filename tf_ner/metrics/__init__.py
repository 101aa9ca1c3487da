"""Metrics: corpus-level entity F1 (every NER head), token accuracy, macro-F1.

Every Keras metric here accumulates counts over the whole evaluation set until
`reset_state()`; none averages per-batch scores. The Keras metrics are imported on
first use (`tf_ner.ground.lazy`), so that `prf` (plain Python, which an ONNX predictor
and the reports use) imports no Keras. Add a name with one line in `_EXPORTS`.
"""

from tf_ner.ground.lazy import lazy_exports
from tf_ner.metrics.prf import prf as prf

_EXPORTS = {
    "EntityF1": "tf_ner.metrics.entity_f1",
    "MacroF1": "tf_ner.metrics.macro_f1",
    "TokenAccuracy": "tf_ner.metrics.token_accuracy",
}
__all__ = sorted([*_EXPORTS, "prf"])
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
