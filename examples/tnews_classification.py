"""TNEWS (CLUE): Chinese news titles in 15 classes, on a Chinese BERT.

    python examples/tnews_classification.py --data-dir data/tnews --bert-dir chinese_L-12_H-768_A-12

Data: CLUE's release (`tnews_public.zip`: train.json, dev.json, test.json, one JSON
record per line, `{"label": "102", "label_desc": "news_entertainment", "sentence": ...}`;
the label is the class). The test file has no labels: the dev set is scored each epoch
and the best epoch kept; the example then says how to predict the test file.

Defaults: CLUE's BERT baseline (run_classifier_tnews.sh: max_seq_length 128, batch 32,
learning rate 2e-5, 3 epochs) with Google's run_classifier.py classifier on the pooler.
The optimizer is tf_ner's (bias-corrected AdamWeightDecay, 10% warmup, linear decay,
weight decay 0.01); `--no-bias-correction` is Google's exactly. Titles are short (about
22 characters): `--truncation` rarely matters here, `--pooling cls` or `mean` are the
other pooling choices. Any other `tf-ner train` flag overrides a default.
"""

import sys

from _common import CLUE_CLASSIFICATION, TNEWS, main

if __name__ == "__main__":
    sys.exit(main(TNEWS, CLUE_CLASSIFICATION, __doc__))
