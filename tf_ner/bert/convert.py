"""Conversion between Hugging Face BERT folders and Google-format checkpoints.

Hugging Face: `config.json`, `vocab.txt`, `model.safetensors` (or `pytorch_model.bin`),
PyTorch names (`bert.encoder.layer.0.attention.self.query.weight`, kernels stored
`[out, in]`). Google: `bert_config.json`, `vocab.txt`, `bert_model.ckpt.*`, TF names
(`bert/encoder/layer_0/attention/self/query/kernel`, kernels `[in, out]`).
"""

import dataclasses
import json
import logging
import pathlib
import re
import shutil

import numpy as np

from tf_ner.bert.checkpoint_io import (
    CHECKPOINT_NAME,
    OPTIMIZER_VARIABLE,
    CheckpointReader,
    write_checkpoint,
)
from tf_ner.bert.config import BertConfig, BertConfigError
from tf_ner.ground.errors import InputError, MissingFileError

logger = logging.getLogger(__name__)

# (Hugging Face module path, Google scope) for every Linear/LayerNorm/Embedding of BERT,
# with `{i}` the layer index.
_MODULES = (
    ("embeddings.LayerNorm", "bert/embeddings/LayerNorm"),
    ("encoder.layer.{i}.attention.self.query", "bert/encoder/layer_{i}/attention/self/query"),
    ("encoder.layer.{i}.attention.self.key", "bert/encoder/layer_{i}/attention/self/key"),
    ("encoder.layer.{i}.attention.self.value", "bert/encoder/layer_{i}/attention/self/value"),
    ("encoder.layer.{i}.attention.output.dense", "bert/encoder/layer_{i}/attention/output/dense"),
    (
        "encoder.layer.{i}.attention.output.LayerNorm",
        "bert/encoder/layer_{i}/attention/output/LayerNorm",
    ),
    ("encoder.layer.{i}.intermediate.dense", "bert/encoder/layer_{i}/intermediate/dense"),
    ("encoder.layer.{i}.output.dense", "bert/encoder/layer_{i}/output/dense"),
    ("encoder.layer.{i}.output.LayerNorm", "bert/encoder/layer_{i}/output/LayerNorm"),
    ("pooler.dense", "bert/pooler/dense"),
    ("cls.predictions.transform.dense", "cls/predictions/transform/dense"),
    ("cls.predictions.transform.LayerNorm", "cls/predictions/transform/LayerNorm"),
)
_TENSORS = (
    # (Hugging Face name, Google name, transpose)
    ("embeddings.word_embeddings.weight", "bert/embeddings/word_embeddings", False),
    ("embeddings.position_embeddings.weight", "bert/embeddings/position_embeddings", False),
    ("embeddings.token_type_embeddings.weight", "bert/embeddings/token_type_embeddings", False),
    ("cls.predictions.bias", "cls/predictions/output_bias", False),
    ("cls.seq_relationship.weight", "cls/seq_relationship/output_weights", False),
    ("cls.seq_relationship.bias", "cls/seq_relationship/output_bias", False),
)
# Hugging Face entries that hold no weight of their own: buffers, and the MLM decoder
# tied to the word embeddings (its bias is `cls.predictions.bias`).
_DERIVED = re.compile(
    r"(embeddings\.position_ids|embeddings\.token_type_ids|cls\.predictions\.decoder\.(weight|bias))$"
)
_CONFIG_KEYS = (
    "vocab_size",
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "intermediate_size",
    "hidden_act",
    "hidden_dropout_prob",
    "attention_probs_dropout_prob",
    "max_position_embeddings",
    "type_vocab_size",
    "initializer_range",
)
_HF_ACTIVATIONS = {
    "gelu": "gelu",
    "gelu_new": "gelu_approximate",
    "gelu_pytorch_tanh": "gelu_approximate",
    "relu": "relu",
    "tanh": "tanh",
    "silu": "silu",
    "swish": "swish",
}


@dataclasses.dataclass
class ConversionReport:
    """What a conversion wrote and what it left out (names, sorted)."""

    written: list
    skipped: list

    def __str__(self):
        return f"{len(self.written)} tensors written, {len(self.skipped)} skipped: {self.skipped}"


def _name_table(num_layers):
    """Pairs `(hf_name_without_prefix, google_name, transpose)` for every tensor."""
    table = list(_TENSORS)
    for hf_module, google_scope in _MODULES:
        indices = range(num_layers) if "{i}" in hf_module else [None]
        for i in indices:
            hf, google = hf_module.format(i=i), google_scope.format(i=i)
            if "LayerNorm" in hf:
                table += [
                    (f"{hf}.weight", f"{google}/gamma", False),
                    (f"{hf}.bias", f"{google}/beta", False),
                ]
            else:
                table += [
                    (f"{hf}.weight", f"{google}/kernel", True),
                    (f"{hf}.bias", f"{google}/bias", False),
                ]
    return table


def config_from_hf(hf_config, source="config.json"):
    """A `BertConfig` from a Hugging Face BERT `config.json` dict.

    Raises:
        BertConfigError: not a BERT config, or a setting this encoder lacks.
    """
    model_type = hf_config.get("model_type", "bert")
    if model_type != "bert":
        raise BertConfigError(f"{source}: model_type is {model_type!r}; only 'bert' converts")
    if hf_config.get("position_embedding_type", "absolute") != "absolute":
        raise BertConfigError(
            f"{source}: position_embedding_type {hf_config['position_embedding_type']!r} is "
            f"not supported; expected 'absolute'"
        )
    if abs(hf_config.get("layer_norm_eps", 1e-12) - 1e-12) > 1e-15:
        raise BertConfigError(
            f"{source}: layer_norm_eps {hf_config['layer_norm_eps']} is not supported; "
            f"Google's BERT uses 1e-12"
        )
    values = {k: hf_config[k] for k in _CONFIG_KEYS if k in hf_config}
    act = values.get("hidden_act", "gelu")
    if act not in _HF_ACTIVATIONS:
        raise BertConfigError(f"{source}: hidden_act {act!r} is not supported")
    values["hidden_act"] = _HF_ACTIVATIONS[act]
    return BertConfig.from_dict(values, source=source)


def _read_hf_weights(hf_dir):
    safetensors_file = hf_dir / "model.safetensors"
    torch_file = hf_dir / "pytorch_model.bin"
    if safetensors_file.is_file():
        from safetensors.numpy import load_file

        return load_file(str(safetensors_file))
    if torch_file.is_file():
        import torch

        state = torch.load(str(torch_file), map_location="cpu", weights_only=True)
        return {k: v.float().numpy() for k, v in state.items()}
    raise MissingFileError(
        f"no weights in {hf_dir}: expected model.safetensors or pytorch_model.bin"
    )


def _strip_prefix(weights):
    """Drops the `bert.` prefix of task models; keeps `cls.` heads."""
    return {(k[len("bert.") :] if k.startswith("bert.") else k): v for k, v in weights.items()}


def _require(path):
    if not path.is_file():
        raise MissingFileError(f"{path} not found")
    return path


def convert_hf_to_google(hf_dir, out_dir):
    """Converts a Hugging Face BERT folder to Google's format.

    Args:
        hf_dir: folder with `config.json`, `vocab.txt` and `model.safetensors` (or
            `pytorch_model.bin`, loaded with `weights_only=True`); with or without
            the `bert.` prefix; an MLM decoder tied to the embeddings is dropped.
        out_dir: folder to write `bert_config.json`, `vocab.txt`, `bert_model.ckpt.*`.

    Returns:
        `ConversionReport`; tensors that are not BERT weights (e.g. a task head's
        `classifier.*`) are listed in `.skipped` and logged.

    Raises:
        FileNotFoundError: a missing input file.
        BertConfigError: an unsupported config.
        ValueError: a tensor whose shape does not fit the config (names it).
    """
    hf_dir, out_dir = pathlib.Path(hf_dir), pathlib.Path(out_dir)
    config_file = _require(hf_dir / "config.json")
    config = config_from_hf(json.loads(config_file.read_text(encoding="utf-8")), str(config_file))
    vocab_file = _require(hf_dir / "vocab.txt")
    weights = _strip_prefix(_read_hf_weights(hf_dir))
    tensors, used = {}, set()
    for hf_name, google_name, transpose in _name_table(config.num_hidden_layers):
        if hf_name in weights:
            value = np.asarray(weights[hf_name], dtype=np.float32)
            tensors[google_name] = value.T if transpose else value
            used.add(hf_name)
    _check_shapes(tensors, config, hf_dir)
    skipped = sorted(k for k in weights if k not in used and not _DERIVED.search(k))
    out_dir.mkdir(parents=True, exist_ok=True)
    config.to_json_file(out_dir / "bert_config.json")
    shutil.copyfile(vocab_file, out_dir / "vocab.txt")
    write_checkpoint(out_dir / CHECKPOINT_NAME, tensors)
    report = ConversionReport(sorted(tensors), skipped)
    logger.info("convert %s -> %s: %s", hf_dir, out_dir, report)
    return report


def convert_google_to_hf(google_dir, out_dir):
    """Converts a Google-format folder to a Hugging Face BERT folder (safetensors).

    Args:
        google_dir: folder with `bert_config.json`, `vocab.txt`, `bert_model.ckpt.*`.
        out_dir: folder to write `config.json`, `vocab.txt`, `model.safetensors`
            (names prefixed `bert.`; `cls.*` when the checkpoint has an MLM head).

    Returns:
        `ConversionReport`; optimizer slots and unknown variables are skipped.
    """
    from safetensors.numpy import save_file

    google_dir, out_dir = pathlib.Path(google_dir), pathlib.Path(out_dir)
    config = BertConfig.from_json_file(google_dir / "bert_config.json")
    vocab_file = _require(google_dir / "vocab.txt")
    reader = CheckpointReader(google_dir)
    tensors, used = {}, set()
    for hf_name, google_name, transpose in _name_table(config.num_hidden_layers):
        if google_name in reader:
            value = reader.read(google_name).astype(np.float32)
            prefix = "" if hf_name.startswith("cls.") else "bert."
            tensors[prefix + hf_name] = np.ascontiguousarray(value.T if transpose else value)
            used.add(google_name)
    _check_shapes({g: reader.read(g) for g in used}, config, google_dir)
    skipped = [n for n in reader.names() if n not in used and not OPTIMIZER_VARIABLE.search(n)]
    has_mlm = any(k.startswith("cls.predictions") for k in tensors)
    hf_config = {
        "architectures": ["BertForPreTraining" if has_mlm else "BertModel"],
        "model_type": "bert",
        "layer_norm_eps": 1e-12,
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
        "tie_word_embeddings": True,
        **{k: v for k, v in config.to_dict().items()},
        "hidden_act": {"gelu_approximate": "gelu_new"}.get(config.hidden_act, config.hidden_act),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "config.json").write_text(json.dumps(hf_config, indent=2) + "\n", encoding="utf-8")
    shutil.copyfile(vocab_file, out_dir / "vocab.txt")
    save_file(tensors, str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    report = ConversionReport(sorted(tensors), sorted(skipped))
    logger.info("convert %s -> %s: %s", google_dir, out_dir, report)
    return report


def google_shapes(config):
    """`{google_name: shape}` of every BERT tensor that `config` implies."""
    h, inter = config.hidden_size, config.intermediate_size
    shapes = {
        "bert/embeddings/word_embeddings": (config.vocab_size, h),
        "bert/embeddings/position_embeddings": (config.max_position_embeddings, h),
        "bert/embeddings/token_type_embeddings": (config.type_vocab_size, h),
        "cls/predictions/output_bias": (config.vocab_size,),
        "cls/seq_relationship/output_weights": (2, h),
        "cls/seq_relationship/output_bias": (2,),
    }
    for _, name, _transpose in _name_table(config.num_hidden_layers):
        if name in shapes:
            continue
        out = inter if "intermediate/dense" in name else h
        if name.endswith("/kernel"):
            shapes[name] = (
                inter if "/output/dense" in name and "attention" not in name else h,
                out,
            )
        else:
            shapes[name] = (out,)
    return shapes


def _check_shapes(tensors, config, source):
    expected = google_shapes(config)
    for name, value in tensors.items():
        if tuple(value.shape) != expected[name]:
            raise InputError(
                f"{source}: {name} has shape {tuple(value.shape)}, but its config implies "
                f"{expected[name]}"
            )
    missing = sorted(
        n
        for n in expected
        if n.startswith(("bert/embeddings/", "bert/encoder/")) and n not in tensors
    )
    if missing:
        raise InputError(f"{source}: missing encoder weight(s) {missing[:3]} (of {len(missing)})")
