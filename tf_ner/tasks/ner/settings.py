"""`NerSettings`: the NER task's own settings, light (the CLI reads their flags)."""

import dataclasses

from tf_ner.data.windows import window_capacity
from tf_ner.ground.settings import check, setting
from tf_ner.tasks.ner.heads import HEADS


@dataclasses.dataclass(frozen=True)
class NerSettings:
    """Everything besides the encoder that a trained NER model needs to run again.

    Args:
        head: a registered head name (`tf_ner.tasks.ner.heads.HEADS`).
        stride: tokens shared by consecutive windows of a long text.
        sentence_cuts: windows of a long text end at sentence ends where they can, the
            next starting with the next sentence, without overlap
            (`tf_ner.data.windows`). Folders written before it get it too: windows
            are chosen at prediction, the weights do not depend on them.
        head_settings: the head's own settings (its `settings_type`); None: its defaults.
        types: entity types (sorted; a type's id is its index), from the training data.
        max_length: tokens per window, [CLS] and [SEP] included (the run's).
        do_lower_case: the tokenizer's casing.
        fold_width: the tokenizer's `fold_width` (False in folders written before it).
    """

    head: str = setting("crf", "the NER head", choices=HEADS.names, variants=HEADS)
    stride: int = setting(32, "tokens shared by overlapping windows of long texts")
    sentence_cuts: bool = setting(
        True,
        "end a long text's windows at sentence ends (。！？!?；;) where one is in reach, "
        "the next window starting with the next sentence, without overlap",
    )
    head_settings: object = None
    types: tuple = ()
    max_length: int = 128
    do_lower_case: bool = True
    fold_width: bool = False

    def __post_init__(self):
        check(self)
        object.__setattr__(self, "types", tuple(sorted(set(self.types))))
        window_capacity(self.max_length, self.stride)
