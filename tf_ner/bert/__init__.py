"""BERT: config, Keras 3 encoder with Google names, checkpoints, conversion, tokenizer."""

from tf_ner.bert.config import BertConfig, BertConfigError
from tf_ner.bert.modeling import BertEncoder, BertMLMHead, build_bert
from tf_ner.bert.tokenization import Encoding, TextTooLongError, Tokenizer
