"""Choosing the `tf.distribute` strategy."""

import json
import logging
import os

import tensorflow as tf

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
            raise ValueError(
                "strategy multi-worker needs TF_CONFIG with a cluster, e.g. "
                '{"cluster": {"worker": ["host1:port", "host2:port"]}, '
                '"task": {"type": "worker", "index": 0}}'
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"unknown strategy {name!r}")


def is_chief(strategy):
    """True for the worker that writes files (worker 0, or a single process)."""
    resolver = getattr(strategy.extended, "_cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    return resolver.task_type == "chief" or (
        resolver.task_type == "worker"
        and resolver.task_id == 0
        and "chief" not in resolver.cluster_spec().as_dict()
    )


def describe(strategy):
    try:
        devices = list(strategy.extended.worker_devices)
    except RuntimeError:  # the default strategy: wherever TensorFlow places ops
        devices = [d.name for d in tf.config.list_logical_devices("GPU")[:1]] or ["CPU"]
    replicas = strategy.num_replicas_in_sync
    return f"{type(strategy).__name__} with {replicas} replica(s) on {', '.join(devices)}"
