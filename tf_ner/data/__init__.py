"""Data: NER entities and classification labels, file formats, tag schemes, windows, tf.data.

Names are imported on first use (`tf_ner.ground.lazy`): only the `tf.data` pipeline needs
TensorFlow. Add a name with one line in `_EXPORTS`.
"""

from tf_ner.ground.lazy import lazy_exports

_EXPORTS = {
    "CLASSIFICATION_FORMATS": "tf_ner.data.classification",
    "ClassificationInfo": "tf_ner.data.classification",
    "TextExample": "tf_ner.data.classification",
    "detect_classification_format": "tf_ner.data.classification",
    "label_counts": "tf_ner.data.classification",
    "read_classification": "tf_ner.data.classification",
    "stratified_split": "tf_ner.data.classification",
    "write_classification": "tf_ner.data.classification",
    "DatasetError": "tf_ner.data.formats",
    "DatasetInfo": "tf_ner.data.formats",
    "DatasetSummary": "tf_ner.data.stats",
    "EncodingReport": "tf_ner.data.encoding",
    "Example": "tf_ner.data.example",
    "FORMATS": "tf_ner.data.formats",
    "IGNORE_INDEX": "tf_ner.data.encoding",
    "LabelledData": "tf_ner.data.pipeline",
    "PredictionBatches": "tf_ner.data.prediction_batches",
    "SpanLabeler": "tf_ner.data.encoding",
    "TagLabeler": "tf_ner.data.encoding",
    "TagSequenceError": "tf_ner.data.tags",
    "UnrepresentableEntityError": "tf_ner.data.encoding",
    "Window": "tf_ner.data.windows",
    "data_stats_main": "tf_ner.data.stats",
    "detect_format": "tf_ner.data.formats",
    "encode_examples": "tf_ner.data.pipeline",
    "format_summary": "tf_ner.data.stats",
    "make_dataset": "tf_ner.data.pipeline",
    "make_prediction_batches": "tf_ner.data.prediction_batches",
    "merge_window_predictions": "tf_ner.data.windows",
    "read_dataset": "tf_ner.data.formats",
    "spans_to_tags": "tf_ner.data.tags",
    "split_windows": "tf_ner.data.windows",
    "summarize": "tf_ner.data.stats",
    "tag_errors": "tf_ner.data.tags",
    "tag_vocabulary": "tf_ner.data.tags",
    "tags_to_spans": "tf_ner.data.tags",
    "window_encoding": "tf_ner.data.windows",
    "write_dataset": "tf_ner.data.formats",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
