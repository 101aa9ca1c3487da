"""`tf-ner train`'s flags, built from `TrainConfig`'s fields: one source of the settings.

Used by the `tf-ner` command, the examples and a stability study (which parses each
setting's flags on top of its base settings).
"""

import argparse
import dataclasses


def add_train_arguments(parser, files_required=True, defaults=None, task=None):
    """Adds one flag per `TrainConfig` field, with its type, default, choices and help.

    With `files_required=False`, `--train` and `--output-dir` are optional (the examples
    find the training file in `--data-dir` and have a default folder). `defaults`, a dict
    by field name, replaces the fields' defaults (a stability study parses each setting's
    flags on top of its base settings); a group of flags with a value there is not required.
    With `task`, the flags of that task only (`TrainConfig` fields whose `tasks` include
    it), and `--task` fixed to it.
    """
    from tf_ner.train.config import TrainConfig

    defaults = defaults or {}
    parser.formatter_class = _with_defaults(parser.formatter_class)
    given = {f.metadata["group"] for f in dataclasses.fields(TrainConfig) if defaults.get(f.name)}
    groups = {}
    for field in dataclasses.fields(TrainConfig):
        meta = field.metadata
        if task is not None and (field.name == "task" or task not in (meta["tasks"] or [task])):
            continue
        flag = "--" + field.name.replace("_", "-")
        kind = _base_type(field.type)
        default = defaults.get(field.name, field.default)
        options = {"help": meta["help"], "dest": field.name, "default": default}
        if kind is bool:
            options["action"] = argparse.BooleanOptionalAction
        else:
            options["type"] = meta["flag_type"] or kind
            options["metavar"] = meta["metavar"]
            choices = meta["choices"]
            if choices is not None:
                options["choices"] = list(choices() if callable(choices) else choices)
        if field.name in ("train", "output_dir"):
            options["required"] = files_required
        target = parser
        if meta["group"]:
            if meta["group"] not in groups:
                required = meta["group"] not in given
                groups[meta["group"]] = parser.add_mutually_exclusive_group(required=required)
            target = groups[meta["group"]]
        target.add_argument(flag, **options)
    if task is not None:
        parser.set_defaults(task=task)


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
