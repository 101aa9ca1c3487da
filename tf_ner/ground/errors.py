"""The package's own errors: what a user gave is wrong, and the message says how.

Every error the package raises on purpose about its input (a bad file, flag, setting,
checkpoint or model folder) is a `TfNerError`, named with what was received and what
was expected. `tf-ner` prints these as one line; any other exception is a bug and
shows its traceback (`tf-ner --verbose` shows it for these too).

Each concrete error is also the built-in exception it refines (`ValueError`,
`FileNotFoundError`), so code that catches those keeps working.
"""


class TfNerError(Exception):
    """Base of the package's own errors (see the module)."""


class SettingsError(TfNerError, ValueError):
    """A setting or flag that is invalid, or does not go with another one."""


class InputError(TfNerError, ValueError):
    """Data, a checkpoint or a model folder that the package cannot use as given."""


class MissingFileError(TfNerError, FileNotFoundError):
    """A file or folder that the package needs does not exist (named)."""
