"""Tasks: everything between the encoder and the user for one kind of job.

A task (`tf_ner.tasks.base.Task`) owns its settings (a dataclass of its own, saved in
the model folder), reading its data files, examples -> features and labels, the Keras
model on the encoder, loss and metrics, decoding outputs into predictions, its
evaluation scores and its serving outputs. The train loop, the CLI and `tf_ner.load`
are generic over tasks. A built-in task is a package and one line in `TASKS`; a task
of another package is found through the entry-point group `tf_ner.tasks`.
"""

from tf_ner.ground.registry import Registry
from tf_ner.tasks.classification.settings import ClassificationSettings
from tf_ner.tasks.masked_lm.settings import MaskedLmSettings
from tf_ner.tasks.ner.settings import NerSettings

TASKS = Registry(
    "task",
    "tf_ner.tasks",
    {
        "ner": ("tf_ner.tasks.ner.task", NerSettings),
        "classification": ("tf_ner.tasks.classification.task", ClassificationSettings),
        "masked_lm": ("tf_ner.tasks.masked_lm.task", MaskedLmSettings),
    },
    attribute="TASK",
)
