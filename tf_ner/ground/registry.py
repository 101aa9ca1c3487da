"""A registry of named variants (tasks, heads), built in or found in other packages.

A variant has a `name` and a `settings_type` (the dataclass of its own settings,
`tf_ner.ground.settings`). It comes from one of three places, the first that has the
name winning:

- `register(variant)`: defined by code in this process (a user's head in a script);
- built in: one line `name: (module, settings_type)`; the module defines the variant
  as `attribute` and is imported on first use, while the settings type is light, so
  the CLI lists every name and flag without importing TensorFlow;
- an entry point of the registry's group (`importlib.metadata`, the convention pytest
  plugins use): a variant of another installed package, declared in its metadata as
  `NAME = package.module:OBJECT`, imported when first used (its flags included).
"""

import importlib
import importlib.metadata

from tf_ner.ground.errors import SettingsError


class Registry:
    """Names -> variants.

    Args:
        kind: str, what the variants are ("task", "head"), for messages and flags.
        group: str, the entry-point group of other packages' variants ("tf_ner.heads").
        builtin: dict `{name: (module, settings_type)}`.
        attribute: str, the module-level name of the variant in each built-in module.

    Example:
    ```python
    HEADS = Registry("head", "tf_ner.heads", {"crf": ("tf_ner.tasks.ner.heads.crf",
                     CrfSettings)}, attribute="HEAD")
    HEADS.get("crf").build_model(...)
    ```
    """

    def __init__(self, kind, group, builtin, attribute):
        self.kind = kind
        self.group = group
        self.builtin = dict(builtin)
        self.attribute = attribute
        self.registered = {}
        self._entry_points = None

    def entry_points(self):
        """`{name: EntryPoint}` of the group, read once from the installed metadata."""
        if self._entry_points is None:
            found = importlib.metadata.entry_points(group=self.group)
            self._entry_points = {entry.name: entry for entry in found}
        return self._entry_points

    def names(self):
        """Every name: built-in ones first, then registered ones, then entry points."""
        return tuple(dict.fromkeys([*self.builtin, *self.registered, *self.entry_points()]))

    def register(self, variant):
        """Adds `variant` under `variant.name` (replacing one of that name); returns it."""
        name = getattr(variant, "name", None)
        if not isinstance(name, str) or not name:
            raise SettingsError(f"a {self.kind} needs a non-empty str `name`, got {variant!r}")
        if getattr(variant, "settings_type", None) is None:
            raise SettingsError(
                f"{self.kind} {name!r} has no `settings_type` (a dataclass of its settings; "
                f"an empty one if it has none)"
            )
        self.registered[name] = variant
        return variant

    def get(self, name):
        """The variant called `name`, its module imported if needed.

        Raises:
            SettingsError: no variant of that name (the known ones named), or an entry
                point whose object is not a variant of that name.
        """
        if name in self.registered:
            return self.registered[name]
        if name in self.builtin:
            module, _ = self.builtin[name]
            return getattr(importlib.import_module(module), self.attribute)
        entry = self.entry_points().get(name)
        if entry is None:
            known = ", ".join(self.names())
            raise SettingsError(f"unknown {self.kind} {name!r}; expected one of {known}")
        variant = entry.load()
        if getattr(variant, "name", None) != name:
            raise SettingsError(
                f"entry point {name} = {entry.value} of the group {self.group} loads "
                f"{variant!r}, whose `name` is {getattr(variant, 'name', None)!r}, not {name!r}"
            )
        return self.register(variant)

    def settings_type(self, name):
        """The dataclass of the settings of the variant `name` (built-in: no import)."""
        if name in self.builtin and name not in self.registered:
            return self.builtin[name][1]
        return self.get(name).settings_type
