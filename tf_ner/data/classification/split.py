"""A reproducible, stratified train/dev/test split of classification examples."""

import hashlib


def _key(seed, example):
    return hashlib.sha256(f"{seed}\0{example.text}".encode()).hexdigest()


def stratified_split(examples, fractions=(0.8, 0.1, 0.1), seed=0):
    """Splits examples into parts that keep each label set's share.

    Within each stratum (the examples with the same sorted label tuple) examples
    are ordered by the SHA-256 of `seed` and their text (ties, i.e. repeated
    texts, keep their input order) and cut into consecutive parts: the last `k`
    parts together hold `round(n * (sum of their fractions))` examples, so every
    part but the first gets about `fraction * n` and the first the rest. The
    result depends only on the examples, `fractions` and `seed`: not on the order
    of the input across strata, the Python version or any random state. Each part
    lists its examples in input order.

    Args:
        examples: sequence of `TextExample`.
        fractions: tuple of floats > 0 summing to 1, one per part. Defaults to
            `(0.8, 0.1, 0.1)` (train, dev, test).
        seed: int or str, selects another split of the same data.

    Returns:
        tuple of lists of `TextExample`, one per fraction.

    Raises:
        ValueError: fractions that are not positive or do not sum to 1.
    """
    if not fractions or min(fractions) <= 0 or abs(sum(fractions) - 1.0) > 1e-9:
        raise ValueError(f"fractions {fractions!r}: expected positive numbers summing to 1")
    examples = list(examples)
    strata = {}
    for index, example in enumerate(examples):
        strata.setdefault(tuple(sorted(example.labels)), []).append(index)
    part_of = {}
    for indices in strata.values():
        ordered = sorted(indices, key=lambda i: (_key(seed, examples[i]), i))
        # ends[k]: examples in parts k.. (rounded cumulatively, so sizes are >= 0)
        ends = [len(ordered)]
        ends += [round(len(ordered) * sum(fractions[k:])) for k in range(1, len(fractions))]
        ends.append(0)
        for part in range(len(fractions)):
            first = len(ordered) - ends[part]
            part_of.update((i, part) for i in ordered[first : len(ordered) - ends[part + 1]])
    return tuple(
        [example for i, example in enumerate(examples) if part_of[i] == part]
        for part in range(len(fractions))
    )
