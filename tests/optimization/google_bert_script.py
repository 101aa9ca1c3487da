"""Google's BERT code (bert-tensorflow 1.0.4) with its optimizer and with ours, on TF 2.21.

    TF_USE_LEGACY_KERAS=1 python google_bert_script.py WORKDIR

Runs in a fresh process: `modeling.py` needs tf-keras behind `tf.compat.v1.layers`, the
one contrib function it imports (`tensorflow.contrib.layers.layer_norm`, given here by a
stand-in) and TF1 tensor shapes. Prints one JSON line of loss trajectories, final
weights' differences and signature checks for the parent test.
"""

import inspect
import json
import os
import sys
import types

import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import rewriter_config_pb2

tf1 = tf.compat.v1
STEPS = 10


def install_contrib_layer_norm():
    """A `tensorflow.contrib.layers` module holding the `layer_norm` modeling.py calls."""

    def layer_norm(inputs, begin_norm_axis=-1, begin_params_axis=-1, scope=None):
        with tf1.variable_scope(scope, default_name="LayerNorm"):
            depth = inputs.shape[-1:]
            beta = tf1.get_variable("beta", depth, initializer=tf1.zeros_initializer())
            gamma = tf1.get_variable("gamma", depth, initializer=tf1.ones_initializer())
            mean, variance = tf.nn.moments(inputs, [begin_norm_axis], keepdims=True)
            return tf.nn.batch_normalization(inputs, mean, variance, beta, gamma, 1e-12)

    contrib = types.ModuleType("tensorflow.contrib")
    contrib.layers = types.ModuleType("tensorflow.contrib.layers")
    contrib.layers.layer_norm = layer_norm
    sys.modules["tensorflow.contrib"] = contrib
    sys.modules["tensorflow.contrib.layers"] = contrib.layers


install_contrib_layer_norm()
tf1.disable_v2_tensorshape()

from bert import modeling, run_classifier  # noqa: E402
from bert import optimization as google  # noqa: E402

from tf_ner.optimization import tf1 as ours  # noqa: E402

CONFIG = modeling.BertConfig(
    vocab_size=30,
    hidden_size=16,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=32,
    hidden_dropout_prob=0.0,
    attention_probs_dropout_prob=0.0,
    max_position_embeddings=16,
    type_vocab_size=2,
)


def batch():
    rng = np.random.default_rng(0)
    input_ids = rng.integers(3, 30, size=(8, 8)).astype("int32")
    input_mask = np.ones_like(input_ids)
    input_mask[:4, 6:] = 0
    labels = (input_ids[:, 1] < 16).astype("int32")
    return input_ids, input_mask, np.zeros_like(input_ids), labels


def google_graph(make_train_op, is_training=True):
    """Google's classifier graph (`run_classifier.create_model`) and `make_train_op(loss)`."""
    graph = tf.Graph()
    with graph.as_default():
        tf1.set_random_seed(0)  # same initial weights (and dropout masks) in every graph
        input_ids, input_mask, segment_ids, labels = (tf.constant(a) for a in batch())
        loss, _, _, _ = run_classifier.create_model(
            CONFIG, is_training, input_ids, input_mask, segment_ids, labels, 2, False
        )
        train_op = make_train_op(loss)
        return graph, loss, train_op, tf1.train.Saver()


def session_config(reassociate):
    """Grappler's arithmetic optimizer on (TF's default) or off.

    It rewrites sums in the model's gradient graph differently in two graphs that differ
    anywhere else (here: in the optimizer's ops), which moves the gradients, and so the
    trajectories, in the last bit from the fifth step on. Off, both graphs compute the
    same gradients and the optimizers are compared bit for bit.
    """
    config = tf1.ConfigProto()
    if not reassociate:
        options = config.graph_options.rewrite_options
        options.arithmetic_optimization = rewriter_config_pb2.RewriterConfig.OFF
    return config


def run(make_train_op, steps=STEPS, is_training=True, save=False, restore=False, reassociate=False):
    """The loss before each step and the final weights; saves or resumes a checkpoint."""
    graph, loss, train_op, saver = google_graph(make_train_op, is_training)
    checkpoint = os.path.join(WORKDIR, "model.ckpt")
    losses = []
    with tf1.Session(graph=graph, config=session_config(reassociate)) as session:
        if restore:
            saver.restore(session, checkpoint)
        else:
            session.run(tf1.global_variables_initializer())
        for _ in range(steps):
            value, _ = session.run([loss, train_op])
            losses.append(float(value))
        if save:
            saver.save(session, checkpoint)
        weights = session.run(tf1.trainable_variables())
    return losses, weights


def max_difference(a, b):
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a, b, strict=True))


def trajectories():
    lr = 2e-2

    def google_op(loss):
        return google.create_optimizer(loss, lr, STEPS, 2, False)

    def ours_uncorrected(loss):
        return ours.create_optimizer(loss, lr, STEPS, 2, False, bias_correction=False)

    google_losses, google_weights = run(google_op)
    same_losses, same_weights = run(ours_uncorrected)
    corrected, _ = run(lambda loss: ours.create_optimizer(loss, lr, STEPS, 2, False))
    _, google_default = run(google_op, reassociate=True)
    _, ours_default = run(ours_uncorrected, reassociate=True)

    def resumable(loss):
        return ours.create_optimizer(loss, lr, STEPS, 2, False)

    uninterrupted, _ = run(resumable, is_training=False)
    first_half, _ = run(resumable, steps=STEPS // 2, is_training=False, save=True)
    second_half, _ = run(resumable, steps=STEPS - STEPS // 2, is_training=False, restore=True)
    return {
        "google": google_losses,
        "ours_without_correction": same_losses,
        "max_weight_difference_without_correction": max_difference(google_weights, same_weights),
        "ours_with_correction": corrected,
        "max_weight_difference_with_grappler_arithmetic": max_difference(
            google_default, ours_default
        ),
        "uninterrupted": uninterrupted,
        "resumed": first_half + second_half,
    }


POSITIONAL = (0.01, 0.1, 0.8, 0.98, 1e-5, ["LayerNorm", "bias"], "positional_name")


def apply_directly(optimizer_class, args, **kwargs):
    """Three steps of `optimizer_class(*args, **kwargs).apply_gradients` on Google's graph."""
    built = {}

    def make_train_op(loss):
        optimizer = optimizer_class(*args, **kwargs)
        built["optimizer"] = optimizer
        tvars = tf1.trainable_variables()
        grads = tf.gradients(loss, tvars)
        return optimizer.apply_gradients(zip(grads, tvars, strict=True))

    _, weights = run(make_train_op, steps=3)
    optimizer = built["optimizer"]
    attributes = {
        key: getattr(optimizer, key)
        for key in ("learning_rate", "weight_decay_rate", "beta_1", "beta_2", "epsilon")
    }
    attributes["exclude_from_weight_decay"] = list(optimizer.exclude_from_weight_decay or [])
    attributes["name"] = optimizer.get_name()
    return weights, attributes


def positional_binding():
    report = {}
    for label, args in (("positional", POSITIONAL), ("defaults_with_decay", (0.01, 0.1))):
        google_weights, google_attributes = apply_directly(google.AdamWeightDecayOptimizer, args)
        our_weights, our_attributes = apply_directly(
            ours.AdamWeightDecayOptimizer, args, bias_correction=False
        )
        report[label] = {
            "attributes_equal": google_attributes == our_attributes,
            "max_weight_difference": max_difference(google_weights, our_weights),
        }
    report["signatures"] = {
        name: google_parameters_kept(getattr(google, name), getattr(ours, name))
        for name in ("AdamWeightDecayOptimizer", "create_optimizer")
    }
    return report


def google_parameters_kept(google_callable, our_callable):
    """Google's parameters first, same names, kinds and defaults; ours keyword-only after."""
    theirs = list(inspect.signature(google_callable).parameters.values())
    mine = list(inspect.signature(our_callable).parameters.values())
    same = all(
        a.name == b.name
        and a.kind == b.kind
        and (a.default is inspect.Parameter.empty or a.default == b.default)
        for a, b in zip(theirs, mine, strict=False)
    )
    added = mine[len(theirs) :]
    return same and all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in added)


if __name__ == "__main__":
    WORKDIR = sys.argv[1]
    print(json.dumps({**trajectories(), **positional_binding()}))
