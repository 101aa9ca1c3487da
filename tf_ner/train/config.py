"""TrainConfig: every setting of a training run, validated, saved with the model."""

import dataclasses
import json

from tf_ner.data.pipeline import check_buckets
from tf_ner.data.windows import window_capacity

# Google's compact BERT shapes (Turc et al., "Well-Read Students Learn Better", 2019):
# heads = H / 64, intermediate = 4H.
BERT_SIZES = {
    "tiny": (2, 128),
    "mini": (4, 256),
    "small": (4, 512),
    "medium": (8, 512),
    "base": (12, 768),
}
STRATEGIES = ("auto", "default", "mirrored", "multi-worker")
PRECISIONS = (None, "mixed_bfloat16", "mixed_float16")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Settings of `tf_ner.train.train` (and of `tf-ner train`, flag for flag).

    Data: `train`, `dev`, `test` files in `format` ("auto" detects), `repair` reads
    invalid tag sequences the way seqeval does. Encoder: `bert_dir` (Google format)
    or `bert_size` (random initialisation, vocabulary from the training texts).
    Optimisation: `learning_rate` for the encoder, `head_learning_rate` for the head
    (default the same), `warmup` (a fraction of the steps if < 1, else steps),
    `weight_decay`, `bias_correction`, `layerwise_lr_decay`, `crf_lr_multiplier`.
    Length of training: `epochs`, capped by `max_steps` and `time_budget` (minutes of
    training). See `tf-ner train --help` for each.
    """

    train: str
    output_dir: str
    dev: str | None = None
    test: str | None = None
    format: str = "auto"
    repair: bool = False
    bert_dir: str | None = None
    bert_size: str | None = None
    dropout: float = 0.1
    head: str = "crf"
    scheme: str = "BIO"
    max_length: int = 128
    stride: int = 32
    buckets: tuple[int, ...] | None = None
    head_size: int = 64
    epochs: int = 3
    max_steps: int | None = None
    time_budget: float | None = None
    batch_size: int = 32
    eval_batch_size: int = 64
    learning_rate: float = 5e-5
    head_learning_rate: float | None = None
    warmup: float = 0.1
    bias_correction: bool = True
    weight_decay: float = 0.01
    reinit_top_layers: int = 0
    reinit_pooler: bool = False
    layerwise_lr_decay: float | None = None
    crf_lr_multiplier: float = 1.0
    early_stopping: int | None = None
    seed: int = 42
    strategy: str = "auto"
    mixed_precision: str | None = None
    jit_compile: bool = False

    def __post_init__(self):
        if (self.bert_dir is None) == (self.bert_size is None):
            raise ValueError(
                "give exactly one of bert_dir (a checkpoint) and bert_size (random init)"
            )
        if self.bert_size is not None and self.bert_size not in BERT_SIZES:
            raise ValueError(
                f"bert_size {self.bert_size!r}: expected one of {', '.join(BERT_SIZES)}"
            )
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy {self.strategy!r}: expected one of {', '.join(STRATEGIES)}")
        if self.mixed_precision not in PRECISIONS:
            raise ValueError(
                f"mixed_precision {self.mixed_precision!r}: expected one of {PRECISIONS}"
            )
        window_capacity(self.max_length, self.stride)
        if self.buckets is not None:
            object.__setattr__(self, "buckets", check_buckets(tuple(self.buckets), self.max_length))
        for name in ("epochs", "batch_size", "eval_batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}={getattr(self, name)}: expected a positive int")
        for name in ("learning_rate", "weight_decay", "warmup"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}={getattr(self, name)}: expected >= 0")
        if self.max_steps is not None and self.max_steps < 1:
            raise ValueError(f"max_steps={self.max_steps}: expected a positive int")
        if self.time_budget is not None and self.time_budget <= 0:
            raise ValueError(f"time_budget={self.time_budget}: expected positive minutes")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout={self.dropout}: expected a float in [0, 1)")

    def warmup_steps(self, total_steps):
        return int(round(self.warmup * total_steps)) if self.warmup < 1 else int(self.warmup)

    def to_json(self):
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, values):
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - fields)
        if unknown:
            raise ValueError(f"unknown training setting(s) {unknown}")
        return cls(**values)

    def differences(self, other):
        """`[(name, ours, theirs)]` of the settings that differ."""
        a, b = dataclasses.asdict(self), dataclasses.asdict(other)
        return [(k, a[k], b[k]) for k in a if a[k] != b[k]]
