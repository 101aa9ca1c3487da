"""bert4keras 0.11.5 on fixed shapes, under tf-keras (Keras 2), with its CRF or GlobalPointer.

The models of bert4keras's own NER examples: `build_transformer_model` (random init),
then `Dense(num_tags)` + `ConditionalRandomField(lr_multiplier=1000)` trained with
`crf.sparse_loss`, or `GlobalPointer(types, 64)` trained with the multi-label
cross-entropy over dense `[batch, types, length, length]` labels; both with
bert4keras's AdamW (`extend_with_weight_decay(Adam)`). Inference: `predict_on_batch`,
then for the CRF bert4keras's numpy `ViterbiDecoder` on every row (its CRF layer
returns the emissions; decoding happens outside the graph), for GlobalPointer the
logits.

Shim: bert4keras's optimizers subclass `keras.optimizers.Optimizer` and call the
Keras 2.10 API (`_set_hyper`); tf-keras 2.11+ moved that class to
`keras.optimizers.legacy.Optimizer`, so that name is rebound before bert4keras's
optimizers are imported. Nothing in site-packages is changed.

    python benchmarks/peers/bert4keras_runner.py --size mini --head crf
"""

import json
import os
import tempfile

# bert4keras reads TF_KERAS at import; tf.keras must be tf-keras (Keras 2).
os.environ["TF_KERAS"] = "1"
os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import harness  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.keras.optimizers.Optimizer = tf.keras.optimizers.legacy.Optimizer  # the shim, see above

import bert4keras  # noqa: E402
from bert4keras.backend import K, multilabel_categorical_crossentropy  # noqa: E402
from bert4keras.layers import ConditionalRandomField, GlobalPointer  # noqa: E402
from bert4keras.models import build_transformer_model  # noqa: E402
from bert4keras.optimizers import Adam, extend_with_weight_decay  # noqa: E402
from bert4keras.snippets import ViterbiDecoder  # noqa: E402

HEADS = ("crf", "globalpointer")
AdamW = extend_with_weight_decay(Adam, "AdamW")


def global_pointer_crossentropy(y_true, y_pred):
    """bert4keras's multi-label cross-entropy, one row per (example, type)."""
    rows = K.shape(y_pred)[0] * K.shape(y_pred)[1]
    y_true = K.reshape(y_true, (rows, -1))
    y_pred = K.reshape(y_pred, (rows, -1))
    return K.mean(multilabel_categorical_crossentropy(y_true, y_pred))


def dense_spans(spans, num_types, length):
    """`[batch, types, length, length]` 0/1 labels from `(type, start, end)` rows."""
    dense = np.zeros((spans.shape[0], num_types, length, length), np.float32)
    for row, row_spans in enumerate(spans):
        for t, start, end in row_spans:
            dense[row, t, start, end] = 1.0
    return dense


def build(shape, head, workdir):
    config = {
        **harness.bert_config_fields(shape),
        "hidden_act": "gelu",
        "initializer_range": 0.02,
        "max_position_embeddings": 512,
        "type_vocab_size": 2,
    }
    config_path = os.path.join(workdir, "bert_config.json")
    with open(config_path, "w") as f:
        json.dump(config, f)
    bert = build_transformer_model(config_path, checkpoint_path=None)
    optimizer = AdamW(
        learning_rate=harness.LEARNING_RATE,
        weight_decay_rate=harness.WEIGHT_DECAY,
        exclude_from_weight_decay=["Norm", "bias"],
    )
    if head == "crf":
        emissions = tf.keras.layers.Dense(harness.NUM_TAGS)(bert.output)
        crf = ConditionalRandomField(lr_multiplier=1000)
        model = tf.keras.Model(bert.input, crf(emissions))
        model.compile(loss=crf.sparse_loss, optimizer=optimizer)
        return model, crf
    scores = GlobalPointer(harness.NUM_TYPES, 64)(bert.output)
    model = tf.keras.Model(bert.input, scores)
    model.compile(loss=global_pointer_crossentropy, optimizer=optimizer)
    return model, None


def run_head(shape, head, seed, workdir, threads):
    tf.keras.utils.set_random_seed(seed)
    data = harness.random_batch(shape, seed)
    inputs = [data["token_ids"], data["segment_ids"]]
    if head == "crf":
        labels = data["tags"]
    else:
        labels = dense_spans(data["spans"], harness.NUM_TYPES, shape["length"])
    model, crf = build(shape, head, workdir)

    def train_step():
        float(np.asarray(model.train_on_batch(inputs, labels)))

    def infer_step():
        outputs = np.asarray(model.predict_on_batch(inputs))
        if crf is not None:
            decoder = ViterbiDecoder(K.eval(crf.trans))
            for row in outputs:
                decoder.decode(row.copy())

    record = harness.base_record(
        f"bert4keras-{head}",
        shape,
        framework="bert4keras 0.11.5 (tf-keras)",
        head=head,
        optimizer="bert4keras AdamW",
        params=harness.count_parameters(model.weights),
        threads=threads,
        versions={"tensorflow": tf.__version__, "bert4keras": bert4keras.__version__},
    )
    record.update(harness.measure(shape, train_step, infer_step))
    harness.emit(record)
    tf.keras.backend.clear_session()


def main():
    p = harness.parser(__doc__.splitlines()[0], heads=HEADS)
    args = p.parse_args()
    shape = harness.resolve(args)
    threads = harness.set_tf_threads(tf, args.threads)
    with tempfile.TemporaryDirectory() as workdir:
        for head in args.head:
            run_head(shape, head, args.seed, workdir, threads)


if __name__ == "__main__":
    main()
