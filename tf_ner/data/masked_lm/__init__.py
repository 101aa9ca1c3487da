"""Masked-LM pre-training data: corpus files -> (whole-word) tokens -> packed rows ->
dynamically masked batches -> `tf.data`.

    corpus = read_corpus(["news.txt", "train.txt"])
    tokenized = tokenize_corpus(corpus.texts, tokenizer, whole_word_masking=True)
    packed = pack_sequences(tokenized, 128, tokenizer.cls_id, tokenizer.sep_id)
    batches = MaskedLmBatches(packed, 32, shuffle=True, seed=0, mask_id=...,
                              vocab_size=..., special_ids=...)
    dataset = masked_lm_dataset(batches)

Names are imported on first use (`tf_ner.ground.lazy`): only `masked_lm_dataset` and
`MASKED_LM_FEATURES_SPEC` need TensorFlow.
"""

from tf_ner.ground.lazy import lazy_exports

_EXPORTS = {
    "BigramCounts": "tf_ner.data.masked_lm.baselines",
    "bigram_accuracy": "tf_ner.data.masked_lm.baselines",
    "count_bigrams": "tf_ner.data.masked_lm.baselines",
    "most_frequent_copy_accuracy": "tf_ner.data.masked_lm.baselines",
    "Corpus": "tf_ner.data.masked_lm.corpus",
    "CorpusReport": "tf_ner.data.masked_lm.corpus",
    "FileReport": "tf_ner.data.masked_lm.corpus",
    "MASKED_LM_FEATURES_SPEC": "tf_ner.data.masked_lm.dataset",
    "MASKED_LM_LABELS_SPEC": "tf_ner.data.masked_lm.dataset",
    "MaskedBatch": "tf_ner.data.masked_lm.masking",
    "MaskedLmBatches": "tf_ner.data.masked_lm.batches",
    "PackedSequences": "tf_ner.data.masked_lm.packing",
    "TokenizationReport": "tf_ner.data.masked_lm.words",
    "WITH_ORIGINAL_SPEC": "tf_ner.data.masked_lm.dataset",
    "TokenizedText": "tf_ner.data.masked_lm.words",
    "mask_sequences": "tf_ner.data.masked_lm.masking",
    "masked_lm_dataset": "tf_ner.data.masked_lm.dataset",
    "max_predictions_for": "tf_ner.data.masked_lm.masking",
    "pack_sequences": "tf_ner.data.masked_lm.packing",
    "read_corpus": "tf_ner.data.masked_lm.corpus",
    "tokenize_corpus": "tf_ner.data.masked_lm.words",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
