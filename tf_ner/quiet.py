"""TensorFlow without its C++ start-up lines, for the commands people run."""

import os


def import_tensorflow_quietly():
    """Imports TensorFlow with its C++ logging off and the process's stderr closed.

    TensorFlow's C++ log lines (oneDNN, CPU features, "oneDNN supports DT_BOOL only on
    platforms with AVX-512" logged as an error) are not for users; errors that matter
    raise in Python. TensorFlow 2.21 logs its start-up lines through absl before
    `TF_CPP_MIN_LOG_LEVEL` applies, hence stderr closed during the import. A
    `TF_CPP_MIN_LOG_LEVEL` set by the user wins; an import error still raises, with
    stderr back.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
