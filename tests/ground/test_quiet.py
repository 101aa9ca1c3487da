"""TensorFlow's start-up chatter may be hidden, never its failures."""

import os

from tests.helpers import REPO_ROOT, run_python

FAKE_TENSORFLOW = """
import sys
print("fake tensorflow: this CPU lacks an instruction TensorFlow needs", file=sys.stderr)
raise ImportError("fake tensorflow could not load its library")
"""


def test_a_failing_tensorflow_import_shows_what_it_wrote(tmp_path):
    package = tmp_path / "fake" / "tensorflow"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(FAKE_TENSORFLOW, encoding="utf-8")
    path = os.pathsep.join([str(tmp_path / "fake"), str(REPO_ROOT)])
    argv = ["-m", "tf_ner.cli", "train", "--train", str(tmp_path / "t.txt"), "--bert-size",
            "tiny", "--output-dir", str(tmp_path / "out")]  # fmt: skip
    proc = run_python(argv, env={"PYTHONPATH": path}, check=False)
    assert proc.returncode != 0
    assert "fake tensorflow: this CPU lacks an instruction TensorFlow needs" in proc.stderr
    assert "ImportError: fake tensorflow could not load its library" in proc.stderr


QUIET_IMPORT = """
import os, sys
if sys.argv[1] == "unset":
    os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)
from tf_ner.ground.quiet import import_tensorflow_quietly
import_tensorflow_quietly()
print(os.environ["TF_CPP_MIN_LOG_LEVEL"])
"""


def test_tensorflow_errors_stay_visible_unless_the_user_says_otherwise():
    level = run_python(["-c", QUIET_IMPORT, "unset"]).stdout.split()[-1]
    assert level == "2"  # warnings hidden, errors shown
    chosen = run_python(["-c", QUIET_IMPORT, "keep"], env={"TF_CPP_MIN_LOG_LEVEL": "3"})
    assert chosen.stdout.split()[-1] == "3"
