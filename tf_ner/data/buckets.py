"""Bucket lengths: the few padded lengths that batches of windows are cut to."""


def default_buckets(max_length):
    """Bucket lengths that pad a window by at most about 1/8 of its length.

    Steps of 8 tokens from 16 up to 128, of 16 up to 256, of 32 up to 512 and so on
    (the step is the largest power of two <= length / 8, at least 8), ending at
    `max_length`. Batches of MSRA (mean window 44 tokens) are then 90% real tokens,
    against 68% with lengths 32/64/128 (`benchmarks/results/epoch_throughput*.md`);
    Keras's `reduce_retracing` keeps one training trace for all of them.

    Args:
        max_length: int, positions of a window including [CLS] and [SEP].

    Returns:
        tuple of int, increasing; e.g. `(16, 24, ..., 120, 128)` for 128,
        `(16, 24, ..., 96, 100)` for 100.
    """
    buckets, length = [], 16
    while length < max_length:
        buckets.append(length)
        length += max(8, 1 << ((length // 8).bit_length() - 1))
    return (*buckets, max_length)


def check_buckets(buckets, max_length):
    """Validates bucket lengths; returns them sorted (the default when None).

    Raises:
        ValueError: a bucket that is not an int >= 3, or none that holds `max_length`.
    """
    if buckets is None:
        return default_buckets(max_length)
    buckets = tuple(sorted(set(buckets)))
    if not buckets or any(not isinstance(b, int) or b < 3 for b in buckets):
        raise ValueError(f"buckets={buckets!r}: expected ints >= 3, e.g. (32, 64, 128)")
    if buckets[-1] < max_length:
        raise ValueError(
            f"buckets={buckets!r} stop below max_length={max_length}: the longest bucket "
            f"must hold a full window; add {max_length}"
        )
    return buckets


def rows_per_batch(buckets, batch_size=32, batch_tokens=None, multiple=1):
    """Rows (windows or texts) in a batch of each bucket.

    With `batch_tokens`, a batch of a bucket of length `l` holds `batch_tokens // l`
    rows, rounded down to a multiple of `multiple` (the replicas a batch is split
    across), so that no batch holds more than `batch_tokens` padded positions (real
    tokens, [CLS] and [SEP] included, and padding) and each bucket keeps one batch
    shape. Without it, every bucket takes `batch_size` rows.

    Args:
        buckets: increasing ints, the padded lengths.
        batch_size: int >= 1, rows per batch without `batch_tokens`.
        batch_tokens: optional int, padded positions a batch may hold.
        multiple: int >= 1, what each batch's row count must be a multiple of.

    Returns:
        dict `{bucket_length: rows}`.

    Raises:
        ValueError: `batch_tokens` too small for `multiple` rows of the longest bucket.
    """
    if not isinstance(multiple, int) or multiple < 1:
        raise ValueError(f"multiple={multiple!r}: expected a positive int (the replicas)")
    if batch_tokens is None:
        return {length: batch_size for length in buckets}
    if not isinstance(batch_tokens, int) or batch_tokens < multiple * buckets[-1]:
        raise ValueError(
            f"batch_tokens={batch_tokens!r} holds fewer than {multiple} window(s) of "
            f"{buckets[-1]} tokens (the longest bucket, one per replica): give at least "
            f"{multiple * buckets[-1]}"
        )
    return {length: batch_tokens // length // multiple * multiple for length in buckets}
