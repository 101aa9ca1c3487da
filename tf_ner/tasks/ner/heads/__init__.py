"""NER heads, one module each (`base.NerHead` says what a head owns).

A built-in head is one module defining `HEAD`, its settings in `settings`, and one
line in `HEADS`. A head of another package is found through the entry-point group
`tf_ner.heads` (`NAME = package.module:HEAD`, see the README), or registered by code
with `register_head`; either way it declares its settings as its `settings_type`.
"""

from tf_ner.ground.registry import Registry
from tf_ner.tasks.ner.heads.settings import CrfSettings, GlobalPointerSettings, TagSettings

HEADS = Registry(
    "head",
    "tf_ner.heads",
    {
        "crf": ("tf_ner.tasks.ner.heads.crf", CrfSettings),
        "softmax": ("tf_ner.tasks.ner.heads.softmax", TagSettings),
        "globalpointer": ("tf_ner.tasks.ner.heads.global_pointer", GlobalPointerSettings),
        "efficient_globalpointer": (
            "tf_ner.tasks.ner.heads.efficient_global_pointer",
            GlobalPointerSettings,
        ),
    },
    attribute="HEAD",
)
register_head = HEADS.register
