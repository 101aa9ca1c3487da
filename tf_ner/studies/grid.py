"""The grid of a stability study: named settings, each a few `tf-ner train` flags on top
of the base settings, and the `TrainConfig` of each run."""

import argparse
import dataclasses
import re
import shlex

from tf_ner.ground.errors import SettingsError
from tf_ner.ground.flags import flag_values
from tf_ner.train.flags import add_train_arguments, config_from_args

# What the study itself sets for each run: a setting may not change them.
STUDY_FIELDS = {
    "train": "the study trains every run on its training subset",
    "output_dir": "the study puts each run in runs/<setting>/seed-<k>",
    "seed": "the study runs every setting with each seed of --seeds/--seed-list",
    "task": "every run of a study is of the base task",
    "format": "the training subset is written in the base format",
}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")


@dataclasses.dataclass(frozen=True)
class Setting:
    """One point of the grid: a name and the `tf-ner train` flags it adds to the base.

    Args:
        name: str, letters, digits and `._+-` (it names the setting's folder).
        flags: str, `tf-ner train` flags as on a command line (shell quoting), e.g.
            `"--no-bias-correction"` or `"--reinit-top-layers 2"`; empty: the base.

    Example:
    >>> parse_setting("reinit-2=--reinit-top-layers 2")
    Setting(name='reinit-2', flags='--reinit-top-layers 2')
    """

    name: str
    flags: str = ""

    def __post_init__(self):
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise SettingsError(
                f"setting name {self.name!r}: expected letters, digits and ._+- (it names "
                f"a folder), starting with a letter or digit"
            )


def parse_setting(text):
    """`"NAME=FLAGS"` -> `Setting(NAME, FLAGS)`.

    Raises:
        ValueError: no `=`, or a bad name.
    """
    name, sign, flags = text.partition("=")
    if not sign:
        raise SettingsError(
            f"setting {text!r}: expected NAME=FLAGS, e.g. 'google=--no-bias-correction' "
            f"(or 'base=' for the base settings alone)"
        )
    return Setting(name.strip(), flags.strip())


def check_grid(settings):
    """The settings as a tuple; ValueError if there is none or a name repeats."""
    settings = tuple(settings)
    if not settings:
        raise SettingsError("a study needs at least one setting")
    names = [s.name for s in settings]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise SettingsError(f"setting name(s) {repeated} given more than once; names must differ")
    return settings


def check_seeds(seeds):
    """The seeds as a tuple of ints; ValueError if there is none or one repeats."""
    seeds = tuple(seeds)
    if not seeds:
        raise SettingsError("a study needs at least one seed")
    for seed in seeds:
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise SettingsError(f"seed {seed!r}: expected an int >= 0")
    repeated = sorted({s for s in seeds if seeds.count(s) > 1})
    if repeated:
        raise SettingsError(f"seed(s) {repeated} given more than once")
    return seeds


def seed_list(text):
    """`"1,5,9"` -> `(1, 5, 9)` (the `--seed-list` flag)."""
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise SettingsError(f"{text!r}: expected comma-separated ints, e.g. 1,5,9") from None


class _RaisingParser(argparse.ArgumentParser):
    """An `ArgumentParser` whose errors raise ValueError instead of exiting."""

    def error(self, message):
        raise SettingsError(message)


def setting_config(base, setting, seed, output_dir, train=None):
    """The `TrainConfig` of one run: `setting.flags` parsed on top of `base`.

    Args:
        base: `TrainConfig`, the study's base settings.
        setting: `Setting`.
        seed: int, the run's seed.
        output_dir: str, the run's folder.
        train: str, the training file (default: `base.train`).

    Returns:
        `TrainConfig`.

    Raises:
        ValueError: flags that `tf-ner train` rejects, a setting that changes what the
            study sets (`STUDY_FIELDS`), or settings `TrainConfig` rejects; the message
            names the setting.
    """
    parser = _RaisingParser(prog=f"setting {setting.name}", add_help=False)
    add_train_arguments(parser, files_required=False, defaults=flag_values(base))
    where = f"setting {setting.name!r} ({setting.flags or 'no flags'})"
    try:
        args = parser.parse_args(shlex.split(setting.flags))
    except ValueError as error:
        raise SettingsError(f"{where}: {error}") from None
    for name, why in STUDY_FIELDS.items():
        if getattr(args, name) != getattr(base, name):
            flag = "--" + name.replace("_", "-")
            raise SettingsError(f"{where}: {flag} cannot be set by a setting: {why}")
    args.seed, args.output_dir, args.train = seed, str(output_dir), str(train or base.train)
    try:
        return config_from_args(parser, args)
    except ValueError as error:
        raise SettingsError(f"{where}: {error}") from None
