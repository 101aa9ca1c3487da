"""The training subset of a stability study: N examples drawn once, written to a file.

Every run of a study trains on the same subset, so the spread of its scores measures
the randomness of training (initialisation of new weights, dropout, data order) and
not the luck of the draw.
"""

import pathlib
import random

from tf_ner.ground.errors import SettingsError
from tf_ner.ground.files import atomic_path


def draw_subset(examples, size, seed=0):
    """`size` examples drawn without replacement, in their order in the file.

    Args:
        examples: sequence of examples (what a task's `read` returns).
        size: int >= 1, how many to draw.
        seed: int, the draw's seed (the same seed draws the same examples).

    Returns:
        list of `size` examples.

    Raises:
        ValueError: `size` < 1, or more than there are examples (both numbers named).
    """
    if not isinstance(size, int) or size < 1:
        raise SettingsError(f"subset size {size!r}: expected a positive int")
    if size > len(examples):
        raise SettingsError(
            f"subset of {size} examples asked for, but the training file holds only "
            f"{len(examples)}; lower --subset"
        )
    chosen = sorted(random.Random(seed).sample(range(len(examples)), size))
    return [examples[i] for i in chosen]


def write_subset(task_class, config, examples, path):
    """Writes examples for `config.task` and checks that they read back unchanged.

    The file is in `config.format` (the task's own format when it is `"auto"`), so
    that a run with `config`'s settings reads it as it reads the other files.

    Args:
        task_class: the task (`TASKS.get(config.task)`).
        config: the base `TrainConfig`.
        examples: the subset.
        path: str or path-like, the file to write.

    Returns:
        The path, a `pathlib.Path`.

    Raises:
        ValueError: the format cannot hold the examples, or they read back differently
            (then nothing is written).
    """
    path = pathlib.Path(path)
    with atomic_path(path) as temporary:
        task_class.write(examples, temporary, config.format)
        again, _ = task_class.read(temporary, config.format, config.repair)
        if list(again) != list(examples):
            differing = next(
                (i for i, (a, b) in enumerate(zip(again, examples, strict=False)) if a != b),
                min(len(again), len(examples)),
            )
            raise SettingsError(
                f"the training subset written as {config.format} reads back differently "
                f"({len(again)} examples for {len(examples)}; first difference at example "
                f"{differing + 1}); use --format auto"
            )
    return path
