"""A registry of two made-up variants with settings of their own, for the ground tests."""

import dataclasses

from tf_ner.ground.errors import SettingsError
from tf_ner.ground.registry import Registry
from tf_ner.ground.settings import check, setting


@dataclasses.dataclass(frozen=True)
class Shared:
    depth: int = setting(2, "how deep")

    def __post_init__(self):
        check(self)


@dataclasses.dataclass(frozen=True)
class Wide(Shared):
    width: int | None = setting(None, "how wide; unless given: 1 from scratch, 8 pre-trained",
                                situational=(1, 8))  # fmt: skip


# The modules do not exist: settings types are read without importing a variant.
BUILTIN = {"tall": ("nowhere.tall", Shared), "wide": ("nowhere.wide", Wide)}
KINDS = Registry("kind", "tests.ground.kinds", BUILTIN, attribute="KIND")


@dataclasses.dataclass(frozen=True)
class Top:
    kind: str = setting("tall", "the kind", choices=KINDS.names, variants=KINDS)
    kind_settings: object = None
    rate: float | None = setting(None, "a rate", situational=(0.5, 0.1, 0.3))
    label: str = "made from data"

    def __post_init__(self):
        check(self)
        if self.rate is not None and self.rate < 0:
            raise SettingsError(f"rate={self.rate}: expected >= 0")
