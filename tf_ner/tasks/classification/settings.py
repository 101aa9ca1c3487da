"""`ClassificationSettings`: the classification task's own settings, light (the CLI
reads their flags)."""

import dataclasses

from tf_ner.data.classification.truncation import TRUNCATIONS
from tf_ner.ground.errors import SettingsError
from tf_ner.ground.settings import check, setting

# The text vectors `pooling.TextPooling` makes.
POOLINGS = ("pooler", "cls", "mean", "concat-last-4")


@dataclasses.dataclass(frozen=True)
class ClassificationSettings:
    """Everything besides the encoder that a trained classifier needs to run again.

    Args:
        labels: the classes (sorted; a class's id is its index), from the training data.
        multi_label: bool, several labels per text (sigmoid per class) instead of one
            (softmax); also set by a training file whose texts have several labels.
        threshold: float in (0, 1), the probability above which a class is predicted
            (multi-label).
        pooling: one of `POOLINGS`; None: `cls` from scratch (the pooler's tanh layer
            from random weights did not train within minutes, benchmarks/results/
            classification_quality_mini_4min.md), `pooler` on a pre-trained encoder
            (Google's run_classifier.py, Hugging Face's BertForSequenceClassification).
        truncation: one of `TRUNCATIONS` (texts longer than the window).
        head_tokens: tokens kept from the start with `"head+tail"`; None: a quarter of
            `max_length`.
        max_length: tokens per window, [CLS] and [SEP] included (the run's).
        do_lower_case: the tokenizer's casing.
        fold_width: the tokenizer's `fold_width` (False in folders written before it).
    """

    labels: tuple = ()
    multi_label: bool = setting(
        False, "several labels per text (a sigmoid per label); also set by a training file "
        "whose texts have several labels"
    )  # fmt: skip
    threshold: float = setting(0.5, "multi-label: probability to predict a label")
    pooling: str | None = setting(
        None, "the text's vector (Google's pooler, the [CLS] vector, the mean of the tokens, "
        "the last 4 layers' [CLS] vectors concatenated); unless given: cls from scratch, "
        "pooler with --bert-dir", choices=POOLINGS, situational=("cls", "pooler"),
    )  # fmt: skip
    truncation: str = setting(
        "head", "what a text longer than the window keeps (counted)", choices=TRUNCATIONS
    )
    head_tokens: int | None = setting(
        None, "head+tail: tokens kept from the start; unless given: a quarter of --max-length"
    )
    max_length: int = 128
    do_lower_case: bool = True
    fold_width: bool = False

    def __post_init__(self):
        check(self)
        object.__setattr__(self, "labels", tuple(sorted(set(self.labels))))
        if not 0 < self.threshold < 1:
            raise SettingsError(f"threshold={self.threshold}: expected a probability in (0, 1)")
        if self.head_tokens is not None and not 0 <= self.head_tokens <= self.max_length - 2:
            raise SettingsError(
                f"head_tokens={self.head_tokens}: expected 0..max_length - 2 = "
                f"{self.max_length - 2}"
            )
