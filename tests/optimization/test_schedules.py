"""Schedules: formula values, Google's polynomial decay op for op, serialisation, bad input."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tf_ner.optimization import WarmupConstant, WarmupLinearDecay, WarmupPolynomialDecay


def python_polynomial(step, init, total, warmup, end=0.0, power=1.0):
    if step < warmup:
        return init * step / warmup
    return (init - end) * (1 - min(step, total) / total) ** power + end


@pytest.mark.parametrize("power, end", [(1.0, 0.0), (2.0, 1e-6), (0.5, 0.0)])
def test_warmup_polynomial_decay_values(power, end):
    schedule = WarmupPolynomialDecay(
        5e-5, decay_steps=100, warmup_steps=10, end_learning_rate=end, power=power
    )
    for step in [0, 1, 5, 9, 10, 11, 50, 99, 100, 150]:
        expected = python_polynomial(step, 5e-5, 100, 10, end, power)
        assert float(schedule(step)) == pytest.approx(expected, rel=1e-6, abs=1e-12), step


def test_linear_decay_starts_at_zero_and_peaks_after_warmup():
    schedule = WarmupLinearDecay(1e-3, decay_steps=20, warmup_steps=4)
    values = [float(schedule(s)) for s in range(25)]
    assert values[0] == 0.0  # Google's first step has rate 0
    assert values[4] == pytest.approx(1e-3 * (1 - 4 / 20))
    assert max(values) == values[3] or max(values) == values[4]
    assert values[20:] == [0.0] * 5
    assert float(WarmupLinearDecay(1e-3, decay_steps=20)(0)) == pytest.approx(1e-3)


def test_warmup_constant_values():
    schedule = WarmupConstant(2e-5, warmup_steps=8)
    assert [float(schedule(s)) for s in (0, 4, 8, 1000)] == pytest.approx([0.0, 1e-5, 2e-5, 2e-5])
    assert float(WarmupConstant(2e-5)(0)) == pytest.approx(2e-5)


def test_equals_googles_graph_schedule_bit_for_bit():
    """Google's create_optimizer schedule, built from tf.compat.v1 ops, as the peer."""
    init_lr, total, warmup = 3e-5, 50, 7
    with tf.Graph().as_default():
        step = tf.compat.v1.placeholder(tf.int64, [])
        google = tf.compat.v1.train.polynomial_decay(
            tf.constant(init_lr, tf.float32), step, total, end_learning_rate=0.0, power=1.0
        )
        steps_int = tf.cast(step, tf.int32)
        warmup_int = tf.constant(warmup, dtype=tf.int32)
        done = tf.cast(steps_int, tf.float32) / tf.cast(warmup_int, tf.float32)
        is_warmup = tf.cast(steps_int < warmup_int, tf.float32)
        google = (1.0 - is_warmup) * google + is_warmup * (init_lr * done)
        ours = WarmupPolynomialDecay(init_lr, decay_steps=total, warmup_steps=warmup)(step)
        with tf.compat.v1.Session() as session:
            for s in range(0, 60):
                a, b = session.run([ours, google], {step: s})
                assert np.float32(a).tobytes() == np.float32(b).tobytes(), s


@pytest.mark.parametrize(
    "schedule",
    [
        WarmupPolynomialDecay(
            1e-4, decay_steps=10, warmup_steps=2, end_learning_rate=1e-6, power=2.0
        ),
        WarmupLinearDecay(1e-4, decay_steps=10, warmup_steps=2),
        WarmupConstant(1e-4, warmup_steps=3),
    ],
)
def test_serialisation_round_trip(schedule):
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    assert type(restored) is type(schedule)
    assert restored.get_config() == schedule.get_config()
    for step in range(12):
        assert float(restored(step)) == float(schedule(step))


@pytest.mark.parametrize(
    "make, argument",
    [
        (lambda: WarmupLinearDecay(-1e-3, decay_steps=10), "initial_learning_rate"),
        (lambda: WarmupLinearDecay(1e-3, decay_steps=0), "decay_steps"),
        (lambda: WarmupLinearDecay(1e-3, decay_steps=10, warmup_steps=-1), "warmup_steps"),
        (lambda: WarmupPolynomialDecay(1e-3, decay_steps=10, power=-1.0), "power"),
        (lambda: WarmupConstant(-2.0), "learning_rate"),
    ],
)
def test_bad_arguments(make, argument):
    with pytest.raises(ValueError, match=argument):
        make()
