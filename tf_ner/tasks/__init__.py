"""Tasks: everything between the encoder and the user for one kind of job.

A task (`tf_ner.tasks.base.Task`) owns its settings (saved in the model folder),
reading its data files, examples -> features and labels, the Keras model on the
encoder, loss and metrics, decoding outputs into predictions, its evaluation report
and its serving outputs. The train loop, the CLI and `tf_ner.load` are generic over
tasks. A new task is one module and one line in `TASKS`.
"""

from tf_ner.tasks.registry import Registry

TASKS = Registry(
    "task",
    {
        "ner": "tf_ner.tasks.ner.task",
        "classification": "tf_ner.tasks.classification.task",
        "masked_lm": "tf_ner.tasks.masked_lm.task",
    },
    attribute="TASK",
)
