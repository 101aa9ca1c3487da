"""A Keras model run for inference: its forward pass as one `tf.function`, and its
loss and metrics over labelled batches. The TensorFlow half of `tf_ner.tasks.base`,
imported when a Keras model runs (an ONNX predictor never imports it)."""

import weakref

import tensorflow as tf

from tf_ner.data.pipeline import FEATURES_SPEC

_FORWARD = weakref.WeakKeyDictionary()


def keras_forward_function(model, features_spec=None):
    """`model(features, training=False)` as a `tf.function`, one per model.

    Not `predict_on_batch`: under a distribution strategy that runs the whole batch on
    every replica (and across workers), where inference needs no collective at all.
    Its input signature has any batch size and length, so it traces once for all
    bucket lengths. The function holds the model weakly: a model nobody else holds is
    freed with its function.

    Args:
        features_spec: the model's features as `tf.TensorSpec`s; None:
            `{"token_ids", "segment_ids"}` (`FEATURES_SPEC`).
    """
    features_spec = FEATURES_SPEC if features_spec is None else features_spec
    forward = _FORWARD.get(model)
    if forward is None:
        reference = weakref.ref(model)
        forward = tf.function(
            lambda features: reference()(features, training=False),
            input_signature=[features_spec],
            autograph=False,  # plain graph code: nothing for AutoGraph to convert
        )
        _FORWARD[model] = forward
    return forward


def labelled_scores(
    model, data, loss_function, metrics, metric_outputs=lambda outputs: outputs,
    features_spec=FEATURES_SPEC,
):  # fmt: skip
    """Mean loss and Keras metrics of `model` over labelled batches, in inference mode.

    Args:
        model: the task's Keras model.
        data: `LabelledData` (its dataset yields `(features, labels)`).
        loss_function: callable `(labels, outputs) -> scalar mean over the batch`.
        metrics: Keras metrics updated with `(labels, metric_outputs(outputs))`.
        metric_outputs: callable picking what the metrics read from the outputs.
        features_spec: the model's features, as `tf.TensorSpec`s.

    Returns:
        dict: `"loss"` (the mean over windows) and each metric's `result()` by name.
    """
    forward = keras_forward_function(model, features_spec)
    total, windows = 0.0, 0
    for metric in metrics:
        metric.reset_state()
    for features, labels in data.dataset:
        outputs = forward(features)
        size = int(features["token_ids"].shape[0])
        total += float(loss_function(labels, outputs)) * size
        windows += size
        for metric in metrics:
            metric.update_state(labels, metric_outputs(outputs))
    scores = {"loss": total / windows if windows else 0.0}
    scores.update({metric.name: float(metric.result()) for metric in metrics})
    return scores
