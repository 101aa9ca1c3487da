"""A model folder written by `tf-ner train` is read by *other* processes, as users do.

One process per precision trains a folder for each of its heads (and records the
in-memory model's scores, predictions and optimizer state); then, in new interpreters
that never trained: `tf-ner evaluate`, `tf-ner predict`, `Recognizer.load`, and
`keras.models.load_model` after `import tf_ner.keras_objects` alone. A load in the
process that saved would hide a class that only training had registered (the optimizer
was one).
"""

import json
import shutil
import zipfile

import pytest

from tests.helpers import REPO_ROOT, run_python, without_tensorflow
from tests.page_tree import marks, parse_page
from tests.train.train_heads_script import HEADS
from tf_ner.data import read_dataset
from tf_ner.tasks.folder import named_classes

# Each precision's flags and the heads trained under it: under mixed_bfloat16 the CRF
# (its float32 transitions and Viterbi) and GlobalPointer (RoPE, masks of large negative
# logits); softmax and EfficientGlobalPointer share those heads' casts.
PRECISIONS = {
    "float32": ([], HEADS),
    "mixed_bfloat16": (["--mixed-precision", "mixed_bfloat16"], ("crf", "globalpointer")),
}
# (precision, head) for the tests of one head's folder.
CASES = [(precision, head) for precision, (_, heads) in PRECISIONS.items() for head in heads]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """Each precision's folder of trained heads, trained once for the module."""
    script = REPO_ROOT / "tests/train/train_heads_script.py"
    found = {}
    for precision, (flags, heads) in PRECISIONS.items():
        found[precision] = tmp_path_factory.mktemp(precision)
        run_python([str(script), str(found[precision]), ",".join(heads)] + flags)
    return found


@pytest.fixture
def trained(folders, precision):
    return folders[precision]


def in_memory(out, head):
    return json.loads((out / f"{head}.in_memory.json").read_text(encoding="utf-8"))


def tf_ner_command(*args, env=None):
    return run_python(["-m", "tf_ner.cli", *args], env=env)


@pytest.mark.slow
@pytest.mark.parametrize("precision, head", CASES)
def test_evaluate_and_predict_in_new_processes_match_the_training_process(trained, head):
    folder, expected = trained / head, in_memory(trained, head)
    tf_ner_command(
        "evaluate", "--model", str(folder), "--data", str(trained / "test.jsonl"),
        "--output", str(trained / f"{head}.scores.json"),
        "--errors", str(trained / f"{head}.errors.html"),
    )  # fmt: skip
    scores = json.loads((trained / f"{head}.scores.json").read_text(encoding="utf-8"))
    for key in ("precision", "recall", "f1", "support"):
        assert scores["overall"][key] == expected["test"][key], key
    assert scores["labelled_windows"] == expected["test"]["labelled"]  # loss and metrics
    assert scores["per_type"] == {
        t: {k: s[k] for k in ("precision", "recall", "f1", "support")}
        for t, s in expected["test"]["per_type"].items()
    }
    check_error_page(trained / f"{head}.errors.html", trained / "test.jsonl", expected, scores)
    tf_ner_command(
        "predict", "--model", str(folder), "--input", str(trained / "texts.txt"),
        "--format", "lines", "--output", str(trained / f"{head}.predictions.jsonl"),
        "--html", str(trained / f"{head}.predictions.html"),
    )  # fmt: skip
    lines = (trained / f"{head}.predictions.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["entities"] for line in lines] == expected["predictions"]
    assert any(expected["predictions"]), "the trained model should find some entity"
    texts = (trained / "texts.txt").read_text(encoding="utf-8").splitlines()
    docs = list(read_page(trained / f"{head}.predictions.html").iter("div", "doc"))
    assert [next(doc.iter("div", "text")).text() for doc in docs] == texts
    for doc, entities in zip(docs, expected["predictions"], strict=True):
        shown = [(*span, float(m.attrs["data-score"]))
                 for span, m in zip(marks(doc), doc.iter("mark", "e"), strict=True)]  # fmt: skip
        assert sorted(shown) == sorted((e["start"], e["end"], e["type"], e["score"])
                                       for e in entities)  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("precision, head", CASES)
def test_the_onnx_export_predicts_the_same_entities_in_new_processes(trained, head):
    """`tf-ner export --format onnx` in one process, `tf-ner predict --runtime onnx` in
    another, where TensorFlow and Keras cannot be imported: the spans of the training
    process's model, and its scores to float32 rounding (a mixed_bfloat16 model is
    exported to compute in float32: to bfloat16's, 8 bits of mantissa)."""
    folder, expected = trained / head, in_memory(trained, head)
    tf_ner_command("export", "--model", str(folder), "--format", "onnx")
    output = trained / f"{head}.onnx_predictions.jsonl"
    tf_ner_command(
        "predict", "--model", str(folder), "--input", str(trained / "texts.txt"),
        "--format", "lines", "--output", str(output), "--runtime", "onnx",
        env=without_tensorflow(trained / "without_tensorflow"),
    )  # fmt: skip
    found = [json.loads(line)["entities"] for line in output.read_text("utf-8").splitlines()]
    assert any(expected["predictions"]), "the trained model should find some entity"
    spans = [[(e["start"], e["end"], e["type"]) for e in entities] for entities in found]
    assert spans == [[(e["start"], e["end"], e["type"]) for e in entities]
                     for entities in expected["predictions"]]  # fmt: skip
    scores = [e["score"] for entities in found for e in entities]
    expected_scores = [e["score"] for entities in expected["predictions"] for e in entities]
    config = json.loads((folder / "train_config.json").read_text(encoding="utf-8"))
    tolerance = 2e-4 if config["mixed_precision"] is None else 1e-2
    assert scores == pytest.approx(expected_scores, abs=tolerance)


def read_page(path):
    root = parse_page(path.read_text(encoding="utf-8"))
    assert not list(root.iter("script"))
    return root


def check_error_page(path, data, expected, scores):
    """The page shows the texts the in-memory model got wrong, its predictions beside
    the gold entities, and as many false positives and negatives as the scores say."""
    examples = read_dataset(data)
    predicted = [[tuple(span) for span in spans] for spans in expected["test"]["predictions"]]
    root = read_page(path)
    wrong = [i for i, e in enumerate(examples) if set(e.entities) != set(predicted[i])]
    assert wrong, "the test set holds mislabelled sentences (mislabelled_examples)"
    docs = list(root.iter("div", "doc"))
    assert [doc.attrs["id"] for doc in docs] == [f"t{i + 1}" for i in wrong]
    for doc, i in zip(docs, wrong, strict=True):
        assert next(doc.iter("div", "text")).text() == examples[i].text
        assert sorted(marks(next(doc.iter("div", "gold")))) == sorted(examples[i].entities)
        assert sorted(marks(next(doc.iter("div", "predicted")))) == sorted(predicted[i])
    table = next(root.iter("table", "errors"))
    header = [th.text() for th in table.iter("th")]
    total = [td.text() for td in list(table.iter("tr"))[-1].iter("td")]
    total = dict(zip(header, total, strict=True))
    true_positives = scores["true_positives"]
    assert int(total["FP"]) == scores["predicted"] - true_positives
    assert int(total["FN"]) == scores["overall"]["support"] - true_positives


@pytest.mark.slow
@pytest.mark.parametrize("precision", list(PRECISIONS))
def test_recognizer_load_in_a_new_interpreter_predicts_the_same(trained, precision):
    _, heads = PRECISIONS[precision]
    code = f"""
import json, pathlib
from tf_ner import Recognizer
out = pathlib.Path({str(trained)!r})
texts = (out / "texts.txt").read_text(encoding="utf-8").splitlines()
found = {{head: Recognizer.load(out / head).predict(texts) for head in {heads!r}}}
print(json.dumps(found))
"""
    found = json.loads(run_python(code).stdout.splitlines()[-1])
    for head in heads:
        assert found[head] == in_memory(trained, head)["predictions"], head


@pytest.mark.slow
@pytest.mark.parametrize("precision", list(PRECISIONS))
def test_every_class_in_model_keras_resolves_after_the_documented_import(trained, precision):
    """Layers, models, losses, metrics, optimizer and schedules of each `model.keras`."""
    names = set()
    for head in PRECISIONS[precision][1]:
        with zipfile.ZipFile(trained / head / "model.keras") as archive:
            config = json.loads(archive.read("config.json"))
            names |= {name for _, name in named_classes(config) if name.startswith("tf_ner>")}
    assert {"tf_ner>AdamWeightDecay", "tf_ner>CRF", "tf_ner>BertEncoder"} <= names
    code = f"""
import tf_ner.keras_objects
import keras
names = {sorted(names)!r}
missing = [n for n in names if keras.saving.get_registered_object(n) is None]
print("missing:", missing)
"""
    assert run_python(code).stdout.splitlines()[-1] == "missing: []"


@pytest.mark.slow
@pytest.mark.parametrize("precision", list(PRECISIONS))
def test_load_model_after_the_documented_import_restores_the_optimizer_and_its_state(
    trained, precision
):
    code = f"""
import pathlib
import numpy as np
import tf_ner.keras_objects
import keras
out = pathlib.Path({str(trained)!r})
for head in {PRECISIONS[precision][1]!r}:
    model = keras.models.load_model(out / head / "model.keras")
    optimizer = model.optimizer
    saved = np.load(out / f"{{head}}.optimizer.npz")
    assert type(optimizer).__name__ == "AdamWeightDecay", type(optimizer)
    assert int(optimizer.iterations.numpy()) == 24, optimizer.iterations
    assert len(optimizer.variables) == len(saved.files), (len(optimizer.variables), saved.files)
    for i, variable in enumerate(optimizer.variables):
        np.testing.assert_array_equal(np.asarray(variable), saved[f"v{{i}}"], err_msg=variable.path)
print("restored")
"""
    assert run_python(code).stdout.splitlines()[-1] == "restored"


@pytest.mark.slow
@pytest.mark.parametrize("precision", ["float32"])
def test_inference_loading_needs_no_optimizer(trained, tmp_path):
    """`Recognizer.load` reads a folder whose compiled optimizer cannot be rebuilt."""
    shutil.copytree(trained / "crf", tmp_path / "m")
    # Rewrite model.keras naming an optimizer class that exists nowhere.
    path = tmp_path / "m" / "model.keras"
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(files["config.json"])
    config["compile_config"]["optimizer"]["registered_name"] = "nowhere>Optimizer"
    files["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    code = f"""
import json, pathlib
from tf_ner import Recognizer
texts = pathlib.Path({str(trained / "texts.txt")!r}).read_text(encoding="utf-8").splitlines()
print(json.dumps(Recognizer.load({str(tmp_path / "m")!r}).predict(texts)))
"""
    found = json.loads(run_python(code).stdout.splitlines()[-1])
    assert found == in_memory(trained, "crf")["predictions"]
