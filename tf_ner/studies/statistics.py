"""The numbers of a stability study: spread of scores, failed runs, loss thresholds.

Plain Python and numpy on lists of numbers; no files and no TensorFlow.

Definitions (Mosbach et al., 2021, "On the Stability of Fine-tuning BERT"):
- a run *failed* when its score is no better than the trivial prediction's (within
  `FAIL_TOLERANCE`): Mosbach et al. call a run failed when it does no better than the
  majority classifier;
- the *smoothed* training loss at a logged step `s` is the mean loss per step over the
  steps `(s - window, s]`: the logged rows whose step falls there, each weighted by the
  steps it covers (a row of `train_steps.csv` is the mean over the steps since the
  previous row);
- the *steps to a threshold* are the first logged step at which the smoothed loss is at
  or below it.
"""

import math
import statistics

import numpy as np

from tf_ner.ground.errors import SettingsError

FAIL_TOLERANCE = 1e-6  # scores are float32 sums: equal to the baseline's within this


def summarize(values):
    """`{"runs", "mean", "std", "min", "max"}` of a list of numbers.

    `std` is the sample standard deviation (ddof=1); None with fewer than two values.
    Every statistic but `runs` is None for an empty list.
    """
    values = [float(v) for v in values]
    if not values:
        return {"runs": 0, "mean": None, "std": None, "min": None, "max": None}
    return {
        "runs": len(values),
        "mean": statistics.fmean(values),
        "std": statistics.stdev(values) if len(values) > 1 else None,
        "min": min(values),
        "max": max(values),
    }


def median(values):
    """The median of the numbers that are not None; None if there is none."""
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def welch(values, reference):
    """Welch's t-test of the mean of `values` against that of `reference` (two-sided).

    Unequal variances: t = (mean - mean_ref) / sqrt(var / n + var_ref / n_ref), with
    the Welch-Satterthwaite degrees of freedom (Welch, 1947), variances ddof=1.

    Returns:
        `{"difference", "t", "df", "p"}`, `difference` the mean of `values` minus the
        reference's; None when either side has fewer than two values or both have no
        spread (t undefined).
    """
    values = np.asarray(values, np.float64)
    reference = np.asarray(reference, np.float64)
    if len(values) < 2 or len(reference) < 2:
        return None
    a, b = values.var(ddof=1) / len(values), reference.var(ddof=1) / len(reference)
    if a + b == 0:
        return None
    difference = float(values.mean() - reference.mean())
    t = difference / math.sqrt(a + b)
    df = float((a + b) ** 2 / (a**2 / (len(values) - 1) + b**2 / (len(reference) - 1)))
    return {"difference": difference, "t": float(t), "df": df, "p": t_two_sided_p(t, df)}


def t_two_sided_p(t, df):
    """P(|T| >= |t|) for Student's t with `df` (> 0, not necessarily whole) degrees of
    freedom: the regularized incomplete beta I_x(df / 2, 1 / 2) at x = df / (df + t^2)."""
    return _incomplete_beta(df / 2, 0.5, df / (df + t * t))


def _incomplete_beta(a, b, x):
    """The regularized incomplete beta function I_x(a, b), by its continued fraction
    (modified Lentz), on the side of x where it converges fast."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
        + a * math.log(x) + b * math.log1p(-x)
    )  # fmt: skip
    if x > (a + 1) / (a + b + 2):
        return 1.0 - _incomplete_beta(b, a, 1.0 - x)
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    fraction = d
    for m in range(1, 500):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            fraction *= c * d
        if abs(c * d - 1.0) < 1e-15:
            break
    return math.exp(log_front) * fraction / a


def is_failed(score, trivial_score, tolerance=FAIL_TOLERANCE):
    """True when `score` is no better than `trivial_score` (within `tolerance`)."""
    return score <= trivial_score + tolerance


def smooth_losses(steps, losses, window):
    """The smoothed loss at each logged step (see the module's definition).

    Args:
        steps: increasing ints, the optimizer step of each row.
        losses: floats, each row's mean loss over the steps since the previous row
            (the first row: since step 0).
        window: int >= 1, steps averaged over.

    Returns:
        list of floats, one per row.
    """
    if window < 1:
        raise SettingsError(f"window={window}: expected a positive number of steps")
    widths = np.diff(np.asarray([0, *steps], dtype=np.float64))
    steps = np.asarray(steps, dtype=np.float64)
    losses = np.asarray(losses, dtype=np.float64)
    smoothed = []
    for i, step in enumerate(steps):
        inside = slice(np.searchsorted(steps, step - window, side="right"), i + 1)
        smoothed.append(float(np.average(losses[inside], weights=widths[inside])))
    return smoothed


def steps_to_threshold(steps, smoothed, threshold):
    """The first step whose smoothed loss is at or below `threshold`, or None."""
    if threshold is None:
        return None
    return next((int(s) for s, v in zip(steps, smoothed, strict=True) if v <= threshold), None)


def default_threshold(final_losses, failed):
    """The largest final smoothed loss among the runs that did not fail.

    Every such run reaches it by its end, so the steps they take to reach it compare
    how fast settings train. When every run failed, the largest over all runs.

    Args:
        final_losses: the last smoothed loss of each run (None: no loss logged).
        failed: bools, one per run.

    Returns:
        float, or None when no run logged a loss.
    """
    kept = [v for v, f in zip(final_losses, failed, strict=True) if v is not None and not f]
    if not kept:
        kept = [v for v in final_losses if v is not None]
    return max(kept) if kept else None


def curve_band(curves, quantiles=(25, 50, 75)):
    """Percentiles across runs of loss curves logged at different steps.

    Each curve is interpolated linearly between its logged steps; past its ends it
    counts for no step, so a percentile at a step is over the runs that reached it.

    Args:
        curves: list of `(steps, values)`.
        quantiles: percentiles in [0, 100].

    Returns:
        `(steps, {q: values})`: the union of the logged steps (ascending) and each
        percentile there; empty when no curve has a point.
    """
    curves = [(s, v) for s, v in curves if len(s)]
    grid = np.unique(np.concatenate([np.asarray(s, float) for s, _ in curves] or [[]]))
    if not len(grid):
        return [], {q: [] for q in quantiles}
    table = np.full((len(curves), len(grid)), np.nan)
    for row, (steps, values) in enumerate(curves):
        inside = (grid >= steps[0]) & (grid <= steps[-1])
        table[row, inside] = np.interp(grid[inside], steps, values)
    bands = {q: np.nanpercentile(table, q, axis=0).tolist() for q in quantiles}
    return [int(s) if float(s).is_integer() else float(s) for s in grid], bands


def finite(value):
    """`value` if it is a finite number, else None (NaN losses of a diverged run)."""
    return value if value is not None and math.isfinite(value) else None
