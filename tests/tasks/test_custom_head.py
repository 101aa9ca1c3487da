"""A fifth head, defined in this file alone: registered, trained, saved, loaded, used.

The head is the softmax head without a bias on the `O` tag's logit (a variant people
try when `O` dominates). Nothing in the package is edited: the head and its Keras layer
are registered from here, and every step goes through `tf-ner`-level code (the CLI's
`main`, `tf_ner.load`), the load in a new process that imports this module only.
"""

import json

import keras
import tensorflow as tf

from tests.helpers import REPO_ROOT, run_python
from tests.train.corpus import tiny_examples
from tf_ner.data.formats.jsonl import write_jsonl
from tf_ner.tasks.ner.heads import HEADS, register_head
from tf_ner.tasks.ner.heads.softmax import SoftmaxHead


@keras.saving.register_keras_serializable(package="tests")
class NoOBiasClassifier(keras.layers.Layer):
    """Tag logits whose `O` logit (tag 0) has no bias: `h W + [0, b_1, ..., b_k]`."""

    def __init__(self, num_tags, **kwargs):
        super().__init__(**kwargs)
        self.num_tags = num_tags

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.num_tags))
        self.bias = self.add_weight(name="bias", shape=(self.num_tags - 1,), initializer="zeros")

    def call(self, hidden):
        logits = tf.einsum("blh,ht->blt", hidden, tf.cast(self.kernel, hidden.dtype))
        bias = tf.concat([tf.zeros([1], self.bias.dtype), self.bias], axis=0)
        return logits + tf.cast(bias, logits.dtype)

    def get_config(self):
        return {**super().get_config(), "num_tags": self.num_tags}


class NoOBiasSoftmaxHead(SoftmaxHead):
    name = "softmax_no_o_bias"

    def build_model(self, inputs, hidden, settings, dropout):
        num_tags = self.labeler(settings).num_tags
        logits = NoOBiasClassifier(num_tags, name="classifier")(hidden)
        return keras.Model(inputs, logits, name="ner_softmax_no_o_bias")


register_head(NoOBiasSoftmaxHead())

TRAIN_AND_PREDICT = """
import json, sys
import tests.tasks.test_custom_head  # registers the head and its layer
from tf_ner.cli import main
import tf_ner
out, texts = sys.argv[1], json.loads(sys.argv[2])
if sys.argv[3] == "train":
    assert main(["train", "--train", out + "/train.jsonl", "--bert-size", "tiny",
                 "--head", "softmax_no_o_bias", "--max-length", "24", "--stride", "4",
                 "--batch-size", "8", "--epochs", "12", "--learning-rate", "3e-3",
                 "--warmup", "0", "--output-dir", out + "/model"]) == 0
print(json.dumps(tf_ner.load(out + "/model").predict(texts)))
"""


def test_a_head_defined_outside_the_package_trains_saves_loads_and_predicts(tmp_path):
    assert "softmax_no_o_bias" in HEADS.names()
    write_jsonl(tiny_examples(48, seed=4), tmp_path / "train.jsonl")
    texts = [e.text for e in tiny_examples(5, seed=6)]
    script = tmp_path / "run.py"
    script.write_text(TRAIN_AND_PREDICT, encoding="utf-8")

    def run(step):
        args = [str(script), str(tmp_path), json.dumps(texts, ensure_ascii=False), step]
        output = run_python(args, env={"PYTHONPATH": str(REPO_ROOT)}).stdout
        return json.loads(output.splitlines()[-1])

    in_training_process = run("train")
    in_a_new_process = run("load")
    assert in_a_new_process == in_training_process
    found = {(e["text"], e["type"]) for entities in in_a_new_process for e in entities}
    assert found & {(text, "PER") for text in ("张三", "李四", "王五", "赵六", "孙七")}, found
    settings = json.loads((tmp_path / "model" / "task.json").read_text(encoding="utf-8"))
    assert settings["settings"]["head"] == "softmax_no_o_bias"
    config = json.loads((tmp_path / "model" / "train_config.json").read_text(encoding="utf-8"))
    assert config["task_settings"]["head"] == "softmax_no_o_bias"
