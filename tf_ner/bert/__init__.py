"""BERT: config, Keras 3 encoder with Google names, checkpoints, conversion, tokenizer."""

from tf_ner.bert.assignment_map import get_assignment_map_from_checkpoint
from tf_ner.bert.checkpoint import LoadReport, load_bert_checkpoint, save_bert_checkpoint
from tf_ner.bert.checkpoint_io import CheckpointError
from tf_ner.bert.config import BertConfig, BertConfigError
from tf_ner.bert.convert import convert_google_to_hf, convert_hf_to_google
from tf_ner.bert.modeling import BertEncoder, BertMLMHead, build_bert
from tf_ner.bert.tiny import write_random_checkpoint
from tf_ner.bert.tokenization import Encoding, TextTooLongError, Tokenizer
from tf_ner.bert.vocab import build_vocab, write_vocab

__all__ = [
    "BertConfig",
    "BertConfigError",
    "BertEncoder",
    "BertMLMHead",
    "CheckpointError",
    "Encoding",
    "LoadReport",
    "TextTooLongError",
    "Tokenizer",
    "build_bert",
    "build_vocab",
    "convert_google_to_hf",
    "convert_hf_to_google",
    "get_assignment_map_from_checkpoint",
    "load_bert_checkpoint",
    "save_bert_checkpoint",
    "write_random_checkpoint",
    "write_vocab",
]
