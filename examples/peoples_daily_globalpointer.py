"""People's Daily NER (china-people-daily-ner-corpus) with GlobalPointer on a Chinese BERT.

    python examples/peoples_daily_globalpointer.py \
        --data-dir data/china-people-daily-ner-corpus --bert-dir chinese_L-12_H-768_A-12

Data: example.train, example.dev and example.test of
http://s3.bmio.net/kashgari/china-people-daily-ner-corpus.tar.gz (one character per
line, BIO tags PER/LOC/ORG). The dev set picks the best epoch; the test set is
scored once, at the end.

Defaults: --max-length 256, --epochs 10, --batch-size 16, --learning-rate 2e-5 and
--head-size 64 (GlobalPointer(len(categories), 64)), from Su Jianlin's
https://github.com/bojone/GlobalPointer PeopleDaily_GlobalPointer.py, the People's
Daily experiment of https://kexue.fm/archives/8373. The optimizer stays tf_ner's
(bias-corrected AdamWeightDecay, 10% warmup, linear decay, weight decay 0.01) where
the script used plain Adam at a constant rate. Any other `tf-ner train` flag
overrides a default.
"""

import sys

from _common import CHINESE_GLOBALPOINTER, PEOPLES_DAILY, main

if __name__ == "__main__":
    sys.exit(main(PEOPLES_DAILY, CHINESE_GLOBALPOINTER, __doc__))
