import pytest

from tf_ner.reports import page_writer
from tf_ner.tasks.masked_lm.settings import MaskedLmSettings
from tf_ner.tasks.masked_lm.task import MaskedLmTask


def test_a_task_without_pages_refuses_them_naming_the_flag():
    task = MaskedLmTask(MaskedLmSettings())
    with pytest.raises(ValueError, match="--html: the masked_lm task has no page of predictions"):
        page_writer(task, "predictions", "--html")
    with pytest.raises(ValueError, match="--errors: the masked_lm task has no page of errors"):
        page_writer(task, "errors", "--errors")
