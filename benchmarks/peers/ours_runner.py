"""tf_ner on fixed shapes: the model users build (`NerTask.build_model` + `compile`).

One training step is `model.train_on_batch` (forward, the head's loss, backward,
`AdamWeightDecay` update); one inference step is `model.predict_on_batch`, as
`NerTask.predict_spans` calls it (the CRF decodes with Viterbi in the graph;
GlobalPointer returns the `[batch, types, length, length]` logits). `dense` is the
encoder with a plain `Dense` and Keras's cross-entropy (`dense_head.py`): the floor
each head is measured against. `mlm` and `electra` are pre-training (`tf-ner pretrain
--objective`, `MaskedLmTask.build_model` + `compile`) on `harness.masked_batch`: the
masked-LM logits at the masked positions only, or ELECTRA's generator (1 layer),
sampling and discriminator on every token. The optimizer's update is compiled with XLA,
as `tf-ner train` and `tf-ner pretrain` run it (`--no-compile-update` turns it off).

`--dynamic-shapes` traces the steps for any batch length, as `fit` over `tf-ner train`'s
dataset does (its element spec is `[None, None]`): before the warm-up, one step on the
batch made 8 tokens longer, so that Keras's `reduce_retracing` retraces with the length
unknown. Without it the steps are traced for the fixed shape, which `fit` never sees.

`--bf16` builds the model under Keras's `mixed_bfloat16` policy (float32 weights,
bfloat16 compute), as `tf-ner train --mixed-precision mixed_bfloat16` does.

    python benchmarks/peers/ours_runner.py --size mini --head crf [--xla] [--dynamic-shapes]
    python benchmarks/peers/ours_runner.py --size mini --head mlm,electra
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
from tf_ner.tasks.masked_lm.settings import MaskedLmSettings  # noqa: E402
from tf_ner.tasks.masked_lm.task import MaskedLmTask  # noqa: E402
from tf_ner.tasks.ner.settings import NerSettings  # noqa: E402
from tf_ner.tasks.ner.task import NerTask  # noqa: E402

NER_HEADS = ("crf", "globalpointer", "softmax", "efficient_globalpointer", "dense")
PRETRAINING = ("mlm", "electra")
HEADS = NER_HEADS + PRETRAINING
TYPES = ("LOC", "ORG", "PER")[: harness.NUM_TYPES]


def bert_config(shape):
    return BertConfig(**harness.bert_config_fields(shape))


def task_for(shape, head):
    """The task that builds and compiles the model of `head`."""
    if head in PRETRAINING:
        return MaskedLmTask(MaskedLmSettings(max_length=shape["length"], objective=head))
    settings = NerSettings(
        head=head, types=TYPES, max_length=shape["length"], stride=shape["length"] // 4
    )
    return NerTask(resolved(settings, Situation.SCRATCH))


def build(shape, head, xla, seed, compile_update):
    """The compiled model of `head`."""
    keras.utils.set_random_seed(seed)
    task = task_for(shape, head)
    model = task.build_model(bert_config(shape))
    optimizer = AdamWeightDecay(
        learning_rate=harness.LEARNING_RATE,
        weight_decay_rate=harness.WEIGHT_DECAY,
        compile_update=compile_update,
    )
    task.compile(model, optimizer, jit_compile=xla)
    return model


def batch_for(shape, head, seed):
    """`(features, labels)` of the fixed batch `head` trains on."""
    if head in PRETRAINING:
        data = harness.masked_batch(shape, seed)
        names = ["token_ids", "segment_ids", "masked_positions"]
        if head == "electra":
            names.append("original_ids")
        return {name: data[name] for name in names}, data["masked_labels"]
    data = harness.random_batch(shape, seed)
    features = {"token_ids": data["token_ids"], "segment_ids": data["segment_ids"]}
    return features, data["spans"] if "globalpointer" in head else data["tags"]


def longer(features, labels, extra=8):
    """The batch with `extra` more positions: real token ids (the same in `original_ids`),
    segment 0, tag 0; spans and masked positions stay where they are."""
    batch = features["token_ids"].shape[0]
    tokens = np.random.default_rng(0).integers(2, 100, (batch, extra))
    zeros = np.zeros((batch, extra))
    added = {"token_ids": tokens, "original_ids": tokens, "segment_ids": zeros}

    def grow(values, more):
        return np.concatenate([values, more.astype(values.dtype)], axis=1)

    grown = {n: grow(v, added[n]) if n in added else v for n, v in features.items()}
    if labels.shape == features["token_ids"].shape:  # tags, one per token
        labels = grow(labels, zeros)
    return grown, labels


def run_head(shape, head, xla, seed, threads, compile_update, dynamic_shapes, bf16):
    features, labels = batch_for(shape, head, seed)
    keras.mixed_precision.set_global_policy("mixed_bfloat16" if bf16 else "float32")
    model = build(shape, head, xla, seed, compile_update)
    if dynamic_shapes:  # the first trace at another length: the next ones relax it
        grown_features, grown_labels = longer(features, labels)
        model.train_on_batch(grown_features, grown_labels)
        if "infer" in shape["modes"]:
            model.predict_on_batch(grown_features)

    def train_step():
        # The loss (and the metrics after it, where the model has some) read back.
        float(np.atleast_1d(np.asarray(model.train_on_batch(features, labels)))[0])

    def infer_step():
        outputs = model.predict_on_batch(features)
        # Read every output back, as a caller does (tags, or span logits).
        for value in outputs.values() if isinstance(outputs, dict) else [outputs]:
            np.asarray(value)

    record = harness.base_record(
        f"ours-{head}"
        + ("-xla" if xla else "")
        + ("-dynamic" if dynamic_shapes else "")
        + ("-bf16" if bf16 else ""),
        shape,
        framework="tf_ner (Keras 3)",
        head=head,
        xla=xla,
        precision=keras.mixed_precision.global_policy().name,
        compile_update=compile_update,
        dynamic_shapes=dynamic_shapes,
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
    p.add_argument(
        "--no-compile-update", dest="compile_update", action="store_false",
        help="run the optimizer's update uncompiled",
    )  # fmt: skip
    p.add_argument(
        "--dynamic-shapes", action="store_true",
        help="trace the steps for any batch length, as fit over tf-ner's dataset does",
    )  # fmt: skip
    p.add_argument("--bf16", action="store_true", help="Keras's mixed_bfloat16 policy")
    args = p.parse_args()
    shape = harness.resolve(args)
    threads = harness.set_tf_threads(tf, args.threads)
    for head in args.head:
        run_head(
            shape, head, args.xla, args.seed, threads, args.compile_update,
            args.dynamic_shapes, args.bf16,
        )  # fmt: skip


if __name__ == "__main__":
    main()
