"""NER data: the entity representation, file formats, tag schemes, summaries.

One import per line (`name as name` marks a re-export) so that modules can add theirs.
"""

from tf_ner.data.example import Example as Example
from tf_ner.data.formats import FORMATS as FORMATS
from tf_ner.data.formats import DatasetError as DatasetError
from tf_ner.data.formats import DatasetInfo as DatasetInfo
from tf_ner.data.formats import detect_format as detect_format
from tf_ner.data.formats import read_dataset as read_dataset
from tf_ner.data.formats import write_dataset as write_dataset
from tf_ner.data.stats import DatasetSummary as DatasetSummary
from tf_ner.data.stats import data_stats_main as data_stats_main
from tf_ner.data.stats import format_summary as format_summary
from tf_ner.data.stats import summarize as summarize
from tf_ner.data.tags import TagSequenceError as TagSequenceError
from tf_ner.data.tags import spans_to_tags as spans_to_tags
from tf_ner.data.tags import tag_errors as tag_errors
from tf_ner.data.tags import tag_vocabulary as tag_vocabulary
from tf_ner.data.tags import tags_to_spans as tags_to_spans
