"""`MaskedLmBatches` as a `tf.data.Dataset` (the one masked-LM module that imports tf)."""

import tensorflow as tf

# Any batch size, any packed length, any number of predictions per row.
MASKED_LM_FEATURES_SPEC = {
    "token_ids": tf.TensorSpec([None, None], tf.int32),
    "segment_ids": tf.TensorSpec([None, None], tf.int32),
    "masked_positions": tf.TensorSpec([None, None], tf.int32),
}
MASKED_LM_LABELS_SPEC = tf.TensorSpec([None, None], tf.int32)
# Replaced-token detection also reads the rows unmasked.
WITH_ORIGINAL_SPEC = {
    **MASKED_LM_FEATURES_SPEC,
    "original_ids": tf.TensorSpec([None, None], tf.int32),
}


def masked_lm_dataset(batches):
    """The `tf.data.Dataset` over a `MaskedLmBatches` plan.

    Every new iterator over the dataset calls `batches` once: one epoch, the one in
    `batches.epoch` (which the call then increments).

    Args:
        batches: `MaskedLmBatches`.

    Returns:
        `tf.data.Dataset` of `(features, labels)` as `MaskedLmBatches` yields them,
        with cardinality `len(batches)`, prefetched.
    """
    features = WITH_ORIGINAL_SPEC if batches.with_original else MASKED_LM_FEATURES_SPEC
    signature = (features, MASKED_LM_LABELS_SPEC)
    dataset = tf.data.Dataset.from_generator(batches, output_signature=signature)
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(len(batches)))
    return dataset.prefetch(tf.data.AUTOTUNE)
