"""TrainConfig: the run's own settings, validated, saved with the model.

The run's settings are the data files, the encoder, the budget, the optimizer and its
schedule, the strategy and the output folder. The chosen task's own settings (and its
head's) are the task's dataclass, carried in `task_settings` and handed to the task
alone (`tf_ner.ground.settings`). `tf-ner train`'s flags are built from these
dataclasses (`tf_ner.train.flags`), and `train_config.json` in the model folder is
their JSON. Some defaults depend on the situation (`situational`): an encoder trained
from random initialisation (`bert_size`) and a pre-trained one (`bert_dir`) want
different learning rates, warmup and dropout, and a compact pre-trained one a larger
rate than BERT-base.
"""

import dataclasses
import functools
import json
import pathlib

from tf_ner.bert.config import BertConfig
from tf_ner.data.buckets import check_buckets
from tf_ner.data.windows import window_capacity
from tf_ner.ground.errors import SettingsError
from tf_ner.ground.flags import owned_fields, settings_from_flags
from tf_ner.ground.settings import (
    FLAG,
    Situation,
    check,
    default_of,
    differences,
    from_dict,
    setting,
)
from tf_ner.tasks import TASKS

# Google's compact BERT shapes (Turc et al., "Well-Read Students Learn Better", 2019):
# heads = H / 64, intermediate = 4H.
BERT_SIZES = {
    "tiny": (2, 128),
    "mini": (4, 256),
    "small": (4, 512),
    "medium": (8, 512),
    "base": (12, 768),
}
POSITION_INITS = ("random", "sinusoid")
STRATEGIES = ("auto", "default", "mirrored", "multi-worker")
PRECISIONS = ("mixed_bfloat16", "mixed_float16")
# Situational defaults, `situational=(from scratch, pre-trained, compact)`
# (`tf_ner.ground.settings.Situation`). From scratch: the recipe of
# benchmarks/msra_quality.py (results/msra_quality_mini_25min.md, ablation_4min_*.md): a
# transformer trained from random weights wants a large peak rate, a fixed warmup and no
# dropout within minutes of training. Fine-tuning: Google's run_classifier.py (5e-5,
# 10% warmup) and the checkpoint's own dropout. A compact checkpoint (narrower than
# BERT-base) wants a larger rate, as ELECTRA-Small's 3e-4 against Base's 1e-4 (Clark et
# al. 2020, table 7) and Turc et al. 2019's grid up to 3e-4 for BERT's small sizes; ours
# is the rate picked on dev for the reference encoder (L4/H256) on 400 MSRA sentences and
# on 1,000 reviews alike (results/compact_learning_rate.md).
COMPACT_LEARNING_RATE = 2e-4
BERT_ADAM_BETA2 = 0.999


def int_list(text):
    """`"32,64,128"` -> `(32, 64, 128)`."""
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise SettingsError(f"{text!r}: expected comma-separated ints") from None


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Settings of `tf_ner.train.train` (and of `tf-ner train`, flag for flag).

    See `tf-ner train --help` for each. `task_settings` is the task's settings
    dataclass (`TASKS.settings_type(task)`; its defaults if None, read if a dict), its
    `max_length` set to the run's. `resolved()` gives the situational defaults.

    Example:
    ```python
    TrainConfig(train="train.txt", output_dir="runs/gp", bert_dir="checkpoints/bert",
                task_settings=NerSettings(head="globalpointer"))
    ```
    """

    train: str = setting(
        None, "training file (any supported format); masked LM: text files (one text per "
        "line) or dataset files, comma-separated"
    )  # fmt: skip
    output_dir: str = setting(None, "folder for the model, logs and curves")
    dev: str | None = setting(None, "dev file: scored each epoch, the best epoch is kept")
    test: str | None = setting(None, "test file: scored once at the end")
    task: str = setting("ner", "what to train", choices=TASKS.names, variants=TASKS)
    task_settings: object = None
    format: str = setting("auto", "dataset format of the files (auto: detect)")
    repair: bool = setting(
        False, "read invalid tag sequences (an I- that starts an entity) as seqeval does, "
        "counted"
    )  # fmt: skip
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
    position_init: str | None = setting(
        None, "starting values of a new encoder's position embeddings: random (BERT's "
        "truncated normal) or sinusoid (Vaswani et al.'s sines and cosines, the same spread: "
        "neighbouring positions start alike; see tf_ner.bert.positions); unless given: "
        "random, sinusoid for tf-ner pretrain from scratch",
        choices=POSITION_INITS, situational=("random",),
    )  # fmt: skip
    dropout: float | None = setting(
        None, "dropout of the encoder and head; unless given: 0 from scratch, the checkpoint's "
        "own with --bert-dir", situational=(0.0, None),
    )  # fmt: skip
    max_length: int = setting(128, "tokens per window incl. [CLS]/[SEP]")
    fold_width: bool = setting(
        False, "read punctuation the vocabulary lacks as its full-width or half-width twin "
        "when the vocabulary holds that (',' as '，', '!' as '！'); the model folder records it"
    )  # fmt: skip
    buckets: tuple[int, ...] | None = setting(
        None,
        "padded training lengths, e.g. 32,64,128: each batch padded to the shortest that "
        "holds its longest window (default: every length, each batch padded to its longest; "
        "with --jit-compile every 8 tokens up to 128, then coarser)",
        type=int_list,
        metavar="N,N,...",
    )
    epochs: int = setting(3, "training epochs")
    max_steps: int | None = setting(None, "stop after this many optimizer steps")
    time_budget: float | None = setting(
        None, "stop after this many minutes of training, then evaluate and save", metavar="MIN"
    )
    batch_size: int = setting(32, "global batch size (split across replicas)")
    batch_tokens: int | None = setting(
        None, "instead of --batch-size: training batches of at most N padded tokens (many "
        "short windows or few long ones: windows sorted by length and cut greedily, each "
        "batch padded as --buckets says), every window once per epoch; a loss averaged "
        "over windows (crf, globalpointer, classification) is weighted so that every window "
        "weighs the same in every batch", metavar="N",
    )  # fmt: skip
    eval_batch_size: int = setting(64, "batch size of evaluation")
    learning_rate: float | None = setting(
        None, "peak learning rate of the encoder; unless given: 1e-3 from scratch, 5e-5 with "
        f"--bert-dir, {COMPACT_LEARNING_RATE:g} with a --bert-dir narrower than BERT-base "
        "(hidden < 768)", situational=(1e-3, 5e-5, COMPACT_LEARNING_RATE),
    )  # fmt: skip
    head_learning_rate: float | None = setting(
        None, "peak learning rate of the head; unless given: --learning-rate"
    )
    warmup: float | None = setting(
        None, "warmup: a fraction of the training if < 1 (under --time-budget, of the time), "
        "else steps; unless given: 300 steps from scratch, 0.1 with --bert-dir",
        situational=(300, 0.1),
    )  # fmt: skip
    bias_correction: bool = setting(True, "Adam bias correction")
    compile_update: bool = setting(
        True, "compile the optimizer's per-variable steps as one XLA cluster (the same "
        "numbers to float32 rounding, several times faster on CPU; not under several "
        "replicas, where each variable updates on its own)"
    )  # fmt: skip
    adam_beta2: float | None = setting(
        None, "Adam's beta_2; unless given: BERT's 0.999, 0.98 for tf-ner pretrain from "
        "scratch (it steadies pre-training at large rates, as in RoBERTa and ELECTRA)",
        situational=(BERT_ADAM_BETA2,),
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
    decay_fraction: float | None = setting(
        None, "the learning rate decays linearly to 0 over this final share of the training "
        "(of the time under --time-budget) and holds at its peak before it, after warmup; "
        "1: decay from the start, as Google BERT; unless given: 1, 0.2 for tf-ner pretrain "
        "from scratch", metavar="F", situational=(1.0,),
    )  # fmt: skip
    weight_decay: float = setting(0.01, "decoupled weight decay (LayerNorm and biases excluded)")
    reinit_top_layers: int = setting(0, "re-initialise the top L encoder layers of the checkpoint")
    reinit_pooler: bool = setting(
        False, "re-initialise the pooler of the checkpoint (a model that reads the pooler: "
        "classification with --pooling pooler)"
    )  # fmt: skip
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
    eval_every: int | None = setting(
        None, "also score the dev (or held-out) set every N optimizer steps, into "
        "dev_steps.csv and curves.png; unless given: the task's own (masked LM: every 250 "
        "steps), else after each epoch only", metavar="N"
    )  # fmt: skip
    early_stopping: int | None = setting(
        None, "stop after this many epochs without a better dev score"
    )
    seed: int = setting(42, "random seed")
    strategy: str = setting("auto", "tf.distribute strategy", choices=STRATEGIES)
    mixed_precision: str | None = setting(None, "mixed precision policy", choices=PRECISIONS)
    jit_compile: bool = setting(False, "compile the train step with XLA")

    def __post_init__(self):
        check(self)
        settings = dataclasses.replace(self.task_settings, max_length=self.max_length)
        object.__setattr__(self, "task_settings", settings)
        for name in ("train", "output_dir"):
            if not getattr(self, name):
                raise SettingsError(f"{name} is required")
        if (self.bert_dir is None) == (self.bert_size is None):
            raise SettingsError(
                "give exactly one of bert_dir (a checkpoint) and bert_size (random init)"
            )
        for name in getattr(type(settings), "unused_run_settings", ()):
            if getattr(self, name) != default_of(TrainConfig, name):
                raise SettingsError(
                    f"{name}={getattr(self, name)!r} does not apply to the {self.task} task"
                )
        window_capacity(self.max_length, 0)
        if self.buckets is not None:
            object.__setattr__(self, "buckets", check_buckets(tuple(self.buckets), self.max_length))
        for name in ("epochs", "batch_size", "eval_batch_size"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{name}={getattr(self, name)}: expected a positive int")
        self._check_batch_tokens()
        for name in ("learning_rate", "weight_decay", "warmup"):
            if (getattr(self, name) or 0) < 0:
                raise SettingsError(f"{name}={getattr(self, name)}: expected >= 0")
        if self.max_steps is not None and self.max_steps < 1:
            raise SettingsError(f"max_steps={self.max_steps}: expected a positive int")
        if self.time_budget is not None and self.time_budget <= 0:
            raise SettingsError(f"time_budget={self.time_budget}: expected positive minutes")
        for name in ("reinit_top_layers", "reinit_pooler"):
            if getattr(self, name) and self.bert_dir is None:
                raise SettingsError(
                    f"{name} needs a checkpoint (bert_dir) to re-initialise part of: from "
                    f"random initialisation every layer is new already"
                )
        self._check_optimizer_options()
        self._check_few_sample_options()
        if self.dropout is not None and not 0 <= self.dropout < 1:
            raise SettingsError(f"dropout={self.dropout}: expected a float in [0, 1)")

    def _check_batch_tokens(self):
        """`batch_tokens` replaces `batch_size` and must hold one full window."""
        if self.batch_tokens is None:
            return
        if self.batch_size != default_of(TrainConfig, "batch_size"):
            raise SettingsError(
                f"batch_tokens={self.batch_tokens} and batch_size={self.batch_size}: give "
                f"one of --batch-tokens (tokens per batch) and --batch-size (windows per "
                f"batch), not both"
            )
        if self.batch_tokens < self.max_length:
            raise SettingsError(
                f"batch_tokens={self.batch_tokens} is smaller than one window of "
                f"max_length={self.max_length} tokens: give --batch-tokens >= "
                f"{self.max_length} (e.g. {32 * self.max_length // 4}, about 32 windows of "
                f"a quarter of the window)"
            )

    def _check_optimizer_options(self):
        """Adam's beta_2, clipping, accumulation, the decay's share, the dev curve."""
        if self.adam_beta2 is not None and not 0 <= self.adam_beta2 < 1:
            raise SettingsError(f"adam_beta2={self.adam_beta2}: expected a float in [0, 1)")
        if self.adam_epsilon < 0:
            raise SettingsError(f"adam_epsilon={self.adam_epsilon}: expected >= 0")
        if self.clip_norm < 0:
            raise SettingsError(f"clip_norm={self.clip_norm}: expected >= 0 (0: no clipping)")
        if self.gradient_accumulation < 1:
            raise SettingsError(
                f"gradient_accumulation={self.gradient_accumulation}: expected an int >= 1"
            )
        if self.decay_fraction is not None and not 0 < self.decay_fraction <= 1:
            raise SettingsError(f"decay_fraction={self.decay_fraction}: expected a share in (0, 1]")
        if self.eval_every is not None and self.eval_every < 1:
            raise SettingsError(f"eval_every={self.eval_every}: expected a positive int")
        if self.position_init not in (None, "random") and self.pretrained:
            raise SettingsError(
                f"position_init={self.position_init!r} starts a new encoder: a checkpoint's "
                f"position embeddings are loaded (with --bert-dir add --random-init)"
            )

    def _check_few_sample_options(self):
        """Pre-trained weight decay, Mixout and re-initialisation need pre-trained
        weights; `random_init` takes a checkpoint's shape and vocabulary only."""
        if self.random_init:
            if self.bert_dir is None:
                raise SettingsError(
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
                raise SettingsError(
                    f"random_init leaves no pre-trained weight, which {', '.join(kept)} "
                    f"need: drop --random-init or those options"
                )
        if not 0 <= self.mixout <= 1:
            raise SettingsError(f"mixout={self.mixout}: expected a probability in [0, 1]")
        if not self.pretrained:
            if self.mixout:
                raise SettingsError(
                    f"mixout={self.mixout} mixes the encoder's weights with their pre-trained "
                    f"values, and a random initialisation (bert_size) has none: give "
                    f"--bert-dir, or leave --mixout at 0"
                )
            if self.pretrained_weight_decay:
                raise SettingsError(
                    "pretrained_weight_decay decays the weights towards their pre-trained "
                    "values, and a random initialisation (bert_size) has none: give "
                    "--bert-dir, or drop --pretrained-weight-decay"
                )
        if self.pretrained_weight_decay and not self.weight_decay:
            raise SettingsError(
                "pretrained_weight_decay decays at the rate --weight-decay, which is 0: give "
                "--weight-decay > 0, or drop --pretrained-weight-decay"
            )

    @property
    def pretrained(self):
        """True when the encoder starts from a checkpoint's weights."""
        return self.bert_dir is not None and not self.random_init

    @functools.cached_property
    def situation(self):
        """The `Situation` of the encoder: from scratch, or pre-trained and as wide as
        BERT-base or narrower (compact; read from `bert_dir`'s bert_config.json).

        Raises:
            MissingFileError, BertConfigError: no readable bert_config.json in `bert_dir`.
        """
        if not self.pretrained:
            return Situation.SCRATCH
        bert_config = BertConfig.from_json_file(pathlib.Path(self.bert_dir) / "bert_config.json")
        return Situation.of_checkpoint(bert_config.hidden_size)

    def resolved(self, name):
        """A setting's value; unless given, the task's default for it in this `situation`
        (its settings' `run_defaults`), else the setting's own default for it."""
        value = getattr(self, name)
        if value is None:
            task_defaults = getattr(type(self.task_settings), "run_defaults", {})
            value = self._in_situation(task_defaults.get(name))
        if value is None:
            field = next(f for f in dataclasses.fields(self) if f.name == name)
            value = self._in_situation(field.metadata[FLAG].situational)
        return value

    def _in_situation(self, default):
        """A default's value here: a tuple by `Situation` (one value: every situation)."""
        return self.situation.pick(default) if isinstance(default, tuple) else default

    def warmup_steps(self, total_steps):
        """Warmup in steps, for a run of `total_steps` (a fraction of them if < 1)."""
        warmup = self.resolved("warmup")
        return int(round(warmup * total_steps)) if warmup < 1 else int(warmup)

    def to_json(self):
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_flags(cls, **values):
        """The config of `tf-ner train`'s flags given as keywords, each handed to its
        owner (the run, the task or the head), the others at their defaults.

        Example:
        ```python
        TrainConfig.from_flags(train="train.txt", output_dir="runs/gp", bert_size="tiny",
                               head="globalpointer", head_size=32)
        ```

        Raises:
            SettingsError: a name that is no flag, or a flag of a task or head not chosen.
        """
        owned = owned_fields(cls)
        unknown = sorted(set(values) - set(owned))
        if unknown:
            raise SettingsError(f"unknown setting(s) {unknown}; see tf-ner train --help")
        defaults = {name: item.field.default for name, item in owned.items()}
        return settings_from_flags(cls, {**defaults, **values}, defaults)

    @classmethod
    def from_dict(cls, values):
        """The config of `to_json`'s JSON; unknown keys refused."""
        return from_dict(cls, values, "training settings")

    def differences(self, other):
        """`[(name, ours, theirs)]` of the settings that differ (`task_settings.head`)."""
        return differences(self, other)
