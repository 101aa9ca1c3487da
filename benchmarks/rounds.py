"""Rounds of a speed benchmark: runners taking turns, figures as medians over rounds.

A speed table reports each runner's median over `DEFAULT_ROUNDS` rounds or more, with
the least and the most beside it, never its best round; and the ratio of two runners as
the median of their per-round ratios (round k of one against round k of the other, run
minutes apart, so that a machine's drift touches both). Within a round the runners take
turns in an order rotated every round, so that none always runs right after the same
one.
"""

import statistics

DEFAULT_ROUNDS = 5


def round_order(items, round_index):
    """`items` (a list) rotated left by `round_index`: each takes every place in turn."""
    if not items:
        return []
    shift = round_index % len(items)
    return items[shift:] + items[:shift]


def spread(values):
    """`{"median", "min", "max", "values"}` of the numbers among `values` (a failed
    round's None left out of the median, kept in `values`); None when there are none."""
    values = list(values)
    numbers = [v for v in values if v is not None]
    if not numbers:
        return None
    return {
        "median": statistics.median(numbers),
        "min": min(numbers),
        "max": max(numbers),
        "values": values,
    }


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def combine(records):
    """One runner's rounds as one record.

    Args:
        records: list, one entry per round: the runner's record (a dict), or None or a
            dict with `"error"` for a round that failed.

    Returns:
        The first good record's fields with every number replaced by its median over
        the rounds, and `rounds`: `{field: [value per round]}` (None where a round
        failed or lacked it), `rounds_ok`: the good rounds; or, when no round
        succeeded, the last error record.
    """
    good = [r for r in records if r is not None and "error" not in r]
    if not good:
        return next((r for r in reversed(records) if r is not None), {"error": "no round ran"})
    by_round = [r if r is not None and "error" not in r else {} for r in records]
    combined = dict(good[0])
    rounds = {}
    for key, value in good[0].items():
        if _is_number(value):
            rounds[key] = [r.get(key) for r in by_round]
            same = all(v == value for v in rounds[key] if v is not None)
            combined[key] = value if same else spread(rounds[key])["median"]  # counts stay ints
    combined["rounds"] = rounds
    combined["rounds_ok"] = len(good)
    return combined


def round_values(record, key):
    """A combined record's values of `key` by round (`[value]` for a plain record)."""
    if record is None or key not in record:
        return []
    return record.get("rounds", {}).get(key, [record[key]])


def over_rounds(record, key):
    """`spread` of a combined record's values of `key` over its rounds."""
    return spread(round_values(record, key))


def paired(record, reference, key, operation):
    """`spread` of `operation(record[key], reference[key])` round by round (rounds where
    either failed left out); None without a pair of values."""
    mine, theirs = round_values(record, key), round_values(reference, key)
    return spread(
        operation(a, b) if a is not None and b is not None else None
        for a, b in zip(mine, theirs, strict=False)
    )


def ratios(record, reference, key):
    """`paired` ratios `record[key] / reference[key]`: the median of per-round ratios."""
    return paired(record, reference, key, lambda a, b: a / b if b else None)


def show(found, spec, scale=1.0):
    """`"median (min-max)"` of a `spread`, each value times `scale`; "–" for None."""
    if found is None:
        return "–"
    median, low, high = (found[k] * scale for k in ("median", "min", "max"))
    if low == high:
        return format(median, spec)
    return f"{median:{spec}} ({low:{spec}}–{high:{spec}})"
