"""`MaskedLmSettings`: the masked-LM task's own settings, light (the CLI reads their
flags)."""

import dataclasses
from typing import ClassVar

from tf_ner.ground.errors import SettingsError
from tf_ner.ground.settings import check, setting

OBJECTIVES = ("mlm", "electra")


@dataclasses.dataclass(frozen=True)
class MaskedLmSettings:
    """How texts become masked-LM batches, and what pre-training learns.

    Args:
        max_length: tokens per packed row, [CLS] and [SEP]s included (the run's).
        whole_word_masking: bool, mask whole words (jieba words of Chinese text, a
            WordPiece with its `##` continuations otherwise) instead of single tokens.
        mask_rate: float, the share of tokens chosen for prediction (BERT's 15%).
        max_predictions: predictions per row at most (Google: 20 for 128 tokens); set
            from `max_length` and `mask_rate` when training starts.
        do_lower_case: the tokenizer's casing.
        fold_width: the tokenizer's `fold_width` (False in folders written before it).
        objective: `"mlm"` (BERT's masked-token prediction) or `"electra"`
            (replaced-token detection, `tf_ner.tasks.masked_lm.electra`).
        generator_layers: the ELECTRA generator's layers.
    """

    # Rows are packed to `max_length`: the run's variable-length batching does not apply.
    unused_run_settings: ClassVar[tuple] = ("buckets", "batch_tokens")
    # Pre-training is watched by its held-out curve, not by epochs. From scratch, the
    # recipe of the shipped encoder (benchmarks/results/pretraining_recipes.md, the
    # lowest loss at equal steps, then 150 minutes to 51% held-out masked-token accuracy:
    # checkpoints/tf_ner_zh_mini/CARD.md); continuing a checkpoint, the run's defaults
    # (a tuple by `Situation`, None: the run's own default).
    run_defaults: ClassVar[dict] = {
        "eval_every": 250,
        "learning_rate": (5e-4, None),
        "warmup": (0.1, None),
        "adam_beta2": (0.98, None),
        "decay_fraction": (0.2, None),
        "position_init": ("sinusoid", None),
    }

    max_length: int = 128
    whole_word_masking: bool = setting(
        False, "mask whole words (jieba segments Chinese text) instead of tokens"
    )
    mask_rate: float = setting(
        0.15, "the share of tokens chosen for prediction (BERT's 15%%)"
    )
    max_predictions: int = 20
    do_lower_case: bool = True
    fold_width: bool = False
    objective: str = setting(
        "mlm", "what pre-training learns: mlm, BERT's masked-token prediction; electra, "
        "replaced-token detection (a small generator fills the masks, the encoder tells "
        "every token original or replaced; Clark et al. 2020)", choices=OBJECTIVES,
    )  # fmt: skip
    generator_layers: int = setting(
        1, "electra: layers of the generator (the encoder's width, its embeddings shared)"
    )

    def __post_init__(self):
        check(self)
        if not 0 < self.mask_rate <= 1:
            raise SettingsError(f"mask_rate={self.mask_rate}: expected a share in (0, 1]")
        if self.generator_layers < 1:
            raise SettingsError(
                f"generator_layers={self.generator_layers}: expected an int >= 1"
            )
        if self.generator_layers != 1 and self.objective != "electra":
            raise SettingsError(
                f"generator_layers={self.generator_layers} concerns --objective electra, "
                f"not {self.objective}"
            )

    @property
    def electra(self):
        return self.objective == "electra"
