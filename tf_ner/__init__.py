"""tf_ner: fine-tune BERT-family models with TensorFlow/Keras 3 for (nested) NER.

Subpackages (imports point downwards): `optimization` < `bert` < `layers`, `losses`,
`metrics`, `data` < `tasks` < `train` < `cli`.
"""

__version__ = "0.1.0"
