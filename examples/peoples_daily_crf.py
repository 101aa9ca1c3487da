"""People's Daily NER (china-people-daily-ner-corpus) with a CRF on a Chinese BERT.

    python examples/peoples_daily_crf.py --data-dir data/china-people-daily-ner-corpus \
        --bert-dir chinese_L-12_H-768_A-12

Data: example.train, example.dev and example.test of
http://s3.bmio.net/kashgari/china-people-daily-ner-corpus.tar.gz (one character per
line, BIO tags PER/LOC/ORG). The dev set picks the best epoch; the test set is
scored once, at the end.

Defaults: --max-length 256, --epochs 10, --batch-size 16, --learning-rate 2e-5 and
--crf-lr-multiplier 1000, from Su Jianlin's CRF baseline for GlobalPointer
(https://github.com/bojone/GlobalPointer PeopleDaily_CRF.py, written up in
https://kexue.fm/archives/8373). bert4keras's examples/task_sequence_labeling_ner_crf.py
trains on the same files with the same maxlen, epochs and CRF multiplier (batch 32,
lr 1e-5 in its latest version) and reports dev F1 96.18, test 95.35 with BERT-base.
The optimizer stays tf_ner's (bias-corrected AdamWeightDecay, 10% warmup, linear
decay, weight decay 0.01) where the scripts used plain Adam at a constant rate;
`--warmup 0 --weight-decay 0` comes closest to them. Any other `tf-ner train` flag
overrides a default.
"""

import sys

from _common import CHINESE_CRF, PEOPLES_DAILY, main

if __name__ == "__main__":
    sys.exit(main(PEOPLES_DAILY, CHINESE_CRF, __doc__))
