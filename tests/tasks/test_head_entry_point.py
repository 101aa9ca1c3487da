"""A head of another installed package, found through the `tf_ner.heads` entry points.

The package is written to a temporary folder with its metadata (`.dist-info` with
`entry_points.txt`, what `pip install` would write) and put on `PYTHONPATH`: nothing in
tf_ner is edited or imported by hand. The head has a setting of its own (a temperature
of its confidence scores) and a Keras layer of its own; every step runs in a new
process: `tf-ner train --head tempered_softmax --temperature 2.5`, `tf-ner predict`,
`tf_ner.load`, and `keras.models.load_model` after `import tf_ner.keras_objects`.
"""

import json
import os

import pytest

from tests.helpers import REPO_ROOT, run_python
from tests.train.corpus import tiny_examples
from tf_ner.data.formats.jsonl import write_jsonl

PLUGIN = '''
"""The softmax head with a temperature that divides the logits of its confidence."""

import dataclasses

import keras
import numpy as np

from tf_ner.ground.settings import setting
from tf_ner.tasks.ner.heads.settings import TagSettings
from tf_ner.tasks.ner.heads.softmax import SoftmaxHead


@dataclasses.dataclass(frozen=True)
class TemperedSettings(TagSettings):
    temperature: float = setting(1.0, "divides the logits of the confidence scores")


@keras.saving.register_keras_serializable(package="tfner_plugin_head")
class TagLogits(keras.layers.Dense):
    """The tag logits (a Dense layer of this package)."""


class TemperedSoftmaxHead(SoftmaxHead):
    name = "tempered_softmax"
    settings_type = TemperedSettings

    def build_model(self, inputs, hidden, settings, dropout):
        logits = TagLogits(self.labeler(settings).num_tags, name="tag_logits")(hidden)
        return keras.Model(inputs, logits, name="ner_tempered_softmax")

    def span_scores(self, settings, decoded, score_row, encoding, spans):
        scaled = np.asarray(score_row) / settings.head_settings.temperature
        return super().span_scores(settings, decoded, scaled, encoding, spans)


HEAD = TemperedSoftmaxHead()
'''

LOAD = """
import dataclasses, json, sys
import tf_ner
predictor = tf_ner.load(sys.argv[1])
texts = json.loads(sys.argv[2])
own = predictor.settings.head_settings
tempered = predictor.predict(texts)
settings = dataclasses.replace(predictor.settings,
                               head_settings=dataclasses.replace(own, temperature=1.0))
predictor.task.settings = settings
print(json.dumps({"temperature": own.temperature, "tempered": tempered,
                  "plain": predictor.predict(texts)}))
"""

KERAS_LOAD = """
import sys
import keras
import tf_ner.keras_objects
model = keras.models.load_model(sys.argv[1])
print(type(model.get_layer("tag_logits")).__module__, model.optimizer.__class__.__name__)
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """`PYTHONPATH` holding the plugin package and its metadata."""
    site = tmp_path_factory.mktemp("site")
    (site / "tfner_plugin_head").mkdir()
    (site / "tfner_plugin_head" / "__init__.py").write_text(PLUGIN, encoding="utf-8")
    info = site / "tfner_plugin_head-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: tfner-plugin-head\nVersion: 0.1\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[tf_ner.heads]\ntempered_softmax = tfner_plugin_head:HEAD\n", encoding="utf-8"
    )
    return {"PYTHONPATH": os.pathsep.join([str(site), str(REPO_ROOT)])}


def test_its_flags_show_in_the_help_under_its_name_and_only_it_takes_them(installed, tmp_path):
    help_text = run_python(["-m", "tf_ner.cli", "train", "--help"], env=installed).stdout
    assert "--head tempered_softmax:" in help_text and "--temperature" in help_text
    assert "crf,softmax,globalpointer,efficient_globalpointer,tempered_softmax" in help_text
    argv = ["-m", "tf_ner.cli", "train", "--train", "t.txt", "--output-dir", str(tmp_path),
            "--bert-size", "tiny", "--temperature", "2"]  # fmt: skip
    refused = run_python(argv, env=installed, check=False)
    assert refused.returncode == 2
    assert "--temperature is a setting of --head tempered_softmax" in refused.stderr


@pytest.mark.slow
def test_it_trains_and_its_folder_loads_in_new_processes(installed, tmp_path):
    write_jsonl(tiny_examples(48, seed=4), tmp_path / "train.jsonl")
    texts = [e.text for e in tiny_examples(5, seed=6)]
    folder = tmp_path / "model"
    run_python(["-m", "tf_ner.cli", "train", "--train", str(tmp_path / "train.jsonl"),
                "--bert-size", "tiny", "--head", "tempered_softmax", "--temperature", "2.5",
                "--max-length", "24", "--stride", "4", "--batch-size", "8", "--epochs", "12",
                "--learning-rate", "3e-3", "--warmup", "0", "--output-dir", str(folder)],
               env=installed)  # fmt: skip
    saved = json.loads((folder / "task.json").read_text(encoding="utf-8"))["settings"]
    assert saved["head"] == "tempered_softmax"
    assert saved["head_settings"] == {"scheme": "BIO", "temperature": 2.5}

    (tmp_path / "texts.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
    run_python(["-m", "tf_ner.cli", "predict", "--model", str(folder), "--input",
                str(tmp_path / "texts.txt"), "--format", "lines", "--output",
                str(tmp_path / "predicted.jsonl")], env=installed)  # fmt: skip
    lines = (tmp_path / "predicted.jsonl").read_text(encoding="utf-8").splitlines()
    predicted = [json.loads(line)["entities"] for line in lines]

    output = run_python(["-c", LOAD, str(folder), json.dumps(texts, ensure_ascii=False)],
                        env=installed).stdout  # fmt: skip
    loaded = json.loads(output.splitlines()[-1])
    assert loaded["temperature"] == 2.5 and loaded["tempered"] == predicted
    assert any(predicted), "the trained head should find some entity"
    spans = [[(e["start"], e["end"], e["type"]) for e in entities] for entities in predicted]
    plain = [[(e["start"], e["end"], e["type"]) for e in entities] for entities in loaded["plain"]]
    assert plain == spans  # the temperature changes the confidence, not the entities
    assert loaded["plain"] != loaded["tempered"]

    keras_load = ["-c", KERAS_LOAD, str(folder / "model.keras")]
    module, optimizer = run_python(keras_load, env=installed).stdout.split()[-2:]
    assert (module, optimizer) == ("tfner_plugin_head", "AdamWeightDecay")
