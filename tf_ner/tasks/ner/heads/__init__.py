"""NER heads, one module each (`base.NerHead` says what a head owns).

A new head is one module defining `HEAD` and one line in `HEADS`; or, outside the
package, a `NerHead` subclass passed to `register_head`.
"""

from tf_ner.tasks.registry import Registry

HEADS = Registry(
    "head",
    {
        "crf": "tf_ner.tasks.ner.heads.crf",
        "softmax": "tf_ner.tasks.ner.heads.softmax",
        "globalpointer": "tf_ner.tasks.ner.heads.global_pointer",
        "efficient_globalpointer": "tf_ner.tasks.ner.heads.efficient_global_pointer",
    },
    attribute="HEAD",
)
register_head = HEADS.register
