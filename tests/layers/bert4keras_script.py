"""Runs bert4keras 0.11.5's heads on arrays from an .npz and writes their outputs.

Usage (env TF_KERAS=1 TF_USE_LEGACY_KERAS=1, so bert4keras runs on tf-keras):
    python tests/layers/bert4keras_script.py inputs.npz outputs.npz
Weights arrive in bert4keras's own layouts; tests/layers/test_bert4keras_parity.py
converts ours to them.
"""

import sys

import numpy as np
import tensorflow as tf
from bert4keras.backend import K, multilabel_categorical_crossentropy
from bert4keras.layers import ConditionalRandomField, EfficientGlobalPointer, GlobalPointer
from bert4keras.snippets import ViterbiDecoder


def global_pointer_crossentropy(y_true, y_pred):
    # As in bert4keras's examples/task_sequence_labeling_ner_global_pointer.py.
    rows = K.prod(K.shape(y_pred)[:2])
    y_true = K.reshape(y_true, (rows, -1))
    y_pred = K.reshape(y_pred, (rows, -1))
    return K.mean(multilabel_categorical_crossentropy(y_true, y_pred))


def run_pointer(layer, weights, hidden, mask, labels):
    layer(hidden, mask=mask)  # creates the weights
    layer.set_weights(weights)
    logits = layer(hidden, mask=mask)
    return logits.numpy(), float(global_pointer_crossentropy(labels, logits))


def main(inputs_path, outputs_path):
    data = dict(np.load(inputs_path))
    types, head_size = int(data["num_types"]), int(data["head_size"])
    hidden = tf.constant(data["hidden"])
    mask = tf.constant(data["mask"].astype(bool))
    labels = tf.constant(data["labels"])
    out = {}
    out["gp_logits"], out["gp_loss"] = run_pointer(
        GlobalPointer(types, head_size),
        [data["gp_kernel"], data["gp_bias"]],
        hidden,
        mask,
        labels,
    )
    out["egp_logits"], out["egp_loss"] = run_pointer(
        EfficientGlobalPointer(types, head_size),
        [data["egp_p_kernel"], data["egp_p_bias"], data["egp_q_kernel"], data["egp_q_bias"]],
        hidden,
        mask,
        labels,
    )

    multiplier = float(data["lr_multiplier"])
    emissions = tf.constant(data["emissions"])
    crf_mask = tf.constant(data["crf_mask"].astype(bool))
    crf = ConditionalRandomField(lr_multiplier=multiplier)
    crf(emissions, mask=crf_mask)
    crf.set_weights([data["transitions"] / multiplier])  # bert4keras stores value / multiplier
    masked = crf(emissions, mask=crf_mask)
    out["crf_nll"] = crf.sparse_loss(tf.constant(data["tags"]), masked).numpy()
    out["crf_stored"] = crf.get_weights()[0]
    decoder = ViterbiDecoder(K.eval(crf.trans))
    paths = np.zeros(data["tags"].shape, "int32")
    for b, length in enumerate(data["crf_mask"].sum(1)):
        paths[b, :length] = decoder.decode(data["emissions"][b, :length].copy())
    out["crf_viterbi"] = paths
    np.savez(outputs_path, **out)


if __name__ == "__main__":
    main(*sys.argv[1:])
