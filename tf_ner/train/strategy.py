"""Choosing the `tf.distribute` strategy."""

import json
import logging
import os

import tensorflow as tf

from tf_ner.ground.errors import SettingsError

logger = logging.getLogger(__name__)


def make_strategy(name):
    """The strategy for `--strategy`.

    - `auto`: `MirroredStrategy` over the GPUs when more than one is visible, else
      the default strategy (one GPU, or the CPU).
    - `default`: the default strategy.
    - `mirrored`: `MirroredStrategy` over every visible GPU (or logical CPU device).
    - `multi-worker`: `MultiWorkerMirroredStrategy`; the cluster comes from `TF_CONFIG`.

    Raises:
        ValueError: `multi-worker` without a `TF_CONFIG` cluster, or an unknown name.
    """
    if name == "auto":
        gpus = tf.config.list_logical_devices("GPU")
        return tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy([d.name for d in devices])
    if name == "multi-worker":
        cluster = json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster")
        if not cluster:
            raise SettingsError(
                "strategy multi-worker needs TF_CONFIG with a cluster, e.g. "
                '{"cluster": {"worker": ["host1:port", "host2:port"]}, '
                '"task": {"type": "worker", "index": 0}}'
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise SettingsError(f"unknown strategy {name!r}")


def task_of(strategy):
    """`(task_type, task_id)` of this process in a `TF_CONFIG` cluster, or None alone."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return None
    return resolver.task_type, resolver.task_id


def is_chief(strategy):
    """True for the worker that writes files (worker 0, or a single process)."""
    this = task_of(strategy)
    if this is None:
        return True
    task_type, task_id = this
    cluster = strategy.cluster_resolver.cluster_spec().as_dict()
    return task_type == "chief" or (
        task_type == "worker" and task_id == 0 and "chief" not in cluster
    )


def prepare_fit(model, dataset, strategy):
    """Works around two bugs of Keras 3 `fit` under `MultiWorkerMirroredStrategy`.

    A no-op under any other strategy. Keras 3.15 `fit` under this strategy:
    1. first builds the model on one batch averaged over the replicas by
       `strategy.reduce`, which fails for a dict of features ("Attempt to convert a value
       ({'token_ids': PerReplica...") to a Tensor", keras-team/keras#20329): this builds
       the model, its compiled loss and metrics and the optimizer from one local batch
       instead (shapes only, no collective op) and skips that step of `fit`;
    2. averages each step's logs over the workers with `strategy.reduce("MEAN", v,
       axis=0)`, which fails on scalar logs ("Invalid reduction dimension 0 for input
       with 0 dimensions", tensorflow/tensorflow#72388): this gives every log value a
       leading axis of one, so that the mean over axis 0 and the workers is the scalar.

    Args:
        model: a compiled `keras.Model`, created under `strategy.scope()`.
        dataset: the training `tf.data.Dataset` of `(features, labels)`.
        strategy: the `tf.distribute.Strategy`.
    """
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return
    batch = next(iter(dataset))
    with strategy.scope():
        model._symbolic_build(data_batch=batch)
    model._maybe_symbolic_build = lambda iterator=None, data_batch=None: None
    train_step = model.train_step

    def train_step_with_batched_logs(data):
        return tf.nest.map_structure(lambda value: tf.expand_dims(value, 0), train_step(data))

    model.train_step = train_step_with_batched_logs


def describe(strategy):
    try:
        devices = list(strategy.extended.worker_devices)
    except RuntimeError:  # the default strategy: wherever TensorFlow places ops
        devices = [d.name for d in tf.config.list_logical_devices("GPU")[:1]] or ["CPU"]
    replicas = strategy.num_replicas_in_sync
    return f"{type(strategy).__name__} with {replicas} replica(s) on {', '.join(devices)}"
