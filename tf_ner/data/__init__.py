"""NER data: the entity representation, file formats, tag schemes, summaries.

One import per line (`name as name` marks a re-export) so that modules can add theirs.
"""

from tf_ner.data.classification import CLASSIFICATION_FORMATS as CLASSIFICATION_FORMATS
from tf_ner.data.classification import ClassificationInfo as ClassificationInfo
from tf_ner.data.classification import TextExample as TextExample
from tf_ner.data.classification import (
    detect_classification_format as detect_classification_format,
)
from tf_ner.data.classification import label_counts as label_counts
from tf_ner.data.classification import read_classification as read_classification
from tf_ner.data.classification import stratified_split as stratified_split
from tf_ner.data.classification import write_classification as write_classification
from tf_ner.data.encoding import IGNORE_INDEX as IGNORE_INDEX
from tf_ner.data.encoding import EncodingReport as EncodingReport
from tf_ner.data.encoding import SpanLabeler as SpanLabeler
from tf_ner.data.encoding import TagLabeler as TagLabeler
from tf_ner.data.encoding import UnrepresentableEntityError as UnrepresentableEntityError
from tf_ner.data.encoding import make_labeler as make_labeler
from tf_ner.data.example import Example as Example
from tf_ner.data.formats import FORMATS as FORMATS
from tf_ner.data.formats import DatasetError as DatasetError
from tf_ner.data.formats import DatasetInfo as DatasetInfo
from tf_ner.data.formats import detect_format as detect_format
from tf_ner.data.formats import read_dataset as read_dataset
from tf_ner.data.formats import write_dataset as write_dataset
from tf_ner.data.pipeline import PredictionBatches as PredictionBatches
from tf_ner.data.pipeline import encode_examples as encode_examples
from tf_ner.data.pipeline import make_dataset as make_dataset
from tf_ner.data.pipeline import make_prediction_batches as make_prediction_batches
from tf_ner.data.stats import DatasetSummary as DatasetSummary
from tf_ner.data.stats import data_stats_main as data_stats_main
from tf_ner.data.stats import format_summary as format_summary
from tf_ner.data.stats import summarize as summarize
from tf_ner.data.tags import TagSequenceError as TagSequenceError
from tf_ner.data.tags import spans_to_tags as spans_to_tags
from tf_ner.data.tags import tag_errors as tag_errors
from tf_ner.data.tags import tag_vocabulary as tag_vocabulary
from tf_ner.data.tags import tags_to_spans as tags_to_spans
from tf_ner.data.windows import Window as Window
from tf_ner.data.windows import merge_window_predictions as merge_window_predictions
from tf_ner.data.windows import split_windows as split_windows
from tf_ner.data.windows import window_encoding as window_encoding
