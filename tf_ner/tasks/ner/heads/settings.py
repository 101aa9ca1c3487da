"""The settings of the built-in NER heads.

Light dataclasses (no TensorFlow), apart from the heads that use them, so that the
command line lists every head's flags without importing a head. A head outside the
package declares its settings beside it (its `settings_type`).
"""

import dataclasses

from tf_ner.ground.errors import SettingsError
from tf_ner.ground.settings import check, setting

SCHEMES = ("BIO", "BIOES")


@dataclasses.dataclass(frozen=True)
class TagSettings:
    """Settings of a head that predicts one tag per token.

    Args:
        scheme: the tag scheme, `"BIO"` or `"BIOES"`.
    """

    scheme: str = setting("BIO", "tag scheme", choices=SCHEMES)

    def __post_init__(self):
        check(self)


@dataclasses.dataclass(frozen=True)
class CrfSettings(TagSettings):
    """Settings of the CRF head.

    Args:
        scheme: as `TagSettings`.
        crf_lr_multiplier: float, learning-rate multiplier of the CRF transitions; None:
            1 from scratch, 1000 on a pre-trained encoder (bert4keras's recipe for a
            CRF on BERT: its transitions start from zero while the encoder is trained),
            100 on a compact one, whose encoder rate is 4x BERT-base's (measured on the
            reference encoder: results/compact_learning_rate.md).
    """

    crf_lr_multiplier: float | None = setting(
        None, "learning-rate multiplier of the CRF transitions; unless given: 1 from scratch, "
        "1000 with --bert-dir, 100 with a --bert-dir narrower than BERT-base",
        situational=(1.0, 1000.0, 100.0),
    )  # fmt: skip

    def __post_init__(self):
        super().__post_init__()
        if self.crf_lr_multiplier is not None and self.crf_lr_multiplier < 0:
            raise SettingsError(f"crf_lr_multiplier={self.crf_lr_multiplier}: expected >= 0")


@dataclasses.dataclass(frozen=True)
class GlobalPointerSettings:
    """Settings of the GlobalPointer heads.

    Args:
        head_size: int, the query/key size (even: RoPE rotates pairs of dimensions).
    """

    head_size: int = setting(64, "query/key size")

    def __post_init__(self):
        check(self)
        if not isinstance(self.head_size, int) or self.head_size < 2 or self.head_size % 2:
            raise SettingsError(
                f"head_size={self.head_size!r}: expected an even int >= 2 (RoPE)"
            )
