"""Command-line flags built from settings dataclasses (`tf_ner.ground.settings`).

Every flag field of a settings dataclass becomes `--field-name`, with the field's
default, type, choices and help; a field that chooses a variant (a task, a head) brings
the flag fields of every variant's settings, in a group per variant, so that `--help`
shows whose each flag is. A field declared by several variants (the tag scheme of
the crf and softmax heads) is one flag, in one group that names them all.

`settings_from_flags` builds the nested settings back from the parsed values and
refuses a flag given for a variant that was not chosen, naming whose flag it is.
"""

import argparse
import dataclasses

from tf_ner.ground.errors import SettingsError
from tf_ner.ground.settings import FLAG, flag_fields, variants_field


@dataclasses.dataclass
class _Owned:
    """A flag field and the variants that declare it (`[(registry, name), ...]`)."""

    field: dataclasses.Field
    owners: list


def owned_fields(settings_type, owner=(), only=None):
    """`{name: _Owned}` of every flag field under `settings_type`, variants included.

    Args:
        owner: the `(registry, name)` pairs that lead here (() for the top).
        only: `{registry kind: name}`: of those registries, that variant alone.

    Raises:
        SettingsError: two declarations of one name that differ (default, help,
            choices or type): each flag has one meaning.
    """
    only = only or {}
    found = {}

    def add(field, where):
        known = found.get(field.name)
        if known is None:
            found[field.name] = _Owned(field, [where])
            return
        if (known.field.default, known.field.metadata) != (field.default, field.metadata):
            raise SettingsError(
                f"the setting {field.name} is declared differently by {_title(known.owners)} "
                f"and {_title([where])}: give one of them another name"
            )
        if where not in known.owners:
            known.owners.append(where)

    for field in flag_fields(settings_type):
        add(field, owner)
    for field in flag_fields(settings_type):  # the variants' flags after one's own
        registry = field.metadata[FLAG].variants
        if registry is None:
            continue
        names = [only[registry.kind]] if registry.kind in only else registry.names()
        for name in names:
            inner = owned_fields(registry.settings_type(name), (registry, name), only)
            for item in inner.values():
                for where in item.owners:
                    add(item.field, where)
    return found


def _title(owners):
    """`"--head crf, softmax"` for the owners of a group of flags; the run: `"the run"`."""
    if owners == [()]:
        return "the run"
    kinds = {}
    for registry, name in owners:
        kinds.setdefault(registry.kind, []).append(name)
    return "; ".join(f"--{kind} {', '.join(names)}" for kind, names in kinds.items())


def add_flags(parser, settings_type, defaults=None, required=(), only=None, hidden=()):
    """Adds a flag per flag field under `settings_type` to `parser`, grouped by owner.

    Args:
        defaults: dict by field name, replacing the fields' defaults (a group of
            exclusive flags with a value there is not required).
        required: names of the flags that must be given.
        only: `{registry kind: name}`, see `owned_fields`.
        hidden: names of flags to leave out.
    """
    defaults = defaults or {}
    parser.formatter_class = _with_defaults(parser.formatter_class)
    owned = owned_fields(settings_type, only=only)
    given_groups = {
        item.field.metadata[FLAG].group for item in owned.values() if defaults.get(item.field.name)
    }
    groups, exclusive = {}, {}
    for name, item in owned.items():
        if name in hidden:
            continue
        field, flag = item.field, item.field.metadata[FLAG]
        title = _title(item.owners)
        if title not in groups:
            groups[title] = parser if title == "the run" else parser.add_argument_group(title)
        target = groups[title]
        if flag.group:
            if flag.group not in exclusive:
                exclusive[flag.group] = target.add_mutually_exclusive_group(
                    required=flag.group not in given_groups
                )
            target = exclusive[flag.group]
        options = {"help": flag.help, "dest": name, "default": defaults.get(name, field.default)}
        kind = _base_type(field.type)
        if kind is bool:
            options["action"] = argparse.BooleanOptionalAction
        else:
            options.update(type=flag.type or kind, metavar=flag.metavar)
            if flag.choices is not None:
                options["choices"] = list(flag.allowed())
        if name in required:
            options["required"] = True
        target.add_argument("--" + name.replace("_", "-"), **options)


def settings_from_flags(settings_type, values, defaults):
    """The settings that parsed flag values describe, variants' settings nested.

    Args:
        values: dict by field name (`vars(parser.parse_args(...))`).
        defaults: dict by field name: the parser's defaults (a value that differs was
            given on the command line).

    Raises:
        SettingsError: a flag given that belongs to a variant not chosen, named with
            its owners; or what the settings themselves refuse.
    """
    used = set()
    settings = _build(settings_type, values, used)
    owned = owned_fields(settings_type)
    for name, item in owned.items():
        if name not in used and name in values and values[name] != defaults.get(name):
            flag = "--" + name.replace("_", "-")
            raise SettingsError(
                f"{flag} is a setting of {_title(item.owners)}, not of this run "
                f"({_chosen(settings)})"
            )
    return settings


def _build(settings_type, values, used):
    kwargs = {}
    for field in flag_fields(settings_type):
        if field.name not in values:
            continue
        kwargs[field.name] = values[field.name]
        used.add(field.name)
        registry = field.metadata[FLAG].variants
        if registry is not None and values[field.name] in registry.names():
            inner = registry.settings_type(values[field.name])
            kwargs[variants_field(field.name)] = _build(inner, values, used)
    return settings_type(**kwargs)


def flag_values(settings):
    """`{name: value}` of the flag fields of `settings` and of its chosen variants'."""
    values = {}
    for field in flag_fields(settings):
        values[field.name] = getattr(settings, field.name)
        if field.metadata[FLAG].variants is not None:
            values.update(flag_values(getattr(settings, variants_field(field.name))))
    return values


def _chosen(settings):
    """`"--task ner --head crf"`: the variants chosen in `settings`."""
    parts = []
    for field in flag_fields(settings):
        registry = field.metadata[FLAG].variants
        if registry is not None:
            parts.append(f"--{registry.kind} {getattr(settings, field.name)}")
            inner = _chosen(getattr(settings, variants_field(field.name)))
            parts += [inner] if inner else []
    return " ".join(parts)


def _with_defaults(formatter_class):
    """`formatter_class` that adds "(default X)" to an option's help when X is not None.

    At format time, so that a default changed later (`parser.set_defaults`, as the
    examples do with their recipes) is the one shown.
    """

    class WithDefaults(formatter_class):
        def _get_help_string(self, action):
            text = action.help or ""
            shown = action.default not in (None, argparse.SUPPRESS)
            if shown and action.option_strings and "%(default)" not in text:
                text += " (default %(default)s)"
            return text

    return WithDefaults


def _base_type(annotation):
    """`int` for `int | None`, `float` for `float | None`, ... (`tuple[...]`: None)."""
    for kind in (bool, int, float, str):
        if annotation is kind or kind in getattr(annotation, "__args__", ()):
            return kind
    return None
