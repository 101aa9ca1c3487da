"""ONNX export and ONNX Runtime prediction (`tf_ner/tasks/onnx.py`, `folder.export_onnx`),
on the tiny folders of `tests/fixtures/folders_0_1`: the same predictions as TensorFlow
(across processes: `tests/train/test_fresh_process.py`, `tests/tasks/
test_classification.py`), and the errors a user meets."""

import json
import shutil

import numpy as np
import onnx
import pytest

from tests.helpers import run_python, without_tensorflow
from tests.tasks.test_folder import EXPECTED, FOLDERS
from tf_ner import load
from tf_ner.ground.errors import InputError, MissingFileError
from tf_ner.tasks.folder import export_onnx
from tf_ner.tasks.onnx import OnnxModel, inference_session


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Copies of the NER (CRF) and classification folders, each with its model.onnx."""
    out = tmp_path_factory.mktemp("onnx")
    for name in ("ner_crf", "cls"):
        shutil.copytree(FOLDERS / name, out / name)
        assert export_onnx(out / name) == out / name / "model.onnx"
    return out


def test_onnx_runtime_fuses_every_layer_norm_and_gelu_of_the_export(exported, tmp_path):
    """The exported graph keeps the patterns ONNX Runtime fuses: after its graph
    optimisations, one LayerNormalization kernel per LayerNorm (embeddings + two per
    layer) and one Gelu per layer, none of their parts left."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.optimized_model_filepath = str(tmp_path / "optimized.onnx")
    onnxruntime.InferenceSession(
        str(exported / "ner_crf" / "model.onnx"), options, providers=["CPUExecutionProvider"]
    )
    kinds = [node.op_type for node in onnx.load(tmp_path / "optimized.onnx").graph.node]
    layers = json.loads((exported / "ner_crf" / "bert_config.json").read_text())[
        "num_hidden_layers"
    ]
    assert kinds.count("LayerNormalization") == 1 + 2 * layers
    assert kinds.count("Gelu") == layers
    assert not {"Erf", "Pow", "Sqrt", "GlobalAveragePool", "ReduceMean"} & set(kinds)


def test_the_session_keeps_the_dense_layers_matrix_products_apart_from_their_bias(
    exported, tmp_path
):
    """tf_ner's session runs each Dense layer as `MatMul` then bias `Add`, not as the
    `Gemm` that ONNX Runtime's MatMulAddFusion would make of them (slower on CPU,
    `DISABLED_REWRITES`): every matrix product of the encoder stays a MatMul."""
    optimized = tmp_path / "optimized.onnx"
    inference_session(exported / "ner_crf" / "model.onnx", optimized_path=optimized)
    kinds = [node.op_type for node in onnx.load(optimized).graph.node]
    layers = json.loads((exported / "ner_crf" / "bert_config.json").read_text())[
        "num_hidden_layers"
    ]
    assert "Gemm" not in kinds
    # per layer: query, key, value, attention output, intermediate, output; and
    # attention's probabilities times values
    assert kinds.count("MatMul") >= 7 * layers


def test_the_int8_export_quantises_the_matrix_products_and_stays_close(exported):
    """`export_onnx(int8=True)` writes `model.int8.onnx`: the float graph's matrix
    products on int8 weights (MatMulInteger), predicting close to TensorFlow, not equal
    to it."""
    folder = exported / "cls"
    assert export_onnx(folder, int8=True) == folder / "model.int8.onnx"
    graph = onnx.load(folder / "model.int8.onnx").graph
    kinds = [node.op_type for node in graph.node]
    # Six per encoder layer (one layer here) and the classifier's (pooling "cls": no
    # pooler); the attention's products of activations stay float.
    assert kinds.count("MatMulInteger") == 6 + 1 and kinds.count("MatMul") == 2
    features = {
        "token_ids": np.random.default_rng(0).integers(1, 44, (8, 12), dtype=np.int32),
        "segment_ids": np.zeros((8, 12), np.int32),
    }
    source = folder / "model.keras"
    ours = OnnxModel(folder / "model.int8.onnx", source)(features)
    theirs = OnnxModel(folder / "model.onnx", source)(features)
    difference = np.abs(ours - theirs).max()
    assert 1e-6 < difference < 0.05 * np.abs(theirs).max(), difference  # close, not equal
    prediction = load(folder, runtime="onnx-int8").predict(EXPECTED["cls"]["texts"])
    assert [p["label"] for p in prediction] == [p["label"] for p in EXPECTED["cls"]["predictions"]]


def test_onnx_runtime_predicts_what_tensorflow_does(exported):
    texts = EXPECTED["ner_crf"]["texts"] + ["", "北京" * 40]  # windows of many lengths
    ours = load(exported / "ner_crf", runtime="onnx").predict(texts)
    theirs = load(exported / "ner_crf").predict(texts)
    assert [[e["start"] for e in found] for found in theirs] != [[]] * len(texts)
    assert [[{**e, "score": None} for e in found] for found in ours] == [
        [{**e, "score": None} for e in found] for found in theirs
    ]
    scores = [e["score"] for found in ours for e in found]
    assert scores == pytest.approx([e["score"] for found in theirs for e in found], abs=2e-4)
    texts = EXPECTED["cls"]["texts"]
    ours = load(exported / "cls", runtime="onnx").predict(texts)
    theirs = load(exported / "cls").predict(texts)
    assert [p["label"] for p in ours] == [p["label"] for p in theirs]
    for a, b in zip(ours, theirs, strict=True):
        assert a["probabilities"] == pytest.approx(b["probabilities"], abs=2e-4)


def test_an_export_of_another_model_is_refused(exported, tmp_path):
    folder = tmp_path / "retrained"
    shutil.copytree(exported / "ner_crf", folder)
    with open(folder / "model.keras", "ab") as f:  # as if trained again into the folder
        f.write(b"\0")
    with pytest.raises(InputError, match=r"retrained/model.onnx was exported from another "
                       r"model.keras: run tf-ner export again"):  # fmt: skip
        load(folder, runtime="onnx")


def test_what_cannot_run_on_onnx_says_so(exported, tmp_path):
    shutil.copytree(FOLDERS / "ner_gp", tmp_path / "ner_gp")
    with pytest.raises(MissingFileError, match=r"model.onnx not found: write it with tf-ner "
                       r"export --model .*ner_gp --format onnx"):  # fmt: skip
        load(tmp_path / "ner_gp", runtime="onnx")
    with pytest.raises(InputError, match=r"runtime 'torch': expected one of tensorflow, "
                       r"onnx, onnx-int8"):  # fmt: skip
        load(exported / "ner_crf", runtime="torch")
    with pytest.raises(InputError, match=r"holds a masked_lm folder: only NER and "
                       r"classification models export to ONNX"):  # fmt: skip
        export_onnx(FOLDERS / "mlm")
    recognizer = load(exported / "ner_crf", runtime="onnx")
    with pytest.raises(InputError, match=r"evaluate needs the TensorFlow model: load .*ner_crf "
                       r"without runtime='onnx'"):  # fmt: skip
        recognizer.evaluate([])


def test_a_call_without_batch_size_takes_its_runtimes_default(exported, monkeypatch):
    """TensorFlow batches 64 windows (or texts), ONNX Runtime 32; a batch size asked is
    kept. NER and classification alike."""
    import tf_ner.tasks.classification.task as classification_task
    import tf_ner.tasks.ner.task as ner_task

    asked = []
    for module, name in ((ner_task, "make_prediction_batches"),
                         (classification_task, "prediction_batches")):  # fmt: skip
        original = getattr(module, name)

        def recording(*args, original=original, **options):
            asked.append(args[-1])  # the batch size, the last positional in both
            return original(*args, **options)

        monkeypatch.setattr(module, name, recording)
    for folder in ("ner_crf", "cls"):
        for runtime in ("tensorflow", "onnx"):
            predictor = load(exported / folder, runtime=runtime)
            predictor.predict(["北京"])
            predictor.records(["北京"])
            predictor.predict(["北京"], batch_size=50)
    assert asked == [64, 64, 50, 32, 32, 50] * 2


# What an ONNX predictor imports besides the standard library and tf_ner.
SERVING_PACKAGES = {"numpy", "onnxruntime", "tokenizers"}


@pytest.mark.parametrize("folder", ["ner_crf", "cls"])
def test_a_serving_folder_predicts_without_tensorflow_on_numpy_tokenizers_onnxruntime(
    exported, folder, tmp_path
):
    """A folder of `task.json`, `vocab.txt` and `model.onnx` alone, loaded with
    `tf_ner.load(folder, runtime="onnx")` in a process where TensorFlow and Keras cannot
    be imported, predicts what the whole folder predicts, and the packages it imported
    are the serving ones: a server needs nothing else."""
    serving = tmp_path / "serving"
    serving.mkdir()
    for name in ("task.json", "vocab.txt", "model.onnx"):
        shutil.copy(exported / folder / name, serving / name)
    code = f"""
import json, sys
import tf_ner
predictor = tf_ner.load({str(serving)!r}, runtime="onnx")
records = predictor.records(["我爱北京天安门", "中国人民银行"])
packages = {{name.split(".")[0] for name in sys.modules}} - set(sys.stdlib_module_names)
print(json.dumps([records, sorted(p for p in packages if not p.startswith("_"))]))
"""
    out = run_python(code, env=without_tensorflow(tmp_path / "blocked")).stdout.splitlines()[-1]
    records, packages = json.loads(out)
    assert set(packages) == SERVING_PACKAGES | {"tf_ner"}
    assert records == load(exported / folder, runtime="onnx").records(
        ["我爱北京天安门", "中国人民银行"]
    )

