"""Atomic writes: a file or folder appears whole or not at all (a kill leaves no half)."""

import contextlib
import os
import pathlib
import shutil
import tempfile


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path beside `path`; renames it onto `path` if the block succeeds."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The temporary name keeps the whole suffix: Keras insists on ".weights.h5", ".keras".
    suffix = "".join(path.suffixes)
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name[: -len(suffix) or None]}.", suffix=suffix
    )
    os.close(handle)
    os.chmod(temporary, 0o644)  # mkstemp makes 0600; results are for everyone to read
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def atomic_write_text(path, text):
    with atomic_path(path) as temporary:
        pathlib.Path(temporary).write_text(text, encoding="utf-8")


@contextlib.contextmanager
def atomic_dir(path):
    """Like `atomic_path` for a folder: the old folder is replaced only on success."""
    path = pathlib.Path(path)
    temporary = pathlib.Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    try:
        yield str(temporary)
        if path.exists():
            shutil.rmtree(path)
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            shutil.rmtree(temporary)
