"""The reference for `msra_quality.py`: Hugging Face `BertForTokenClassification` (PyTorch).

Same data, characters and labels as tf_ner's softmax head (the vocabulary, token ids
and first-sub-token BIO labels come from tf_ner's own tokenizer and labeler, so both
see identical inputs), random initialisation with the same compact-BERT shape, batch
32 padded to length 128 (as `Trainer` pads a fixed-length tokenised set), AdamW,
linear warmup then linear decay to 0 at the end of the time budget. Test spans are
decoded by tf_ner's labeler and scored by `tf_ner.metrics.prf`, as for tf_ner's heads.

Prints one JSON line: test precision/recall/F1, steps, training seconds.
"""

import json

import numpy as np
import torch
from torch_budget import reference_config, reference_parser, train_on_budget
from transformers import BertForTokenClassification

from tf_ner.bert import Tokenizer, build_vocab, write_vocab
from tf_ner.data import read_dataset
from tf_ner.data.encoding import EncodingReport, TagLabeler
from tf_ner.metrics import prf


def encode(examples, tokenizer, labeler, length):
    report = EncodingReport()  # MSRA has 3 entities inside a word piece: counted, skipped
    ids = np.zeros((len(examples), length), np.int64)
    labels = np.full((len(examples), length), -100, np.int64)
    encodings = []
    for row, example in enumerate(examples):
        encoding = tokenizer.encode(example.text, max_length=length)
        ids[row, : len(encoding)] = encoding.ids
        labels[row, : len(encoding)] = labeler.encode(example, encoding, report=report)
        encodings.append(encoding)
    return ids, labels, encodings


def main():
    parser = reference_parser(__doc__.splitlines()[0], minutes=25.0, learning_rate=5e-4)
    parser.add_argument("--length", type=int, default=128)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    train = read_dataset(args.train, repair=True)
    test = read_dataset(args.test, repair=True)
    write_vocab(build_vocab(e.text for e in train), f"{args.workdir}/vocab.txt")
    tokenizer = Tokenizer(f"{args.workdir}/vocab.txt", do_lower_case=True)
    labeler = TagLabeler(
        sorted({t for e in train for *_, t in e.entities}), first_subtoken_only=True
    )
    train_ids, train_labels, _ = encode(train, tokenizer, labeler, args.length)
    test_ids, _, test_encodings = encode(test, tokenizer, labeler, args.length)

    config = reference_config(args.bert_size, tokenizer.vocab_size, labeler.num_tags)
    model = BertForTokenClassification(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.learning_rate, weight_decay=0.01)
    def loss_of(rows):
        ids = torch.from_numpy(train_ids[rows])
        labels = torch.from_numpy(train_labels[rows])
        return model(input_ids=ids, attention_mask=(ids != 0).long(), labels=labels).loss

    steps, training_seconds = train_on_budget(model, optimizer, len(train_ids), loss_of, args, rng)

    model.eval()
    predicted = []
    with torch.no_grad():
        for first in range(0, len(test_ids), 128):
            ids = torch.from_numpy(test_ids[first : first + 128])
            logits = model(input_ids=ids, attention_mask=(ids != 0).long()).logits.numpy()
            for offset, row in enumerate(logits):
                index = first + offset
                spans = labeler.decode(row, test[index].text, test_encodings[index])
                predicted += [(index, *span) for span in spans]
    gold = [(i, *span) for i, e in enumerate(test) for span in e.entities]
    scores = prf(gold, predicted)
    print(
        json.dumps(
            {
                "system": "huggingface BertForTokenClassification (PyTorch)",
                "precision": scores["precision"],
                "recall": scores["recall"],
                "f1": scores["f1"],
                "steps": steps,
                "training_seconds": training_seconds,
            }
        )
    )


if __name__ == "__main__":
    main()
