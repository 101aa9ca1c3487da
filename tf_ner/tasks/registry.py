"""A registry of named variants (tasks, heads), each imported from its module on first use.

Listing a variant costs one line (its name and module) and imports nothing, so the
CLI knows every name without TensorFlow; `register` adds one defined elsewhere (a
user's own head) under its `name`.
"""

import importlib


class Registry:
    """Names -> objects: built-in ones by module, others registered at run time.

    Args:
        kind: str, what the variants are ("task", "head"), for messages.
        modules: dict `{name: module}`; the module defines the object as `attribute`.
        attribute: str, the module-level name of the object in each module.
    """

    def __init__(self, kind, modules, attribute):
        self.kind = kind
        self.modules = dict(modules)
        self.attribute = attribute
        self.registered = {}

    def names(self):
        """Every name, built-in first, in registration order."""
        return tuple(dict.fromkeys([*self.modules, *self.registered]))

    def register(self, variant):
        """Adds `variant` under `variant.name` (replacing one of that name); returns it."""
        name = getattr(variant, "name", None)
        if not isinstance(name, str) or not name:
            raise ValueError(f"a {self.kind} needs a non-empty str `name`, got {variant!r}")
        self.registered[name] = variant
        return variant

    def get(self, name):
        """The variant called `name`.

        Raises:
            ValueError: no variant of that name, naming the known ones.
        """
        if name in self.registered:
            return self.registered[name]
        if name not in self.modules:
            known = ", ".join(self.names())
            raise ValueError(f"unknown {self.kind} {name!r}; expected one of {known}")
        return getattr(importlib.import_module(self.modules[name]), self.attribute)
