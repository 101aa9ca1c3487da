"""Text-classification data: `TextExample`, file formats (jsonl, CLUE, TSV), counts.

One import per line (`name as name` marks a re-export).
"""

from tf_ner.data.classification.example import TextExample as TextExample
from tf_ner.data.classification.example import label_counts as label_counts
from tf_ner.data.classification.io import CLASSIFICATION_FORMATS as CLASSIFICATION_FORMATS
from tf_ner.data.classification.io import ClassificationInfo as ClassificationInfo
from tf_ner.data.classification.io import (
    detect_classification_format as detect_classification_format,
)
from tf_ner.data.classification.io import read_classification as read_classification
from tf_ner.data.classification.io import write_classification as write_classification
from tf_ner.data.classification.split import stratified_split as stratified_split
