"""The warmup-hold-decay shape of `TimeBudgetSchedule`, against hand-computed rates."""

import pytest

from tf_ner.train.schedules import TimeBudgetSchedule


def test_rate_holds_at_its_peak_until_the_decay_starts():
    # 100 steps, 10 of warmup, the decay over the last 20: peak 1e-3 from step 10 to 80,
    # then 1e-3 * (100 - step) / 20.
    schedule = TimeBudgetSchedule(1e-3, warmup_steps=10, decay_fraction=0.2, total_steps=100)
    expected = {0: 0.0, 5: 5e-4, 10: 1e-3, 50: 1e-3, 80: 1e-3, 85: 7.5e-4, 95: 2.5e-4,
                100: 0.0, 120: 0.0}  # fmt: skip
    for step, rate in expected.items():
        assert float(schedule(step)) == pytest.approx(rate, rel=1e-6, abs=1e-12), step


def test_under_a_time_budget_the_decay_follows_the_time_spent():
    schedule = TimeBudgetSchedule(2e-3, warmup_fraction=0.1, decay_fraction=0.5)
    for progress, rate in [(0.05, 1e-3), (0.1, 2e-3), (0.5, 2e-3), (0.75, 1e-3), (1.0, 0.0)]:
        schedule.progress.assign(progress)
        assert float(schedule(123)) == pytest.approx(rate, rel=1e-6, abs=1e-12), progress


def test_config_round_trip_and_checks():
    schedule = TimeBudgetSchedule(1e-3, warmup_steps=3, decay_fraction=0.3, total_steps=50)
    again = TimeBudgetSchedule(**schedule.get_config())
    assert [float(again(s)) for s in (2, 40, 45)] == [float(schedule(s)) for s in (2, 40, 45)]
    with pytest.raises(ValueError, match="decay_fraction"):
        TimeBudgetSchedule(1e-3, decay_fraction=0.0)
    with pytest.raises(ValueError, match="total_steps"):
        TimeBudgetSchedule(1e-3, total_steps=0)
