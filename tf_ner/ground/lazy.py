"""Package namespaces whose names are imported on first use.

A package `__init__` lists its public names and the modules that define them; a name
is imported when first read. So `import tf_ner.data` does not import TensorFlow until
a name that needs it (e.g. `make_dataset`) is used, and `tf-ner --help` starts fast.
"""

import importlib


def lazy_exports(package, exports):
    """`(__getattr__, __dir__)` for a package that exports `exports` lazily.

    Args:
        package: str, the package's `__name__`.
        exports: dict `{public name: module that defines it}`.

    Returns:
        Two functions to assign to the package's `__getattr__` and `__dir__`.

    Example:
        >>> __getattr__, __dir__ = lazy_exports(__name__, {"Example": "tf_ner.data.example"})
    """
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(exports[name]), name)
        namespace[name] = value
        return value

    def __dir__():
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__
