"""After `import tf_ner`, every Keras class of the package resolves when a model loads.

A `model.keras` file names its classes (`tf_ner>CRF`, `tf_ner>AdamWeightDecay`, ...);
Keras finds a custom class only if the module that registers it has been imported.
`import tf_ner` must stay light, though (`tf-ner --help` imports no TensorFlow), so the
registering modules are imported as soon as TensorFlow and Keras are both there: at
once if they already are, else right after the import that brings them finishes.

"Finishes" means the outermost import has returned: TensorFlow imports Keras from
inside its own `__init__`, Keras imports TensorFlow from inside its own, and a module
of ours that imports TensorFlow is itself half-imported until then (registering in
between would import our modules in a circle). So the imports of `tensorflow`,
`keras` and `tf_ner.*` are counted as they nest, and registration waits for zero.

Under `TF_USE_LEGACY_KERAS=1` nothing is registered (a tf-keras project, e.g.
bert4keras, breaks when Keras 3 is imported behind its back; see
`tf_ner.optimization`).
"""

import importlib
import importlib.abc
import os
import sys

# Every module (or package that imports its modules) that registers Keras classes,
# besides the task and head modules of the registries (`tf_ner.tasks`).
# tests/train/test_fresh_process.py checks that nothing is missed.
REGISTERING_MODULES = (
    "tf_ner.bert.modeling",
    "tf_ner.layers",
    "tf_ner.losses",
    "tf_ner.metrics",
    "tf_ner.optimization",
    "tf_ner.train.schedules",
)
_NEEDED = ("keras", "tensorflow")


def register_keras_objects():
    """Imports every module that registers a Keras class (TensorFlow gets imported)."""
    from tf_ner.tasks import TASKS
    from tf_ner.tasks.ner.heads import HEADS

    modules = [*REGISTERING_MODULES, *TASKS.modules.values(), *HEADS.modules.values()]
    for name in modules:
        importlib.import_module(name)


def _ready():
    return all(name in sys.modules for name in _NEEDED)


def _watched(name):
    return name in _NEEDED or name.startswith("tf_ner.")


class _AfterKerasImport(importlib.abc.MetaPathFinder):
    """Wraps the loaders of `keras`, `tensorflow` and `tf_ner.*` to count nested imports."""

    def __init__(self):
        self.depth = 0

    def find_spec(self, fullname, path=None, target=None):
        if not _watched(fullname):
            return None
        others = sys.meta_path[sys.meta_path.index(self) + 1 :]
        for finder in others:
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                spec.loader = _CountingLoader(spec.loader, self)
                return spec
        return None

    def finished_one(self):
        if self.depth == 0 and _ready():
            if self in sys.meta_path:
                sys.meta_path.remove(self)
            register_keras_objects()


class _CountingLoader(importlib.abc.Loader):
    """Runs the real loader, counting nesting; on the way out lets the finder check."""

    def __init__(self, loader, finder):
        self.loader = loader
        self.finder = finder

    def __getattr__(self, name):  # get_code, get_resource_reader, ... (runpy, resources)
        return getattr(self.loader, name)

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        # The module keeps its own loader from here on (resources, reloads).
        module.__loader__ = module.__spec__.loader = self.loader
        self.finder.depth += 1
        try:
            self.loader.exec_module(module)
        finally:
            self.finder.depth -= 1
        self.finder.finished_one()


def install():
    """Registers now if TensorFlow and Keras are imported, else once they are."""
    if os.environ.get("TF_USE_LEGACY_KERAS", "").lower() in ("1", "true", "yes"):
        return
    if _ready():
        register_keras_objects()
    elif not any(isinstance(f, _AfterKerasImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterKerasImport())
