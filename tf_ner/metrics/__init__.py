"""Metrics: corpus-level entity F1 (every NER head), token accuracy, macro-F1.

Every Keras metric here accumulates counts over the whole evaluation set until
`reset_state()`; none averages per-batch scores. One import per line.
"""

from tf_ner.metrics.entity_f1 import EntityF1 as EntityF1
from tf_ner.metrics.macro_f1 import MacroF1 as MacroF1
from tf_ner.metrics.prf import prf as prf
from tf_ner.metrics.token_accuracy import TokenAccuracy as TokenAccuracy
