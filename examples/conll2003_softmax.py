"""CoNLL-2003 English NER with a softmax token classifier on a cased BERT.

    python examples/conll2003_softmax.py --data-dir data/conll2003 --bert-dir cased_L-12_H-768_A-12

Data: eng.train, eng.testa (dev) and eng.testb (test) of the CoNLL-2003 shared task
(or the train.txt/valid.txt/test.txt of its common re-releases): one word per line,
its tag in the last column, IOB1 or IOB2 (detected). The dev set picks the best
epoch; the test set is scored once, at the end. Use a cased checkpoint (the paper's
choice for NER): tf_ner lower-cases only when the vocabulary has no capital letter.

Defaults, from BERT's paper (Devlin et al., 2019, https://arxiv.org/abs/1810.04805,
section 5.3 and appendix A.3): a linear (softmax) classifier over the final hidden
states, fine-tuned with Adam, --learning-rate 5e-5, --batch-size 32 and --epochs 3,
picked from the paper's grid (lr 5e-5/3e-5/2e-5, batch 16/32, epochs 2-4); 10%
warmup, linear decay and weight decay 0.01 as in Google's optimization.py and
run_classifier.py (tf_ner's defaults too); --max-length 128, run_classifier.py's
max_seq_length. Like the paper, the softmax head is trained and read on the first
word piece of each word; unlike it, sentences are read alone, without the document
around them. Any other `tf-ner train` flag overrides a default.
"""

import sys

from _common import BERT_PAPER_SOFTMAX, CONLL2003, main

if __name__ == "__main__":
    sys.exit(main(CONLL2003, BERT_PAPER_SOFTMAX, __doc__))
