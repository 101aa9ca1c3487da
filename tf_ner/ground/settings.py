"""Settings: frozen dataclasses whose fields carry what their command-line flags need.

Whoever uses settings declares them: the run (`tf_ner.train.config.TrainConfig`), each
task and each NER head, each in its own dataclass. A field made by `setting(...)` is a
flag (`--field-name`) with its help, choices, parser and metavar
(`tf_ner.ground.flags` builds the flags); a plain field is not (a value the task takes
from the training data, such as the entity types).

A field may choose a variant of a registry (`variants=TASKS`, `variants=HEADS`): the
chosen variant's own settings then live in the field named `<field>_settings`, so the
run's settings hold the task's and the NER task's hold its head's. A default that
depends on where the encoder starts (`Situation`) is None with
`situational=(from_scratch, pretrained)` or `(from_scratch, pretrained, compact)`.
"""

import dataclasses
import enum

from tf_ner.ground.errors import SettingsError

FLAG = "flag"
# Narrower than BERT-base (hidden 768) a pre-trained encoder is `Situation.COMPACT`.
BASE_HIDDEN_SIZE = 768


class Situation(enum.IntEnum):
    """Where the encoder starts, which situational defaults depend on; the value indexes
    a `situational` tuple (a pair gives COMPACT the PRETRAINED default)."""

    SCRATCH = 0  # random weights: --bert-size, or --bert-dir with --random-init
    PRETRAINED = 1  # a checkpoint at least as wide as BERT-base
    COMPACT = 2  # a checkpoint narrower than BERT-base

    @classmethod
    def of_checkpoint(cls, hidden_size):
        """The situation of a pre-trained encoder `hidden_size` wide."""
        return cls.COMPACT if hidden_size < BASE_HIDDEN_SIZE else cls.PRETRAINED

    def pick(self, situational):
        """This situation's value of a `situational` tuple."""
        return situational[min(self, len(situational) - 1)]


@dataclasses.dataclass(frozen=True)
class Flag:
    """What a settings field's flag needs (see `setting`)."""

    help: str
    choices: object = None
    type: object = None
    metavar: str | None = None
    group: str | None = None
    situational: tuple | None = None
    variants: object = None

    def allowed(self):
        """The choices as a tuple (a registry's names are read now), or None."""
        return self.choices() if callable(self.choices) else self.choices


def setting(default, help, *, choices=None, type=None, metavar=None, group=None,
            situational=None, variants=None):  # fmt: skip
    """A dataclass field that is also a flag.

    Args:
        default: the default (None: not set, or resolved by `situational`).
        help: str, the flag's help; "(default ...)" is added from `default`.
        choices: a tuple, or a callable returning one (a registry's `names`).
        type: callable parsing the flag's text, when the field's type does not.
        metavar: str shown for the value.
        group: name of a group of mutually exclusive flags, exactly one required.
        situational: `(from_scratch, pretrained)` or `(from_scratch, pretrained,
            compact)`, the default of each `Situation` when `default` is None.
        variants: a `Registry` the value names a variant of; the variant's settings
            live in the field `<name>_settings`.
    """
    flag = Flag(help, choices, type, metavar, group, situational, variants)
    return dataclasses.field(default=default, metadata={FLAG: flag})


def flag_fields(settings_type):
    """The fields of a settings dataclass (or instance) that are flags."""
    return [f for f in dataclasses.fields(settings_type) if FLAG in f.metadata]


def variants_field(name):
    """The field that holds the settings of the variant that the field `name` chooses."""
    return f"{name}_settings"


def check(settings):
    """Checks every flag field's choices and sets each chosen variant's settings (its
    defaults if None, read if a dict). Call it first in `__post_init__`.

    Raises:
        SettingsError: a value outside its choices, or variant settings of another type.
    """
    for field in flag_fields(settings):
        flag, value = field.metadata[FLAG], getattr(settings, field.name)
        if flag.choices is not None and value is not None:
            allowed = flag.allowed()
            if value not in allowed:
                raise SettingsError(
                    f"{field.name} {value!r}: expected one of {', '.join(map(str, allowed))}"
                )
        if flag.variants is not None:
            _set_variant_settings(settings, field.name, flag.variants)


def _set_variant_settings(settings, name, registry):
    key, chosen = variants_field(name), getattr(settings, name)
    expected = registry.settings_type(chosen)
    value = getattr(settings, key)
    if value is None:
        value = expected()
    elif isinstance(value, dict):
        value = from_dict(expected, value, f"{key} of the {registry.kind} {chosen}")
    elif type(value) is not expected:
        raise SettingsError(
            f"{key}: {type(value).__name__} given, but the {registry.kind} {chosen!r} takes "
            f"{expected.__name__}"
        )
    object.__setattr__(settings, key, value)


def from_dict(settings_type, values, where):
    """`settings_type(**values)`, unknown keys refused.

    Raises:
        SettingsError: keys that are no field, named with `where` and the fields.
    """
    names = {f.name for f in dataclasses.fields(settings_type)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise SettingsError(f"{where}: unknown setting(s) {unknown}; expected {sorted(names)}")
    return settings_type(**values)


def resolved(settings, situation):
    """`settings` with each situational default set (the chosen variants' too).

    Args:
        situation: a `Situation`, where the encoder starts.
    """
    changes = {}
    for field in flag_fields(settings):
        flag, value = field.metadata[FLAG], getattr(settings, field.name)
        if flag.situational is not None and value is None:
            changes[field.name] = Situation(situation).pick(flag.situational)
        if flag.variants is not None:
            key = variants_field(field.name)
            changes[key] = resolved(getattr(settings, key), situation)
    return dataclasses.replace(settings, **changes)


def default_of(settings_type, name):
    """The declared default of the field `name`."""
    return next(f.default for f in dataclasses.fields(settings_type) if f.name == name)


def differences(ours, theirs, prefix=""):
    """`[(name, ours, theirs)]` of the values that differ, nested ones as `a.b`."""
    found = []
    for field in dataclasses.fields(ours):
        a, b = getattr(ours, field.name), getattr(theirs, field.name)
        name = prefix + field.name
        if dataclasses.is_dataclass(a) and type(a) is type(b):
            found += differences(a, b, name + ".")
        elif a != b:
            found.append((name, a, b))
    return found
