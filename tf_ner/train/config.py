"""TrainConfig: every setting of a training run, validated, saved with the model.

It is the one source of the settings: `tf-ner train`'s flags (names, types, defaults,
choices, help) are built from its fields (`tf_ner.cli`), and `train_config.json` in
the model folder is its JSON. Some defaults depend on the situation and are resolved
by `resolved()`: an encoder trained from random initialisation (`bert_size`) and a
pre-trained one (`bert_dir`) want different learning rates, warmup and dropout.
"""

import dataclasses
import json

from tf_ner.data.buckets import check_buckets
from tf_ner.data.classification.truncation import TRUNCATIONS
from tf_ner.data.windows import window_capacity
from tf_ner.tasks import TASKS
from tf_ner.tasks.classification import POOLINGS
from tf_ner.tasks.ner.heads import HEADS

# Google's compact BERT shapes (Turc et al., "Well-Read Students Learn Better", 2019):
# heads = H / 64, intermediate = 4H.
BERT_SIZES = {
    "tiny": (2, 128),
    "mini": (4, 256),
    "small": (4, 512),
    "medium": (8, 512),
    "base": (12, 768),
}
# Steps between dev scores when `eval_every` is not given (absent: epoch ends only).
EVAL_EVERY_BY_TASK = {"masked_lm": 250}
OBJECTIVES = ("mlm", "electra")
POSITION_INITS = ("random", "sinusoid")
STRATEGIES = ("auto", "default", "mirrored", "multi-worker")
PRECISIONS = ("mixed_bfloat16", "mixed_float16")
SCHEMES = ("BIO", "BIOES")

# Defaults by situation (None in a field means "resolve from here").
# From scratch: the recipe of benchmarks/msra_quality.py (results/msra_quality_mini_25min.md,
# ablation_4min_*.md): a transformer trained from random weights wants a large peak rate,
# a fixed warmup and no dropout within minutes of training.
# Classification pools the [CLS] vector: the pooler's tanh layer from random weights
# at that rate did not train at all within minutes (benchmarks/results/
# classification_quality_mini_4min.md: majority-class accuracy, where cls reached 79%).
FROM_SCRATCH = {
    "learning_rate": 1e-3,
    "warmup": 300,
    "dropout": 0.0,
    "crf_lr_multiplier": 1.0,
    "pooling": "cls",
}
# Fine-tuning: Google's run_classifier.py (5e-5, 10% warmup), the checkpoint's own
# dropout, and the CRF transitions at 1000x the encoder's rate (bert4keras's recipe).
# The classifier on Google's pooler, as run_classifier.py (and Hugging Face's
# BertForSequenceClassification) put it.
PRETRAINED = {
    "learning_rate": 5e-5,
    "warmup": 0.1,
    "dropout": None,
    "crf_lr_multiplier": 1000.0,
    "pooling": "pooler",
}


def setting(default, help, choices=None, flag_type=None, group=None, metavar=None, tasks=None):
    """A `TrainConfig` field with what its command-line flag needs.

    Args:
        default: the default (None: not set, or resolved by situation).
        help: str, the flag's help; "(default ...)" is added from `default`.
        choices: a tuple, or a callable returning one (registries that grow at run time).
        flag_type: callable parsing the flag's text, when the field's type does not.
        group: name of a group of mutually exclusive flags, exactly one required.
        metavar: str shown for the value.
        tasks: the tasks the setting concerns (None: every task); a task's own command
            (`tf-ner pretrain`) shows only its settings.
    """
    metadata = {"help": help, "choices": choices, "flag_type": flag_type, "group": group}
    metadata.update(metavar=metavar, tasks=tasks)
    return dataclasses.field(default=default, metadata=metadata)


def int_list(text):
    """`"32,64,128"` -> `(32, 64, 128)`."""
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"{text!r}: expected comma-separated ints") from None


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Settings of `tf_ner.train.train` (and of `tf-ner train`, flag for flag).

    See `tf-ner train --help` for each; `resolved()` gives the situational defaults.
    """

    train: str = setting(
        None, "training file (any supported format); masked LM: text files (one text per "
        "line) or dataset files, comma-separated"
    )  # fmt: skip
    output_dir: str = setting(None, "folder for the model, logs and curves")
    dev: str | None = setting(None, "dev file: scored each epoch, the best epoch is kept")
    test: str | None = setting(None, "test file: scored once at the end")
    task: str = setting("ner", "what to train", choices=TASKS.names)
    format: str = setting("auto", "dataset format of the files (auto: detect)")
    repair: bool = setting(
        False,
        "read invalid tag sequences (an I- that starts an entity) as seqeval does, counted",
        tasks=("ner",),
    )
    bert_dir: str | None = setting(
        None,
        "Google-format checkpoint folder (bert_config.json, vocab.txt, bert_model.ckpt.*)",
        group="encoder",
    )
    bert_size: str | None = setting(
        None,
        "random initialisation with Google's compact BERT shape",
        choices=tuple(BERT_SIZES),
        group="encoder",
    )
    random_init: bool = setting(
        False, "with --bert-dir: the checkpoint's config and vocabulary with fresh random "
        "weights, trained as from --bert-size (the floor that measures what pre-training "
        "bought, at the same vocabulary and shape)"
    )  # fmt: skip
    position_init: str = setting(
        "random", "starting values of a new encoder's position embeddings: random (BERT's "
        "truncated normal) or sinusoid (Vaswani et al.'s sines and cosines, the same spread: "
        "neighbouring positions start alike; see tf_ner.bert.positions)",
        choices=POSITION_INITS,
    )  # fmt: skip
    dropout: float | None = setting(
        None, "dropout of the encoder and head; unless given: 0 from scratch, the checkpoint's "
        "own with --bert-dir"
    )  # fmt: skip
    head: str = setting("crf", "the NER head", choices=HEADS.names, tasks=("ner",))
    scheme: str = setting(
        "BIO", "tag scheme of the tag heads (crf, softmax)", choices=SCHEMES, tasks=("ner",)
    )
    max_length: int = setting(128, "tokens per window incl. [CLS]/[SEP]")
    stride: int = setting(32, "tokens shared by overlapping windows of long texts", tasks=("ner",))
    buckets: tuple[int, ...] | None = setting(
        None,
        "padded training lengths, e.g. 32,64,128 (default: every 8 tokens up to 128, then "
        "coarser; at most 1/8 padding)",
        flag_type=int_list,
        metavar="N,N,...",
        tasks=("ner", "classification"),
    )
    head_size: int = setting(64, "query/key size of the GlobalPointer heads", tasks=("ner",))
    pooling: str | None = setting(
        None, "classification: the text's vector (Google's pooler, the [CLS] vector, the mean "
        "of the tokens, the last 4 layers' [CLS] vectors concatenated); unless given: cls from "
        "scratch, pooler with --bert-dir", choices=POOLINGS,
        tasks=("classification",),
    )  # fmt: skip
    truncation: str = setting(
        "head", "classification: what a text longer than the window keeps (counted)",
        choices=TRUNCATIONS, tasks=("classification",),
    )  # fmt: skip
    head_tokens: int | None = setting(
        None, "classification, head+tail: tokens kept from the start; unless given: a "
        "quarter of --max-length", tasks=("classification",),
    )  # fmt: skip
    multi_label: bool = setting(
        False, "classification: several labels per text (a sigmoid per label); also set by "
        "a training file whose texts have several labels", tasks=("classification",),
    )  # fmt: skip
    threshold: float = setting(
        0.5,
        "classification, multi-label: probability to predict a label",
        tasks=("classification",),
    )
    mask_rate: float = setting(
        0.15, "masked LM: the share of tokens chosen for prediction (BERT's 15%%)",
        tasks=("masked_lm",),
    )  # fmt: skip
    objective: str = setting(
        "mlm", "masked LM: what pre-training learns: mlm, BERT's masked-token prediction; "
        "electra, replaced-token detection (a small generator fills the masks, the encoder "
        "tells every token original or replaced; Clark et al. 2020)",
        choices=OBJECTIVES, tasks=("masked_lm",),
    )  # fmt: skip
    generator_layers: int = setting(
        1, "masked LM, electra: layers of the generator (the encoder's width, its embeddings "
        "shared)", tasks=("masked_lm",),
    )  # fmt: skip
    whole_word_masking: bool = setting(
        False, "masked LM: mask whole words (jieba segments Chinese text) instead of tokens",
        tasks=("masked_lm",),
    )  # fmt: skip
    epochs: int = setting(3, "training epochs")
    max_steps: int | None = setting(None, "stop after this many optimizer steps")
    time_budget: float | None = setting(
        None, "stop after this many minutes of training, then evaluate and save", metavar="MIN"
    )
    batch_size: int = setting(32, "global batch size (split across replicas)")
    batch_tokens: int | None = setting(
        None, "instead of --batch-size: training batches of at most N padded tokens (many "
        "short windows or few long ones: windows sorted by length and cut greedily, each "
        "batch padded to its longest window, or to its --buckets length if given; with "
        "--jit-compile to the default buckets), every window once per epoch; a loss averaged "
        "over windows (crf, globalpointer, classification) is weighted so that every window "
        "weighs the same in every batch", metavar="N",
        tasks=("ner", "classification"),
    )  # fmt: skip
    eval_batch_size: int = setting(64, "batch size of evaluation")
    learning_rate: float | None = setting(
        None, "peak learning rate of the encoder; unless given: 1e-3 from scratch, 5e-5 with "
        "--bert-dir"
    )  # fmt: skip
    head_learning_rate: float | None = setting(
        None, "peak learning rate of the head; unless given: --learning-rate"
    )
    warmup: float | None = setting(
        None, "warmup: a fraction of the training if < 1 (under --time-budget, of the time), "
        "else steps; unless given: 300 steps from scratch, 0.1 with --bert-dir"
    )  # fmt: skip
    bias_correction: bool = setting(True, "Adam bias correction")
    adam_beta2: float = setting(
        0.999, "Adam's beta_2 (BERT's 0.999; 0.98 steadies pre-training at large rates, as "
        "in RoBERTa and ELECTRA)"
    )  # fmt: skip
    adam_epsilon: float = setting(
        1e-6, "Adam's epsilon, added to the root of the second moment before bias "
        "correction scales the step (Google BERT's 1e-6; PyTorch's AdamW adds 1e-8 after it)"
    )  # fmt: skip
    clip_norm: float = setting(1.0, "clip the gradients to this global norm (0: no clipping)")
    gradient_accumulation: int = setting(
        1, "each optimizer step applies the mean gradient of this many batches (an "
        "effective batch of N x the batch); steps, warmup and --max-steps count optimizer "
        "steps", metavar="N"
    )  # fmt: skip
    decay_fraction: float = setting(
        1.0, "the learning rate decays linearly to 0 over this final share of the training "
        "(of the time under --time-budget) and holds at its peak before it, after warmup; "
        "1: decay from the start, as Google BERT", metavar="F"
    )  # fmt: skip
    weight_decay: float = setting(0.01, "decoupled weight decay (LayerNorm and biases excluded)")
    reinit_top_layers: int = setting(0, "re-initialise the top L encoder layers of the checkpoint")
    reinit_pooler: bool = setting(
        False, "re-initialise the pooler of the checkpoint", tasks=("classification",)
    )
    layerwise_lr_decay: float | None = setting(
        None, "layer-wise learning-rate decay factor, e.g. 0.9"
    )
    pretrained_weight_decay: bool = setting(
        False, "decay the weights towards their pre-trained values instead of 0, at "
        "--weight-decay (needs --bert-dir)"
    )  # fmt: skip
    mixout: float = setting(
        0.0, "Mixout probability P: in training, each element of the encoder's dense "
        "kernels is replaced by its pre-trained value with probability P (rescaled to keep "
        "the expectation); 0 disables; the paper uses it in place of dropout, e.g. with "
        "--dropout 0 (needs --bert-dir)", metavar="P"
    )  # fmt: skip
    crf_lr_multiplier: float | None = setting(
        None, "learning-rate multiplier of the CRF transitions; unless given: 1 from scratch, "
        "1000 with --bert-dir", tasks=("ner",),
    )  # fmt: skip
    eval_every: int | None = setting(
        None, "also score the dev (or held-out) set every N optimizer steps, into "
        "dev_steps.csv and curves.png; unless given: every 250 steps for masked LM, after "
        "each epoch only otherwise", metavar="N"
    )  # fmt: skip
    early_stopping: int | None = setting(
        None, "stop after this many epochs without a better dev score"
    )
    seed: int = setting(42, "random seed")
    strategy: str = setting("auto", "tf.distribute strategy", choices=STRATEGIES)
    mixed_precision: str | None = setting(None, "mixed precision policy", choices=PRECISIONS)
    jit_compile: bool = setting(False, "compile the train step with XLA")

    def __post_init__(self):
        for name in ("train", "output_dir"):
            if not getattr(self, name):
                raise ValueError(f"{name} is required")
        if (self.bert_dir is None) == (self.bert_size is None):
            raise ValueError(
                "give exactly one of bert_dir (a checkpoint) and bert_size (random init)"
            )
        for field in dataclasses.fields(self):
            choices = field.metadata.get("choices")
            value = getattr(self, field.name)
            if choices is None or value is None:
                continue
            allowed = choices() if callable(choices) else choices
            if value not in allowed:
                raise ValueError(f"{field.name} {value!r}: expected one of {', '.join(allowed)}")
        for field in dataclasses.fields(self):
            tasks = field.metadata.get("tasks")
            if tasks and self.task not in tasks and getattr(self, field.name) != field.default:
                raise ValueError(
                    f"{field.name}={getattr(self, field.name)!r} concerns the "
                    f"{' and '.join(tasks)} task(s), not {self.task}"
                )
        # The stride is NER's (long texts in windows); classification truncates instead.
        window_capacity(self.max_length, self.stride if self.task == "ner" else 0)
        if self.buckets is not None:
            object.__setattr__(self, "buckets", check_buckets(tuple(self.buckets), self.max_length))
        for name in ("epochs", "batch_size", "eval_batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}={getattr(self, name)}: expected a positive int")
        self._check_batch_tokens()
        for name in ("learning_rate", "weight_decay", "warmup", "crf_lr_multiplier"):
            if (getattr(self, name) or 0) < 0:
                raise ValueError(f"{name}={getattr(self, name)}: expected >= 0")
        if self.head_size < 2 or self.head_size % 2:
            raise ValueError(f"head_size={self.head_size}: expected an even int >= 2 (RoPE)")
        if self.max_steps is not None and self.max_steps < 1:
            raise ValueError(f"max_steps={self.max_steps}: expected a positive int")
        if self.time_budget is not None and self.time_budget <= 0:
            raise ValueError(f"time_budget={self.time_budget}: expected positive minutes")
        pooling = self.resolved("pooling")
        if self.reinit_pooler and (self.task != "classification" or pooling != "pooler"):
            raise ValueError(
                f"reinit_pooler: the {self.task} task with pooling {pooling!r} does not use "
                f"the pooler (only --task classification --pooling pooler does), so "
                f"re-initialising it would change nothing"
            )
        if self.reinit_top_layers and self.bert_dir is None:
            raise ValueError(
                "reinit_top_layers needs a checkpoint (bert_dir): from random initialisation "
                "every layer is new already"
            )
        if self.reinit_pooler and self.bert_dir is None:
            raise ValueError("reinit_pooler needs a checkpoint (bert_dir) to re-initialise")
        self._check_optimizer_options()
        self._check_few_sample_options()
        if self.dropout is not None and not 0 <= self.dropout < 1:
            raise ValueError(f"dropout={self.dropout}: expected a float in [0, 1)")

    def _check_batch_tokens(self):
        """`batch_tokens` replaces `batch_size` and must hold one full window."""
        if self.batch_tokens is None:
            return
        default = next(f.default for f in dataclasses.fields(self) if f.name == "batch_size")
        if self.batch_size != default:
            raise ValueError(
                f"batch_tokens={self.batch_tokens} and batch_size={self.batch_size}: give "
                f"one of --batch-tokens (tokens per batch) and --batch-size (windows per "
                f"batch), not both"
            )
        if self.batch_tokens < self.max_length:
            raise ValueError(
                f"batch_tokens={self.batch_tokens} is smaller than one window of "
                f"max_length={self.max_length} tokens: give --batch-tokens >= "
                f"{self.max_length} (e.g. {32 * self.max_length // 4}, about 32 windows of "
                f"a quarter of the window)"
            )

    def _check_optimizer_options(self):
        """Adam's beta_2, clipping, accumulation, the decay's share, the dev curve."""
        if not 0 <= self.adam_beta2 < 1:
            raise ValueError(f"adam_beta2={self.adam_beta2}: expected a float in [0, 1)")
        if self.adam_epsilon < 0:
            raise ValueError(f"adam_epsilon={self.adam_epsilon}: expected >= 0")
        if self.clip_norm < 0:
            raise ValueError(f"clip_norm={self.clip_norm}: expected >= 0 (0: no clipping)")
        if self.gradient_accumulation < 1:
            raise ValueError(
                f"gradient_accumulation={self.gradient_accumulation}: expected an int >= 1"
            )
        if not 0 < self.decay_fraction <= 1:
            raise ValueError(f"decay_fraction={self.decay_fraction}: expected a share in (0, 1]")
        if self.eval_every is not None and self.eval_every < 1:
            raise ValueError(f"eval_every={self.eval_every}: expected a positive int")
        if not 0 < self.mask_rate <= 1:
            raise ValueError(f"mask_rate={self.mask_rate}: expected a share in (0, 1]")
        if self.position_init != "random" and self.pretrained:
            raise ValueError(
                f"position_init={self.position_init!r} starts a new encoder: a checkpoint's "
                f"position embeddings are loaded (with --bert-dir add --random-init)"
            )
        if self.generator_layers < 1:
            raise ValueError(f"generator_layers={self.generator_layers}: expected an int >= 1")
        if self.generator_layers != 1 and self.objective != "electra":
            raise ValueError(
                f"generator_layers={self.generator_layers} concerns --objective electra, "
                f"not {self.objective}"
            )

    def _check_few_sample_options(self):
        """Pre-trained weight decay, Mixout and re-initialisation need pre-trained
        weights; `random_init` takes a checkpoint's shape and vocabulary only."""
        if self.random_init:
            if self.bert_dir is None:
                raise ValueError(
                    "random_init takes the config and vocabulary of a checkpoint: give "
                    "--bert-dir (for a compact shape with a vocabulary of the training "
                    "texts, give --bert-size instead)"
                )
            kept = [
                name
                for name in ("reinit_top_layers", "reinit_pooler", "mixout",
                             "pretrained_weight_decay")
                if getattr(self, name)
            ]  # fmt: skip
            if kept:
                raise ValueError(
                    f"random_init leaves no pre-trained weight, which {', '.join(kept)} "
                    f"need: drop --random-init or those options"
                )
        if not 0 <= self.mixout <= 1:
            raise ValueError(f"mixout={self.mixout}: expected a probability in [0, 1]")
        if not self.pretrained:
            if self.mixout:
                raise ValueError(
                    f"mixout={self.mixout} mixes the encoder's weights with their pre-trained "
                    f"values, and a random initialisation (bert_size) has none: give "
                    f"--bert-dir, or leave --mixout at 0"
                )
            if self.pretrained_weight_decay:
                raise ValueError(
                    "pretrained_weight_decay decays the weights towards their pre-trained "
                    "values, and a random initialisation (bert_size) has none: give "
                    "--bert-dir, or drop --pretrained-weight-decay"
                )
        if self.pretrained_weight_decay and not self.weight_decay:
            raise ValueError(
                "pretrained_weight_decay decays at the rate --weight-decay, which is 0: give "
                "--weight-decay > 0, or drop --pretrained-weight-decay"
            )

    @property
    def pretrained(self):
        """True when the encoder starts from a checkpoint's weights."""
        return self.bert_dir is not None and not self.random_init

    def resolved(self, name):
        """A setting's value, or its default for this situation (scratch or pre-trained)."""
        value = getattr(self, name)
        if value is not None:
            return value
        return (PRETRAINED if self.pretrained else FROM_SCRATCH)[name]

    def resolved_eval_every(self):
        """`eval_every`, or its default for the task: masked-LM pre-training is watched
        by its held-out curve every 250 steps; other tasks by their epochs."""
        if self.eval_every is not None:
            return self.eval_every
        return EVAL_EVERY_BY_TASK.get(self.task)

    def warmup_steps(self, total_steps):
        """Warmup in steps, for a run of `total_steps` (a fraction of them if < 1)."""
        warmup = self.resolved("warmup")
        return int(round(warmup * total_steps)) if warmup < 1 else int(warmup)

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
