"""The reference for `classification_quality.py`: Hugging Face
`BertForSequenceClassification` (PyTorch) on the same texts.

The vocabulary and token ids come from tf_ner's own tokenizer (built from the training
texts, as `tf-ner train --bert-size` builds it), texts longer than the window keep
their head (Hugging Face's `truncation=True`), random initialisation with the same
compact-BERT shape, batches padded to their longest text, AdamW with weight decay 0.01,
linear warmup then linear decay to 0 at the end of the time budget, gradients clipped
to norm 1. Prints one JSON line: test accuracy and macro-F1, steps, training seconds.
"""

import json

import numpy as np
import torch
from sklearn.metrics import accuracy_score, f1_score
from torch_budget import reference_config, reference_parser, train_on_budget
from transformers import BertForSequenceClassification

from tf_ner.bert import Tokenizer, build_vocab, write_vocab
from tf_ner.data.classification import read_classification
from tf_ner.data.classification.batches import encode_texts


def padded(rows):
    ids = np.zeros((len(rows), max(len(r) for r in rows)), np.int64)
    for k, row in enumerate(rows):
        ids[k, : len(row)] = row
    return torch.from_numpy(ids)


def main():
    parser = reference_parser(__doc__.splitlines()[0], minutes=5.0, learning_rate=1e-3)
    parser.add_argument("--max-length", type=int, default=128)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    train, test = read_classification(args.train), read_classification(args.test)
    write_vocab(build_vocab(e.text for e in train), f"{args.workdir}/vocab.txt")
    tokenizer = Tokenizer(f"{args.workdir}/vocab.txt", do_lower_case=True)
    labels = sorted({e.labels[0] for e in train})
    y_train = np.asarray([labels.index(e.labels[0]) for e in train])
    y_test = [labels.index(e.labels[0]) for e in test]
    train_ids, _ = encode_texts([e.text for e in train], tokenizer, args.max_length, "head", 0)
    test_ids, _ = encode_texts([e.text for e in test], tokenizer, args.max_length, "head", 0)

    config = reference_config(args.bert_size, tokenizer.vocab_size, len(labels))
    model = BertForSequenceClassification(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.learning_rate, weight_decay=0.01)
    def loss_of(rows):
        ids = padded([train_ids[r] for r in rows])
        labels = torch.from_numpy(y_train[rows])
        return model(input_ids=ids, attention_mask=(ids != 0).long(), labels=labels).loss

    steps, training_seconds = train_on_budget(model, optimizer, len(train_ids), loss_of, args, rng)

    model.eval()
    predicted = []
    with torch.no_grad():
        for first in range(0, len(test_ids), 128):
            ids = padded(test_ids[first : first + 128])
            logits = model(input_ids=ids, attention_mask=(ids != 0).long()).logits
            predicted += logits.argmax(-1).tolist()
    result = {
        "system": "huggingface BertForSequenceClassification (PyTorch)",
        "pooling": "pooler",
        "truncation": "head",
        "accuracy": accuracy_score(y_test, predicted),
        "macro_f1": f1_score(y_test, predicted, average="macro"),
        "steps": steps,
        "training_seconds": training_seconds,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
