"""CMeEE medical NER (CBLUE; 9 types, nested entities) with GlobalPointer on a Chinese BERT.

    python examples/cmeee_globalpointer.py --data-dir data/CMeEE --bert-dir chinese_L-12_H-768_A-12

Data: CMeEE_train.json and CMeEE_dev.json (CMeEE-V2_train.json and CMeEE-V2_dev.json
of CBLUE 2.0 too) from https://tianchi.aliyun.com/dataset/dataDetail?dataId=95414
(a JSON list of `{"text", "entities": [{"start_idx", "end_idx", "type", "entity"}]}`,
inclusive ends). Entities nest (a symptom inside a disease), which GlobalPointer
scores span by span; a tagging head could not represent them. The test file has no
labels, so the dev set both picks the best epoch and gives the scores; the example
then prints the `tf-ner predict` command that finds the test file's entities.

Defaults: --max-length 256, --epochs 10, --batch-size 16, --learning-rate 2e-5 and
--head-size 64 (GlobalPointer(len(categories), 64)), from Su Jianlin's
https://github.com/bojone/GlobalPointer CMeEE_GlobalPointer.py, the CMeEE experiment
of https://kexue.fm/archives/8373. The optimizer stays tf_ner's (bias-corrected
AdamWeightDecay, 10% warmup, linear decay, weight decay 0.01) where the script used
plain Adam at a constant rate. Any other `tf-ner train` flag overrides a default.
"""

import sys

from _common import CHINESE_GLOBALPOINTER, CMEEE, main

if __name__ == "__main__":
    sys.exit(main(CMEEE, CHINESE_GLOBALPOINTER, __doc__))
