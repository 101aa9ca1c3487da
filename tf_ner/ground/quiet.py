"""TensorFlow without its C++ start-up chatter, for the commands people run; never
without its failures."""

import contextlib
import faulthandler
import os
import sys
import tempfile


def import_tensorflow_quietly():
    """Imports TensorFlow with its start-up lines held back, shown if the import fails.

    TensorFlow 2.21 logs its start-up lines (oneDNN, CPU features, "oneDNN supports
    DT_BOOL only on platforms with AVX-512" logged as an error) through absl before
    `TF_CPP_MIN_LOG_LEVEL` applies, so the process's stderr goes to a temporary file
    while TensorFlow imports. If the import raises, what was written there (a protobuf
    or CUDA plugin failure, NumPy's explanation of an ABI mismatch) is written to
    stderr before the error propagates; if the process dies (an illegal instruction on
    an old CPU), `faulthandler` writes the fatal error and the traceback to the real
    stderr (unless it is on already, writing where its owner chose).

    `TF_CPP_MIN_LOG_LEVEL` is set to 2 unless the user set it: TensorFlow's C++
    warnings stay hidden, its errors show (collective and gRPC failures of multi-worker
    runs among them).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with tempfile.TemporaryFile() as held, _stderr_to(held) as real_stderr:
        handler_on = faulthandler.is_enabled()  # then it writes where its owner chose
        if not handler_on:
            faulthandler.enable(file=real_stderr)
        try:
            import tensorflow  # noqa: F401
        except BaseException:
            sys.stderr.flush()
            held.seek(0)
            real_stderr.write(held.read().decode("utf-8", errors="replace"))
            real_stderr.flush()
            raise
        finally:
            if not handler_on:
                faulthandler.disable()


@contextlib.contextmanager
def _stderr_to(file):
    """File descriptor 2 points at `file` inside the block; yields the real stderr."""
    sys.stderr.flush()
    saved = os.dup(2)
    real_stderr = os.fdopen(os.dup(saved), "w", encoding="utf-8", errors="replace")
    os.dup2(file.fileno(), 2)
    try:
        yield real_stderr
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        real_stderr.close()
