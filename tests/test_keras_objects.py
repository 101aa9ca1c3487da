"""Loading without import hooks: `import tf_ner` imports no TensorFlow, nothing patches
the import system, and `import tf_ner.keras_objects` registers every Keras class of the
package, so that `keras.models.load_model` reads a folder's `model.keras`."""

import pathlib
import re

from tests.helpers import REPO_ROOT, run_python

PACKAGE = REPO_ROOT / "tf_ner"
OLD_FOLDERS = pathlib.Path(__file__).resolve().parent / "fixtures" / "folders_0_1"


def registering_modules():
    """The modules of the package that register a Keras 3 class."""
    decorator = re.compile(r"(?<![\w.])keras\.saving\.register_keras_serializable\(")
    return sorted(
        ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts)
        for path in PACKAGE.rglob("*.py")
        if decorator.search(path.read_text(encoding="utf-8"))
    )


def test_the_documented_import_registers_every_module_that_registers_a_class():
    registering = registering_modules()
    assert "tf_ner.layers.crf" in registering  # (tf-keras's registrations are not ours here)
    assert "tf_ner.optimization.legacy" not in registering
    code = f"""
import sys
import tf_ner
assert "tensorflow" not in sys.modules, "import tf_ner imported TensorFlow"
import tf_ner.cli, tf_ner.data, tf_ner.tasks, tf_ner.train, tf_ner.keras_objects
ours = [f for f in sys.meta_path if type(f).__module__.startswith("tf_ner")]
assert not ours, ours
print([m for m in {registering!r} if m not in sys.modules])
"""
    assert run_python(code).stdout.splitlines()[-1] == "[]"


def test_nothing_in_the_package_touches_the_import_system():
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "meta_path" not in text and "path_hooks" not in text, path


def test_keras_reads_an_old_folders_model_after_the_documented_import():
    """A `model.keras` written before this change, optimizer and schedule included."""
    code = f"""
import keras
import tf_ner.keras_objects
for name in ("ner_crf", "ner_gp", "cls"):
    model = keras.models.load_model({str(OLD_FOLDERS)!r} + "/" + name + "/model.keras")
    print(name, type(model.optimizer).__name__, int(model.optimizer.iterations.numpy()))
"""
    lines = run_python(code).stdout.splitlines()[-3:]
    assert lines == ["ner_crf AdamWeightDecay 12", "ner_gp AdamWeightDecay 12",
                     "cls AdamWeightDecay 12"]  # fmt: skip
