"""Dataset file formats: readers, writers and auto-detection (see `dataset_io.py`)."""

from tf_ner.data.formats.dataset_io import FORMATS, read_dataset, write_dataset
from tf_ner.data.formats.detect import detect_format
from tf_ner.data.formats.errors import DatasetError, DatasetInfo

__all__ = [
    "FORMATS",
    "DatasetError",
    "DatasetInfo",
    "detect_format",
    "read_dataset",
    "write_dataset",
]
