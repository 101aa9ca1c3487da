"""Stability studies: K seeds × a grid of training settings on one training subset,
and what the settings do to the spread of the results (`tf-ner stability`).

References:
    Mosbach, Andriushchenko and Klakow, "On the Stability of Fine-tuning BERT:
    Misconceptions, Explanations, and Strong Baselines", ICLR 2021.
    Zhang, Wu, Katiyar, Weinberger and Artzi, "Revisiting Few-sample BERT
    Fine-tuning", ICLR 2021.

Names are imported on first use (`tf_ner.ground.lazy`).
"""

from tf_ner.ground.lazy import lazy_exports

_EXPORTS = {
    "Setting": "tf_ner.studies.grid",
    "StudyResult": "tf_ner.studies.study",
    "draw_subset": "tf_ner.studies.subset",
    "merge_studies": "tf_ner.studies.merge",
    "parse_setting": "tf_ner.studies.grid",
    "run_study": "tf_ner.studies.study",
    "setting_config": "tf_ner.studies.grid",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
