"""Keras 3 layers of the NER heads (no I/O, nothing BERT-specific).

- `GlobalPointer`, `EfficientGlobalPointer`: span logits `[batch, types, length, length]`;
  decode with `decode_global_pointer`, train with `tf_ner.losses.global_pointer_loss`.
- `CRF`: linear-chain CRF (log-likelihood, Viterbi in the graph); `CRFModel` trains it
  with `model.fit`.
- `TokenClassifier`: softmax tagging logits; train with
  `tf_ner.losses.masked_token_crossentropy`.
- `RotaryEmbedding`: weightless RoPE used by the GlobalPointer heads.
"""

from tf_ner.layers.crf import CRF
from tf_ner.layers.crf_model import CRFModel
from tf_ner.layers.efficient_global_pointer import EfficientGlobalPointer
from tf_ner.layers.global_pointer import GlobalPointer
from tf_ner.layers.global_pointer_decoding import decode_global_pointer
from tf_ner.layers.rotary_embedding import RotaryEmbedding
from tf_ner.layers.token_classifier import TokenClassifier

__all__ = [
    "CRF",
    "CRFModel",
    "EfficientGlobalPointer",
    "GlobalPointer",
    "RotaryEmbedding",
    "TokenClassifier",
    "decode_global_pointer",
]
