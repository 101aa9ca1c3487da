"""keras-hub `BertBackbone` + a `Dense` tag layer (Keras 3, TensorFlow backend) on fixed shapes.

The token-classification model one writes with keras-hub (it has no NER task):
the backbone's `sequence_output` through `keras.layers.Dense(num_tags)`, sparse
cross-entropy from logits, `keras.optimizers.AdamW`. `train_on_batch` and
`predict_on_batch` as for tf_ner; `--xla` compiles them with XLA.

    python benchmarks/peers/keras_hub_runner.py --size mini [--xla]
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import harness  # noqa: E402
import keras  # noqa: E402
import keras_hub  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


def build(shape, xla, seed):
    keras.utils.set_random_seed(seed)
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=shape["vocab"],
        num_layers=shape["layers"],
        num_heads=shape["heads"],
        hidden_dim=shape["hidden"],
        intermediate_dim=shape["intermediate"],
        dropout=harness.DROPOUT,
        max_sequence_length=512,
    )
    inputs = backbone.input
    hidden = backbone(inputs)["sequence_output"]
    logits = keras.layers.Dense(harness.NUM_TAGS, name="tags")(
        keras.layers.Dropout(harness.DROPOUT)(hidden)
    )
    model = keras.Model(inputs, logits)
    model.compile(
        optimizer=keras.optimizers.AdamW(
            learning_rate=harness.LEARNING_RATE, weight_decay=harness.WEIGHT_DECAY
        ),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=xla,
    )
    return model


def main():
    p = harness.parser(__doc__.splitlines()[0])
    p.add_argument("--xla", action="store_true", help="compile the train/predict step with XLA")
    args = p.parse_args()
    shape = harness.resolve(args)
    threads = harness.set_tf_threads(tf, args.threads)
    data = harness.random_batch(shape, args.seed)
    features = {
        "token_ids": data["token_ids"],
        "segment_ids": data["segment_ids"],
        "padding_mask": np.ones_like(data["token_ids"], dtype=bool),
    }
    model = build(shape, args.xla, args.seed)

    def train_step():
        float(np.asarray(model.train_on_batch(features, data["tags"])))

    def infer_step():
        np.asarray(model.predict_on_batch(features))

    record = harness.base_record(
        "keras-hub" + ("-xla" if args.xla else ""),
        shape,
        framework="keras-hub BertBackbone + Dense (Keras 3)",
        head="softmax",
        xla=args.xla,
        optimizer="keras.optimizers.AdamW",
        params=harness.count_parameters(model.weights),
        threads=threads,
        versions={
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "keras_hub": keras_hub.__version__,
        },
    )
    record.update(harness.measure(shape, train_step, infer_step))
    harness.emit(record)


if __name__ == "__main__":
    main()
