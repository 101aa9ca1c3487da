"""Losses of the NER heads: GlobalPointer (dense or sparse labels), softmax tagging.

The loss functions are registered with Keras, so compiled models save and load.

The CRF's loss is its negative log-likelihood, `-CRF.log_likelihood(...)`, computed
by `tf_ner.layers.CRFModel` (it needs the layer's transitions and the mask).

Label conventions:
    Dense GlobalPointer labels: float or int 0/1 `[batch, num_types, length, length]`,
        1 at `(type, start, end)` for the span of tokens `start..end` (end inclusive).
    Sparse GlobalPointer labels: int `[batch, max_spans, 3]`, rows
        `(type, start_token, end_token_inclusive)`, padding rows `(-1, -1, -1)`.
    Token labels: int `[batch, length]` tag ids, -100 where no loss is taken.
"""

import keras
import tensorflow as tf

from tf_ner.ground.masking import large_negative
from tf_ner.layers._checks import check_in_range, check_rank

# Logits at or below this are masked cells (every mask value the layers write, in any
# float dtype, lies below it after the cast to float32): neither positive nor negative.
MASKED_LOGIT_THRESHOLD = 0.5 * large_negative("float16")


def _checked_rows(sparse, num_types, length, owner):
    """The columns of sparse GlobalPointer labels, checked.

    Returns:
        `(types, starts, ends, real)`, int32 `[batch, max_spans]` each (`real` bool:
        not a padding row).
    """
    sparse = tf.convert_to_tensor(sparse)
    check_rank(sparse, (3,), "sparse", owner)
    if sparse.shape[-1] not in (None, 3):
        raise ValueError(
            f"{owner}: `sparse` must be [batch, max_spans, 3] rows (type, start, end), "
            f"received shape {sparse.shape}."
        )
    sparse = (
        tf.cast(tf.round(tf.cast(sparse, tf.float64)), tf.int32)
        if sparse.dtype.is_floating
        else tf.cast(sparse, tf.int32)
    )
    types, starts, ends = sparse[..., 0], sparse[..., 1], sparse[..., 2]
    real = types >= 0
    padding = tf.logical_not(real)
    types = check_in_range(types, -1, num_types, "sparse[..., 0] (type)", owner)
    starts = check_in_range(starts, 0, length, "sparse[..., 1] (start)", owner, real)
    ends = check_in_range(ends, 0, length, "sparse[..., 2] (end)", owner, real)
    check_in_range(
        ends - starts, 0, length, "sparse[..., 2] - sparse[..., 1] (end - start)", owner, real
    )
    check_in_range(starts, -1, 0, "sparse[..., 1] (start) of padding rows", owner, padding)
    check_in_range(ends, -1, 0, "sparse[..., 2] (end) of padding rows", owner, padding)
    return types, starts, ends, real


def _cell_indices(types, starts, ends, real):
    """`[batch, max_spans, 4]` indices `(b, type, start, end)`; padding rows (b, 0, 0, 0)."""
    batch_index = tf.broadcast_to(tf.range(tf.shape(types)[0])[:, None], tf.shape(types))
    indices = tf.stack([batch_index, types, starts, ends], axis=-1)
    return tf.where(real[..., None], indices, 0)


def dense_global_pointer_labels(sparse, num_types, length, dtype="float32"):
    """Builds dense GlobalPointer labels for one batch, in the graph.

    Args:
        sparse: int `[batch, max_spans, 3]`, rows `(type, start, end)` with the end
            inclusive, padding rows `(-1, -1, -1)`. Duplicate rows count once.
        num_types: int or scalar int tensor, the number of entity types.
        length: int or scalar int tensor, the padded token length of the batch.
        dtype: dtype of the result. Defaults to float32.

    Returns:
        `[batch, num_types, length, length]` tensor of 0/1.

    Raises:
        ValueError: `sparse` not of shape `[batch, max_spans, 3]`; eagerly, a type
            outside `[0, num_types)`, a start or end outside `[0, length)`, an end
            before its start, or a padding row that is not all -1 (traced, the same
            check raises `tf.errors.InvalidArgumentError`).
    """
    types, starts, ends, real = _checked_rows(
        sparse, num_types, length, "dense_global_pointer_labels"
    )
    indices = _cell_indices(types, starts, ends, real)  # padding rows write 0
    shape = tf.stack(
        [
            tf.shape(types)[0],
            tf.cast(num_types, tf.int32),
            tf.cast(length, tf.int32),
            tf.cast(length, tf.int32),
        ]
    )
    counts = tf.scatter_nd(
        tf.reshape(indices, [-1, 4]), tf.reshape(tf.cast(real, tf.int32), [-1]), shape
    )
    return tf.cast(tf.minimum(counts, 1), dtype)


@keras.saving.register_keras_serializable(package="tf_ner")
def global_pointer_loss(y_true, y_pred):
    """Multi-label cross-entropy of GlobalPointer logits, dense or sparse labels.

    Per example and type, with `P` the positive cells and `N` the other valid cells:
    `log(1 + sum_{P} exp(-s)) + log(1 + sum_{N} exp(s))`; the result is the mean over
    examples and types. Masked cells (logit at or below `MASKED_LOGIT_THRESHOLD`, as
    written by the layers) are neither positive nor negative: a label on a masked
    cell is ignored by the loss (the data layer must count such entities; the
    `EntityF1` metric still counts them as gold). Computed in float32.

    Usable directly as a Keras loss: `model.compile(loss=global_pointer_loss)`.

    Args:
        y_true: dense 0/1 labels `[batch, num_types, length, length]`, or sparse int
            labels `[batch, max_spans, 3]` (rows `(type, start, end)`, end inclusive,
            padding `(-1, -1, -1)`); chosen by rank (4 or 3).
        y_pred: logits `[batch, num_types, length, length]`.

    Returns:
        Scalar float32 loss.

    Raises:
        ValueError: ranks or shapes that do not match; sparse labels out of range
            (see `dense_global_pointer_labels`).
    """
    y_true = tf.convert_to_tensor(y_true)
    check_rank(y_true, (3, 4), "y_true", "global_pointer_loss")
    if y_true.shape.rank == 3:
        return sparse_global_pointer_loss(y_true, y_pred)
    y_pred = tf.cast(y_pred, tf.float32)
    check_rank(y_pred, (4,), "y_pred", "global_pointer_loss")
    if not y_true.shape.is_compatible_with(y_pred.shape):
        raise ValueError(
            "global_pointer_loss: dense `y_true` must have the shape of `y_pred` "
            f"[batch, num_types, length, length], received y_true {y_true.shape} and "
            f"y_pred {y_pred.shape}."
        )
    shape = tf.shape(y_pred)
    logits = tf.reshape(y_pred, [shape[0], shape[1], -1])
    positive = tf.reshape(tf.cast(y_true, tf.float32) > 0.5, tf.shape(logits))
    valid = logits > MASKED_LOGIT_THRESHOLD
    minus_inf = tf.constant(-float("inf"), tf.float32)
    zeros = tf.zeros_like(logits[..., :1])
    positive_terms = tf.where(tf.logical_and(valid, positive), -logits, minus_inf)
    negative_terms = tf.where(tf.logical_and(valid, tf.logical_not(positive)), logits, minus_inf)
    # The appended zero is the "1 +" inside each log.
    loss = tf.reduce_logsumexp(tf.concat([positive_terms, zeros], -1), -1) + tf.reduce_logsumexp(
        tf.concat([negative_terms, zeros], -1), -1
    )
    return tf.reduce_mean(loss)


@keras.saving.register_keras_serializable(package="tf_ner")
def sparse_global_pointer_loss(y_true, y_pred):
    """`global_pointer_loss` with sparse labels `[batch, max_spans, 3]`, without dense labels.

    The same loss as the dense form (duplicate rows count once, labels on masked cells
    are ignored), computed from the label rows: the positive term from the logits
    gathered at the rows, the negative term from the logits with the positive cells
    pushed down to `large_negative` (one `tensor_scatter_nd_add`, whose gradient is the
    identity), `log(1 + sum e^x)` as `softplus(logsumexp(x))`. Per batch, about five
    passes over the `[batch, types, length, length]` logits forward and three backward,
    where building dense labels and masks took about twenty (with the RoPE changes,
    GlobalPointer's training step went from 0.90 to 0.97 of a plain Dense head:
    `benchmarks/results/throughput_mini_heads_{before,after}.md`).
    """
    y_pred = tf.cast(tf.convert_to_tensor(y_pred), tf.float32)
    owner = "sparse_global_pointer_loss"
    check_rank(y_pred, (4,), "y_pred", owner)
    shape = tf.shape(y_pred)
    types, starts, ends, real = _checked_rows(y_true, shape[1], shape[2], owner)
    indices = _cell_indices(types, starts, ends, real)
    # A row equal to an earlier row of its example is a duplicate: count it once.
    key = (types * shape[2] + starts) * shape[2] + ends
    rows = tf.range(tf.shape(key)[1])
    earlier = rows[None, :] < rows[:, None]  # [row, earlier row]
    repeated = tf.reduce_any(
        (key[:, :, None] == key[:, None, :]) & earlier[None] & real[:, None, :], axis=-1
    )
    positive = tf.gather_nd(y_pred, indices)  # [batch, max_spans]
    counted = real & tf.logical_not(repeated) & (positive > MASKED_LOGIT_THRESHOLD)
    # [batch, types, max_spans]: -s of the rows of each type, large_negative elsewhere.
    of_type = counted[:, None, :] & tf.equal(types[:, None, :], tf.range(shape[1])[None, :, None])
    low = tf.constant(large_negative("float32"), tf.float32)
    positive_loss = tf.nn.softplus(
        tf.reduce_logsumexp(tf.where(of_type, -positive[:, None, :], low), axis=-1)
    )
    negatives = tf.tensor_scatter_nd_add(
        y_pred, tf.reshape(indices, [-1, 4]), tf.reshape(tf.where(real, low, 0.0), [-1])
    )
    negative_loss = tf.nn.softplus(tf.reduce_logsumexp(negatives, axis=[2, 3]))
    return tf.reduce_mean(positive_loss + negative_loss)


@keras.saving.register_keras_serializable(package="tf_ner")
def masked_token_crossentropy(y_true, y_pred, from_logits=True, ignore_label=-100):
    """Sparse categorical cross-entropy over tags, ignoring label `ignore_label`.

    Args:
        y_true: int `[batch, length]` tag ids; `ignore_label` where no loss is taken
            (non-first sub-tokens, `[CLS]`/`[SEP]`, padding).
        y_pred: `[batch, length, num_tags]` logits (or probabilities with
            `from_logits=False`).
        from_logits: bool. Defaults to True.
        ignore_label: int. Defaults to -100.

    Returns:
        Scalar float32: the mean over labelled tokens of the whole batch (0 when no
        token is labelled).

    Raises:
        ValueError: wrong ranks; eagerly, labels outside `[0, num_tags)` other than
            `ignore_label`.
    """
    y_true = tf.convert_to_tensor(y_true)
    y_pred = tf.cast(y_pred, tf.float32)
    check_rank(y_pred, (3,), "y_pred", "masked_token_crossentropy")
    if y_true.shape.rank == 3 and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    check_rank(y_true, (2,), "y_true", "masked_token_crossentropy")
    if y_true.dtype.is_floating:  # Keras casts labels to the loss dtype.
        y_true = tf.round(y_true)
    labels = tf.cast(y_true, tf.int32)
    labelled = tf.not_equal(labels, ignore_label)
    labels = check_in_range(
        labels, 0, tf.shape(y_pred)[-1], "y_true", "masked_token_crossentropy", labelled
    )
    labels = tf.where(labelled, labels, 0)
    if from_logits:
        log_probs = tf.nn.log_softmax(y_pred, axis=-1)
    else:
        log_probs = tf.math.log(tf.clip_by_value(y_pred, 1e-7, 1.0))
    nll = -tf.gather(log_probs, labels, axis=2, batch_dims=2)
    weights = tf.cast(labelled, tf.float32)
    return tf.math.divide_no_nan(tf.reduce_sum(nll * weights), tf.reduce_sum(weights))


def replaced_token_detection_loss(
    labels, generator_logits, discriminator_logits, replaced, real, discriminator_weight=50.0,
    ignore_label=-100,
):  # fmt: skip
    """ELECTRA's loss: the generator's masked-LM loss plus the weighted discriminator loss.

    `loss = mean_predicted(-log softmax(generator_logits)[label])
    + discriminator_weight * sum(real * bce(replaced, discriminator_logits)) / sum(real)`,
    `bce(z, x) = max(x, 0) - x * z + log(1 + exp(-|x|))`, the sigmoid cross-entropy
    (Clark et al. 2020, eq. 1, with the paper's weight 50 by default).

    Args:
        labels: int `[batch, P]`, the original ids at the masked positions,
            `ignore_label` where there is no prediction.
        generator_logits: `[batch, P, vocab]`.
        discriminator_logits: `[batch, length]`, > 0 means "replaced".
        replaced: float 0/1 `[batch, length]`, the discriminator's labels.
        real: float 0/1 `[batch, length]`, the tokens that count (not padding).
        discriminator_weight: float.
        ignore_label: int.

    Returns:
        Scalar float32 (a term is 0 when nothing counts in it).
    """
    generator = masked_token_crossentropy(labels, generator_logits, ignore_label=ignore_label)
    logits = tf.cast(discriminator_logits, tf.float32)
    replaced, real = tf.cast(replaced, tf.float32), tf.cast(real, tf.float32)
    per_token = tf.nn.sigmoid_cross_entropy_with_logits(labels=replaced, logits=logits)
    discriminator = tf.math.divide_no_nan(tf.reduce_sum(per_token * real), tf.reduce_sum(real))
    return generator + discriminator_weight * discriminator
