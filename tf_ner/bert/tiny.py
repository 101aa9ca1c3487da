"""A random-initialised BERT in Google's format, for tests and demos."""

import pathlib

import numpy as np

from tf_ner.bert.checkpoint import initial_value, save_bert_checkpoint, variable_name
from tf_ner.bert.checkpoint_io import CHECKPOINT_NAME
from tf_ner.bert.config import BertConfig
from tf_ner.bert.modeling import build_bert
from tf_ner.bert.tokenization import SPECIAL_TOKENS

DEFAULT_TOKENS = tuple(
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动"
)
DEFAULT_TOKENS += (
    "the",
    "a",
    "of",
    "to",
    "##s",
    "##ing",
    "john",
    "new",
    "york",
    "0",
    "1",
    "2",
    "3",
)


def write_random_checkpoint(
    out_dir,
    tokens=DEFAULT_TOKENS,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=64,
    max_position_embeddings=128,
    seed=0,
    with_mlm=False,
    **config_values,
):
    """Writes `bert_config.json`, `vocab.txt` and `bert_model.ckpt.*` to `out_dir`.

    Args:
        out_dir: folder to write (created).
        tokens: vocabulary entries after the special tokens [PAD] [UNK] [CLS] [SEP] [MASK].
        hidden_size, num_hidden_layers, num_attention_heads, intermediate_size,
        max_position_embeddings, **config_values: `BertConfig` fields.
        seed: int, seed of the random weights.
        with_mlm: bool, also write Google's `cls/predictions/*` MLM head.

    Returns:
        The `BertConfig` written.
    """
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    vocab = list(SPECIAL_TOKENS) + [t for t in tokens if t not in SPECIAL_TOKENS]
    (out_dir / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=hidden_size,
        num_hidden_layers=num_hidden_layers,
        num_attention_heads=num_attention_heads,
        intermediate_size=intermediate_size,
        max_position_embeddings=max_position_embeddings,
        **config_values,
    )
    config.to_json_file(out_dir / "bert_config.json")
    model = build_bert(config, with_mlm=with_mlm)
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        name = variable_name(variable)
        variable.assign(initial_value(name, tuple(variable.shape), config.initializer_range, rng))
    save_bert_checkpoint(model, out_dir / CHECKPOINT_NAME)
    return config
