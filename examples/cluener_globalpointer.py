"""CLUENER2020 fine-grained NER (10 types) with GlobalPointer on a Chinese BERT.

    python examples/cluener_globalpointer.py --data-dir data/cluener_public \
        --bert-dir chinese_L-12_H-768_A-12

Data: train.json and dev.json of https://github.com/CLUEbenchmark/CLUENER2020 (JSON
lines, `{"text", "label": {type: {entity: [[start, end]]}}}`, inclusive ends). Its
test.json has no labels, so the dev set both picks the best epoch and gives the
scores; the example then prints the `tf-ner predict` command that finds the entities
of test.json (written as tf_ner's jsonl of character spans).

Defaults: --max-length 256, --epochs 10, --batch-size 16, --learning-rate 2e-5 and
--head-size 64 (GlobalPointer(len(categories), 64)), from Su Jianlin's
https://github.com/bojone/GlobalPointer CLUENER_GlobalPointer.py, the CLUENER
experiment of https://kexue.fm/archives/8373. The optimizer stays tf_ner's
(bias-corrected AdamWeightDecay, 10% warmup, linear decay, weight decay 0.01) where
the script used plain Adam at a constant rate. Any other `tf-ner train` flag
overrides a default.
"""

import sys

from _common import CHINESE_GLOBALPOINTER, CLUENER, main

if __name__ == "__main__":
    sys.exit(main(CLUENER, CHINESE_GLOBALPOINTER, __doc__))
