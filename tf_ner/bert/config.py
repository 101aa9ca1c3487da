"""BertConfig: Google's `bert_config.json`, validated and round-tripped."""

import dataclasses
import json
import pathlib

from tf_ner.ground.errors import InputError, MissingFileError

ACTIVATIONS = ("gelu", "gelu_approximate", "gelu_new", "relu", "tanh", "swish", "silu")

# Keys that published checkpoints carry but that this encoder does not use; accepted
# and ignored. (Google's Chinese BERT ships the `pooler_*` and `directionality` keys;
# Hugging Face configs carry the rest.)
IGNORED_KEYS = frozenset(
    {
        "directionality",
        "pooler_fc_size",
        "pooler_num_attention_heads",
        "pooler_num_fc_layers",
        "pooler_size_per_head",
        "pooler_type",
    }
)


class BertConfigError(InputError):
    """A `bert_config.json` that is missing, malformed, or holds invalid values."""


@dataclasses.dataclass(frozen=True)
class BertConfig:
    """The shape of a BERT encoder, as in Google's `bert_config.json`.

    Args:
        vocab_size: int, rows of the word embedding table.
        hidden_size: int, width H of every layer.
        num_hidden_layers: int, number of Transformer layers L.
        num_attention_heads: int, heads per layer; must divide `hidden_size`.
        intermediate_size: int, width of the feed-forward layer (usually 4H).
        hidden_act: str, feed-forward activation. `"gelu"` is the exact erf form (as
            Hugging Face and TF Model Garden read it); `"gelu_approximate"` (alias
            `"gelu_new"`) is the tanh form of Google's original TF1 code; the two
            differ by less than 1e-3.
        hidden_dropout_prob: float in [0, 1), dropout on embeddings and layer outputs.
        attention_probs_dropout_prob: float in [0, 1), dropout on attention weights.
        max_position_embeddings: int, longest sequence in tokens ([CLS]/[SEP] included).
        type_vocab_size: int, number of segment ids.
        initializer_range: float, stddev of the truncated-normal initializer.

    Example:
    >>> config = BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2,
    ...                     num_attention_heads=4, intermediate_size=64)
    >>> BertConfig.from_dict(json.loads(config.to_json_string())) == config
    True
    """

    vocab_size: int
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    initializer_range: float = 0.02

    def __post_init__(self):
        for name in (
            "vocab_size",
            "hidden_size",
            "num_hidden_layers",
            "num_attention_heads",
            "intermediate_size",
            "max_position_embeddings",
            "type_vocab_size",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise BertConfigError(f"{name} must be a positive int, got {value!r}")
        for name in ("hidden_dropout_prob", "attention_probs_dropout_prob"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0 <= value < 1:
                raise BertConfigError(f"{name} must be a float in [0, 1), got {value!r}")
        if not isinstance(self.initializer_range, (int, float)) or self.initializer_range <= 0:
            raise BertConfigError(
                f"initializer_range must be a positive float, got {self.initializer_range!r}"
            )
        if self.hidden_act not in ACTIVATIONS:
            raise BertConfigError(
                f"hidden_act must be one of {', '.join(ACTIVATIONS)}; got {self.hidden_act!r}"
            )
        if self.hidden_size % self.num_attention_heads:
            raise BertConfigError(
                f"hidden_size ({self.hidden_size}) must be a multiple of "
                f"num_attention_heads ({self.num_attention_heads})"
            )

    @property
    def head_size(self):
        """Width of one attention head, `hidden_size // num_attention_heads`."""
        return self.hidden_size // self.num_attention_heads

    @classmethod
    def from_dict(cls, values, source="config"):
        """Builds a config from a dict, rejecting unknown keys (see `IGNORED_KEYS`).

        Raises:
            BertConfigError: a required key is missing, a key is unknown, or a value
                is invalid; the message names `source` and the key.
        """
        if not isinstance(values, dict):
            raise BertConfigError(f"{source}: expected a JSON object, got {type(values).__name__}")
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - fields - IGNORED_KEYS)
        if unknown:
            raise BertConfigError(
                f"{source}: unknown key(s) {unknown}; expected only {sorted(fields)}"
            )
        if "vocab_size" not in values:
            raise BertConfigError(f"{source}: missing required key 'vocab_size'")
        try:
            return cls(**{k: v for k, v in values.items() if k in fields})
        except BertConfigError as error:
            raise BertConfigError(f"{source}: {error}") from None

    @classmethod
    def from_json_file(cls, path):
        """Reads Google's `bert_config.json`.

        Raises:
            FileNotFoundError: no file at `path`.
            BertConfigError: invalid JSON or invalid fields (names the file).
        """
        path = pathlib.Path(path)
        if not path.is_file():
            raise MissingFileError(f"BERT config not found: {path} (expected bert_config.json)")
        try:
            values = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise BertConfigError(
                f"{path}: invalid JSON at line {error.lineno}: {error.msg}"
            ) from None
        return cls.from_dict(values, source=str(path))

    def to_dict(self):
        return dataclasses.asdict(self)

    def to_json_string(self):
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    def to_json_file(self, path):
        pathlib.Path(path).write_text(self.to_json_string(), encoding="utf-8")
