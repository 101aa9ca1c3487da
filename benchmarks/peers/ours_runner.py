"""tf_ner on fixed shapes: the model users build (`NerTask.build_model` + `compile`).

One training step is `model.train_on_batch` (forward, the head's loss, backward,
`AdamWeightDecay` update); one inference step is `model.predict_on_batch`, as
`NerTask.predict_spans` calls it (the CRF decodes with Viterbi in the graph;
GlobalPointer returns the `[batch, types, length, length]` logits). `dense` is the
encoder with a plain `Dense` and Keras's cross-entropy (`dense_head.py`): the floor
each head is measured against.

    python benchmarks/peers/ours_runner.py --size mini --head crf [--xla]
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import dense_head  # noqa: E402, F401  (registers the `dense` head, the speed floor)
import harness  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tf_ner.bert.config import BertConfig  # noqa: E402
from tf_ner.ground.settings import Situation, resolved  # noqa: E402
from tf_ner.optimization import AdamWeightDecay  # noqa: E402
from tf_ner.tasks.ner.settings import NerSettings  # noqa: E402
from tf_ner.tasks.ner.task import NerTask  # noqa: E402

HEADS = ("crf", "globalpointer", "softmax", "efficient_globalpointer", "dense")
TYPES = ("LOC", "ORG", "PER")[: harness.NUM_TYPES]


def bert_config(shape):
    return BertConfig(**harness.bert_config_fields(shape))


def build(shape, head, xla, seed):
    """The compiled model and its training labels for `head`."""
    keras.utils.set_random_seed(seed)
    settings = NerSettings(
        head=head, types=TYPES, max_length=shape["length"], stride=shape["length"] // 4
    )
    task = NerTask(resolved(settings, Situation.SCRATCH))
    model = task.build_model(bert_config(shape))
    optimizer = AdamWeightDecay(
        learning_rate=harness.LEARNING_RATE, weight_decay_rate=harness.WEIGHT_DECAY
    )
    task.compile(model, optimizer, jit_compile=xla)
    return model


def run_head(shape, head, xla, seed, threads):
    data = harness.random_batch(shape, seed)
    features = {"token_ids": data["token_ids"], "segment_ids": data["segment_ids"]}
    labels = data["spans"] if "globalpointer" in head else data["tags"]
    model = build(shape, head, xla, seed)

    def train_step():
        float(np.asarray(model.train_on_batch(features, labels)))

    def infer_step():
        outputs = model.predict_on_batch(features)
        # Read every output back, as a caller does (tags, or span logits).
        for value in outputs.values() if isinstance(outputs, dict) else [outputs]:
            np.asarray(value)

    record = harness.base_record(
        f"ours-{head}" + ("-xla" if xla else ""),
        shape,
        framework="tf_ner (Keras 3)",
        head=head,
        xla=xla,
        optimizer="tf_ner AdamWeightDecay",
        params=harness.count_parameters(model.weights),
        versions={"tensorflow": tf.__version__, "keras": keras.__version__},
        threads=threads,
        onednn=os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default (on)"),
    )
    record.update(harness.measure(shape, train_step, infer_step))
    harness.emit(record)
    keras.backend.clear_session()


def main():
    p = harness.parser(__doc__.splitlines()[0], heads=HEADS)
    p.add_argument("--xla", action="store_true", help="compile the train/predict step with XLA")
    args = p.parse_args()
    shape = harness.resolve(args)
    threads = harness.set_tf_threads(tf, args.threads)
    for head in args.head.split(","):
        if head not in HEADS:
            raise SystemExit(f"--head {head!r}: expected one of {', '.join(HEADS)}")
        run_head(shape, head, args.xla, args.seed, threads)


if __name__ == "__main__":
    main()
