"""BERT: config, Keras 3 encoder with Google names, checkpoints, conversion, tokenizer,
Mixout.

Names are imported on first use (`tf_ner.ground.lazy`): the config, vocabulary and tokenizer
need no TensorFlow.
"""

from tf_ner.ground.lazy import lazy_exports

_EXPORTS = {
    "BertConfig": "tf_ner.bert.config",
    "BertConfigError": "tf_ner.bert.config",
    "BertEncoder": "tf_ner.bert.modeling",
    "BertMLMHead": "tf_ner.bert.modeling",
    "CheckpointError": "tf_ner.bert.checkpoint_io",
    "Encoding": "tf_ner.bert.tokenization",
    "LoadReport": "tf_ner.bert.checkpoint",
    "TextTooLongError": "tf_ner.bert.tokenization",
    "Tokenizer": "tf_ner.bert.tokenization",
    "apply_mixout": "tf_ner.bert.mixout",
    "build_bert": "tf_ner.bert.modeling",
    "build_vocab": "tf_ner.bert.vocab",
    "convert_google_to_hf": "tf_ner.bert.convert",
    "convert_hf_to_google": "tf_ner.bert.convert",
    "get_assignment_map_from_checkpoint": "tf_ner.bert.assignment_map",
    "load_bert_checkpoint": "tf_ner.bert.checkpoint",
    "save_bert_checkpoint": "tf_ner.bert.checkpoint",
    "write_random_checkpoint": "tf_ner.bert.tiny",
    "write_vocab": "tf_ner.bert.vocab",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
