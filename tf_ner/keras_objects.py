"""Import this module before `keras.models.load_model` reads a tf_ner `model.keras`.

    import tf_ner.keras_objects  # noqa: F401 (registers tf_ner's Keras classes)
    model = keras.models.load_model("runs/msra_crf/model.keras")

A `model.keras` names its classes (`tf_ner>CRF`, `tf_ner>AdamWeightDecay`, ...), and
Keras finds a custom class once the module that defines it has been imported: each
class registers itself where it is defined (`@keras.saving.register_keras_serializable`).
This module imports every module of the package that does, and every task and head,
built in or of another installed package (entry points): the way `import keras_hub`
makes keras-hub's models loadable. `tf_ner.load` and `tf-ner` need no such import:
they register what a folder holds as they read it (`tf_ner.tasks.folder`).
"""

import importlib

from tf_ner.tasks import TASKS
from tf_ner.tasks.ner.heads import HEADS

# The modules that register Keras classes, besides the tasks' and heads' modules (which
# import Keras only when they build a model).
# tests/test_keras_objects.py checks that no module of the package is missing.
MODULES = (
    "tf_ner.bert.modeling",
    "tf_ner.layers",
    "tf_ner.losses",
    "tf_ner.metrics.entity_f1",
    "tf_ner.metrics.macro_f1",
    "tf_ner.metrics.token_accuracy",
    "tf_ner.optimization.keras_optimizer",
    "tf_ner.optimization.schedules",
    "tf_ner.tasks.classification.pooling",
    "tf_ner.tasks.ner.masks",
    "tf_ner.train.schedules",
)

for _module in MODULES:
    importlib.import_module(_module)
for _registry in (TASKS, HEADS):
    for _name in _registry.names():
        _registry.get(_name)
