"""`tf-ner train`'s flags, built from the settings dataclasses: the run's (`TrainConfig`),
each task's and each head's, one group per owner (`tf_ner.ground.flags`).

Used by the `tf-ner` command, the examples and a stability study (which parses each
setting's flags on top of its base settings).
"""

from tf_ner.ground.flags import add_flags, settings_from_flags


def add_train_arguments(parser, files_required=True, defaults=None, task=None):
    """Adds the flags of the run, of every task and of every head.

    With `files_required=False`, `--train` and `--output-dir` are optional (the examples
    find the training file in `--data-dir` and have a default folder). `defaults`, a dict
    by field name (`tf_ner.ground.flags.flag_values`), replaces the fields' defaults (a
    stability study parses each setting's flags on top of its base settings). With
    `task`, the flags of that task only (and of the run's settings that apply to it),
    `--task` fixed to it.
    """
    from tf_ner.tasks import TASKS
    from tf_ner.train.config import TrainConfig

    required = ("train", "output_dir") if files_required else ()
    only, hidden = None, ("task",)
    if task is None:
        hidden = ()
    else:
        only = {"task": task}
        hidden += getattr(TASKS.settings_type(task), "unused_run_settings", ())
    add_flags(parser, TrainConfig, defaults, required=required, only=only, hidden=hidden)
    if task is not None:
        parser.set_defaults(task=task)


def config_from_args(parser, args):
    """The `TrainConfig` of parsed arguments (other keys of `args` ignored).

    Raises:
        SettingsError: a flag of a task or head other than the chosen one (named), or
            settings that `TrainConfig` and the task's settings refuse.
    """
    from tf_ner.train.config import TrainConfig

    values = vars(args)
    defaults = {name: parser.get_default(name) for name in values}
    return settings_from_flags(TrainConfig, values, defaults)

