"""Hugging Face at tf_ner's recipe: `BertForTokenClassification` or
`BertForSequenceClassification` (PyTorch), trained as `tf-ner train` trains.

The same as tf_ner's side (`ours_recipe_runner.py`), from the flags of
`recipe.recipe_parser`:
- the data: tf_ner's readers, its vocabulary (`build_vocab` of the training texts,
  lower-cased, as `tf-ner train --bert-size` builds it) and tokenizer; NER: tf_ner's
  windows (`encode_examples`, `--max-length` tokens overlapping by `--stride`) and the
  softmax head's labels (BIO on each word's first sub-token, -100 elsewhere);
  classification: `encode_texts`, head truncation, classes in sorted order;
- the model: Google's compact shape `--bert-size` from random initialisation, dropout
  `--dropout` on the hidden states, the attention probabilities and before the
  classifier;
- the optimizer: `torch.optim.AdamW`, betas (0.9, 0.999), weight decay on every
  parameter but biases and LayerNorm weights (the names `Trainer` decays:
  `Trainer.get_decay_parameter_names`), gradients clipped to global norm `--clip-norm`;
- the rate, set before each step: `peak * min(1, step / warmup) * (1 - elapsed / budget)`
  (tf_ner's `TimeBudgetSchedule`, step 0-based: `recipe.budget_rate`); without a time
  budget, `step / max_steps` in place of `elapsed / budget`;
- the scores: NER test spans decoded by tf_ner's labeler over tf_ner's prediction
  windows (`make_prediction_batches`) and scored by `tf_ner.metrics.prf`;
  classification accuracy and macro-F1 over the classes, as tf_ner counts them.

Its own: the feed (`--feed grouped`, transformers' `LengthGroupedSampler` as
`group_by_length=True` uses it: mega-batches of 50 batches sorted by length, the
longest batch first; each batch padded to its longest row, the last batch of an epoch
kept), Adam's epsilon (default 1e-8, added after bias correction) and PyTorch's
initialisation (normal, std 0.02; `--init truncated` draws tf_ner's truncated normal).

Prints one JSON line: the scores, steps, training seconds, tokens, and `settings` read
back from the model, its config and the optimizer's param groups (`recipe.py`).

    python benchmarks/peers/hf_recipe_runner.py --train train.txt --test test.txt \\
        --repair --output-dir /tmp/hf --minutes 10 --seed 1
"""

import dataclasses
import json
import os
import pathlib
import time

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
import recipe  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from hf_epoch_runner import FEEDS, make_loader  # noqa: E402

from tf_ner.bert import Tokenizer, build_vocab, write_vocab  # noqa: E402
from tf_ner.data import read_dataset  # noqa: E402
from tf_ner.data.classification import read_classification  # noqa: E402
from tf_ner.data.classification.truncation import encode_texts  # noqa: E402
from tf_ner.data.pipeline import encode_examples  # noqa: E402
from tf_ner.data.prediction_batches import make_prediction_batches  # noqa: E402
from tf_ner.metrics import prf  # noqa: E402
from tf_ner.tasks.ner.heads import HEADS  # noqa: E402
from tf_ner.tasks.ner.settings import NerSettings  # noqa: E402
from tf_ner.train.config import BERT_SIZES  # noqa: E402

IGNORE = -100
EVAL_BATCH = 64  # tf-ner train's --eval-batch-size
# transformers' `BertForSequenceClassification` classifies the pooler's output: tf_ner's
# `--pooling pooler`.
HEAD_OF_TASK = {"ner": "softmax", "classification": "pooler"}


@dataclasses.dataclass
class Data:
    """The training rows (`{"input_ids", "labels"}` dicts), labels, vocabulary, and a
    scorer of the test set: `score(model) -> dict`; `extra`: the task's `data.*`."""

    rows: list
    labels: list
    vocab_file: pathlib.Path
    test_examples: int
    score: object
    extra: dict


def vocabulary(texts, out):
    """tf-ner train's vocabulary of `texts` (`--bert-size`), and its tokenizer."""
    vocab_file = pathlib.Path(out) / "vocab.txt"
    write_vocab(build_vocab(texts, do_lower_case=True), vocab_file)
    return vocab_file, Tokenizer(vocab_file)


def logits_of(model, ids):
    """Logits (numpy) of int token ids `[batch, length]`, padding id 0 masked."""
    ids = torch.from_numpy(np.asarray(ids, np.int64))
    with torch.no_grad():
        return model(input_ids=ids, attention_mask=(ids != 0).long()).logits.float().numpy()


def ner_data(args):
    train = read_dataset(args.train, repair=args.repair)
    test = read_dataset(args.test, repair=args.repair)
    vocab_file, tokenizer = vocabulary([e.text for e in train], args.output_dir)
    types = sorted({t for e in train for *_, t in e.entities})
    settings = NerSettings(head="softmax", types=types, max_length=args.max_length,
                           stride=args.stride)  # fmt: skip
    labeler = HEADS.get("softmax").labeler(settings)
    encoded = encode_examples(train, tokenizer, labeler, args.max_length, args.stride)
    rows = [
        {"input_ids": ids.tolist(), "labels": labels.tolist()}
        for ids, labels in zip(encoded.token_ids, encoded.labels, strict=True)
    ]

    def score(model):
        batches = make_prediction_batches(
            [e.text for e in test], tokenizer, args.max_length, args.stride, EVAL_BATCH
        )
        predicted = batches.decode((logits_of(model, f["token_ids"]) for f in batches), labeler)
        gold = {(i, *span) for i, e in enumerate(test) for span in e.entities}
        found = {(i, *span) for i, spans in enumerate(predicted) for span in spans}
        return {k: v for k, v in prf(gold, found).items() if k in ("precision", "recall", "f1")}

    extra = {"data.max_length": args.max_length, "data.stride": args.stride}
    return Data(rows, list(labeler.tags), vocab_file, len(test), score, extra)


def classification_scores(gold, predicted, labels):
    """Accuracy and macro-F1 (the mean F1 over the classes), from class ids."""
    prediction_set = {(i, labels[p]) for i, p in enumerate(predicted)}
    result = prf({(i, labels[g]) for i, g in enumerate(gold)}, prediction_set)
    per_class = [result["per_type"].get(label, {"f1": 0.0})["f1"] for label in labels]
    return {
        "accuracy": float(np.mean(np.asarray(gold) == np.asarray(predicted))),
        "macro_f1": float(np.mean(per_class)),
    }


def classification_data(args):
    train, test = read_classification(args.train), read_classification(args.test)
    vocab_file, tokenizer = vocabulary([e.text for e in train], args.output_dir)
    labels = sorted({e.labels[0] for e in train})
    head_tokens = args.max_length // 4  # tf-ner train's default (unused by head truncation)
    ids, _ = encode_texts([e.text for e in train], tokenizer, args.max_length, "head", head_tokens)
    rows = [
        {"input_ids": row.tolist(), "labels": labels.index(e.labels[0])}
        for row, e in zip(ids, train, strict=True)
    ]
    test_ids, _ = encode_texts([e.text for e in test], tokenizer, args.max_length, "head",
                               head_tokens)  # fmt: skip
    gold = [labels.index(e.labels[0]) for e in test]

    def score(model):
        predicted = []
        for first in range(0, len(test_ids), EVAL_BATCH):
            chunk = test_ids[first : first + EVAL_BATCH]
            padded = np.zeros((len(chunk), max(len(r) for r in chunk)), np.int64)
            for k, row in enumerate(chunk):
                padded[k, : len(row)] = row
            predicted += logits_of(model, padded).argmax(-1).tolist()
        return classification_scores(gold, predicted, labels)

    extra = {"data.max_length": args.max_length, "data.truncation": "head"}
    return Data(rows, labels, vocab_file, len(test), score, extra)


def build_model(args, vocab_size, num_labels):
    layers, hidden = BERT_SIZES[args.bert_size]
    config = transformers.BertConfig(
        vocab_size=vocab_size,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=hidden // 64,
        intermediate_size=4 * hidden,
        hidden_act="gelu",
        hidden_dropout_prob=args.dropout,
        attention_probs_dropout_prob=args.dropout,
        classifier_dropout=args.dropout,
        max_position_embeddings=max(512, args.max_length),
        num_labels=num_labels,
    )
    torch.manual_seed(args.seed)
    kind = (
        transformers.BertForTokenClassification
        if args.task == "ner"
        else transformers.BertForSequenceClassification
    )
    model = kind(config)
    if args.init == "truncated":
        truncated_init(model, config.initializer_range)
    return model


def truncated_init(model, stddev):
    """tf_ner's initial weights: Linear and Embedding weights from a normal truncated at
    two standard deviations (Keras `TruncatedNormal`), biases 0, LayerNorm 1 and 0."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (torch.nn.Linear, torch.nn.Embedding)):
                torch.nn.init.trunc_normal_(module.weight, 0.0, stddev, -2 * stddev, 2 * stddev)
            if isinstance(module, torch.nn.Linear) and module.bias is not None:
                module.bias.zero_()


def make_optimizer(model, args):
    """AdamW with two param groups, as `Trainer.create_optimizer` makes them."""
    decayed = set(transformers.Trainer.get_decay_parameter_names(None, model))
    named = list(model.named_parameters())
    groups = [
        {"params": [p for n, p in named if n in decayed], "weight_decay": args.weight_decay},
        {"params": [p for n, p in named if n not in decayed], "weight_decay": 0.0},
    ]
    eps = 1e-8 if args.adam_epsilon is None else args.adam_epsilon
    return torch.optim.AdamW(groups, lr=args.learning_rate, betas=(0.9, 0.999), eps=eps)


def collate(task):
    """Pads a batch to its longest row: ids with 0, NER labels with -100."""

    def call(rows):
        length = max(len(r["input_ids"]) for r in rows)
        ids = np.zeros((len(rows), length), np.int64)
        for k, row in enumerate(rows):
            ids[k, : len(row["input_ids"])] = row["input_ids"]
        if task == "ner":
            labels = np.full((len(rows), length), IGNORE, np.int64)
            for k, row in enumerate(rows):
                labels[k, : len(row["labels"])] = row["labels"]
        else:
            labels = np.asarray([r["labels"] for r in rows], np.int64)
        ids = torch.from_numpy(ids)
        return {"input_ids": ids, "attention_mask": (ids != 0).long(),
                "labels": torch.from_numpy(labels)}  # fmt: skip

    return call


def train(model, optimizer, data, args):
    """Steps until the budget is spent; returns the counts of the run."""
    budget = None if args.minutes is None else args.minutes * 60
    steps = real = padded = 0
    loss = None
    model.train()
    started = time.monotonic()
    epoch = 0
    while True:
        loader = make_loader(
            data.rows, args.feed, args.batch_size, collate(args.task), args.seed * 100_003 + epoch
        )
        for batch in loader:
            elapsed = time.monotonic() - started
            if (budget is not None and elapsed >= budget) or steps == args.max_steps:
                return {"steps": steps, "training_seconds": elapsed, "real_tokens": real,
                        "padded_tokens": padded, "epochs_started": epoch + 1,
                        "final_loss": loss}  # fmt: skip
            progress = elapsed / budget if budget is not None else steps / args.max_steps
            rate = recipe.budget_rate(args.learning_rate, steps, args.warmup, progress)
            for group in optimizer.param_groups:
                group["lr"] = rate
            output = model(**batch)
            output.loss.backward()
            if args.clip_norm:
                torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip_norm)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            loss = float(output.loss.detach())
            steps += 1
            real += int(batch["attention_mask"].sum())
            padded += batch["input_ids"].numel()
        epoch += 1


def settings_of(model, optimizer, data, args):
    """Every setting as the objects hold it (`recipe.py` names them)."""
    config = model.config
    groups = optimizer.param_groups
    decayed = sum(p.numel() for g in groups if g["weight_decay"] > 0 for p in g["params"])
    undecayed = sum(p.numel() for g in groups if g["weight_decay"] == 0 for p in g["params"])
    norms = [m.eps for m in model.modules() if isinstance(m, torch.nn.LayerNorm)]
    initializer = "truncated normal" if args.init == "truncated" else "normal"
    settings = {
        "framework": f"transformers {transformers.__version__}, torch {torch.__version__}",
        "execution": "PyTorch eager",
        "feed": f"{args.feed}: "
        + ("LengthGroupedSampler" if args.feed == "grouped" else "RandomSampler")
        + ", padded to the batch's longest",
        "task": args.task,
        "head": HEAD_OF_TASK[args.task],
        "loss": recipe.TOKEN_MEAN if args.task == "ner" else recipe.TEXT_MEAN,
        "model.layers": config.num_hidden_layers,
        "model.hidden": config.hidden_size,
        "model.heads": config.num_attention_heads,
        "model.intermediate": config.intermediate_size,
        "model.vocab_size": config.vocab_size,
        "model.max_positions": config.max_position_embeddings,
        "model.type_vocab_size": config.type_vocab_size,
        "model.activation": config.hidden_act,
        "model.layer_norm_epsilon": recipe.distinct(norms),
        "model.initializer": f"{initializer}, stddev {config.initializer_range:g}",
        "model.parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
        **recipe.dropout_settings(recipe.torch_dropout_sites(model)),
        "optimizer.beta_1": recipe.distinct(g["betas"][0] for g in groups),
        "optimizer.beta_2": recipe.distinct(g["betas"][1] for g in groups),
        "optimizer.epsilon": recipe.distinct(g["eps"] for g in groups),
        "optimizer.epsilon_placement": "after bias correction: m_hat / (sqrt(v_hat) + eps)",
        "optimizer.bias_correction": True,  # torch.optim.AdamW always corrects
        "optimizer.amsgrad": recipe.distinct(g["amsgrad"] for g in groups),
        "optimizer.weight_decay": recipe.distinct(
            g["weight_decay"] for g in groups if g["weight_decay"] > 0
        ),
        "optimizer.decayed_parameters": decayed,
        "optimizer.undecayed_parameters": undecayed,
        "optimizer.clip_norm": args.clip_norm or None,
        "schedule.kind": "time" if args.minutes is not None else "steps",
        "schedule.peak": args.learning_rate,
        "schedule.warmup_steps": args.warmup,
        "schedule.decay_fraction": 1.0,
        "schedule.budget_minutes": args.minutes,
        "schedule.max_steps": args.max_steps,
        "batch.size": args.batch_size,
        **data.extra,
        **recipe.data_settings(
            [(r["input_ids"], r["labels"]) for r in data.rows],
            data.vocab_file,
            data.labels,
            data.test_examples,
        ),
        "seed": args.seed,
    }
    return settings


def main():
    parser = recipe.recipe_parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--feed", default="grouped", choices=FEEDS,
        help="batches: grouped (group_by_length) or default (Trainer's random sampler)",
    )  # fmt: skip
    parser.add_argument(
        "--init", default="normal", choices=("normal", "truncated"),
        help="initial weights: PyTorch's normal or tf_ner's truncated normal",
    )  # fmt: skip
    args = recipe.check_budget(parser, parser.parse_args())
    pathlib.Path(args.output_dir).mkdir(parents=True, exist_ok=True)
    data = ner_data(args) if args.task == "ner" else classification_data(args)
    model = build_model(args, Tokenizer(data.vocab_file).vocab_size, len(data.labels))
    optimizer = make_optimizer(model, args)
    counts = train(model, optimizer, data, args)
    model.eval()
    scores = data.score(model)
    record = {
        "side": "hf",
        "system": f"Hugging Face {type(model).__name__} (PyTorch)",
        **scores,
        **counts,
        "tokens_per_s": counts["real_tokens"] / counts["training_seconds"],
        "threads": torch.get_num_threads(),
        "settings": settings_of(model, optimizer, data, args),
        # As the objects hold them: the model's config and each param group's settings.
        "model_config": json.loads(model.config.to_json_string()),
        "param_groups": [
            {
                **{k: v for k, v in g.items() if k != "params"},
                "parameters": sum(p.numel() for p in g["params"]),
            }
            for g in optimizer.param_groups
        ],  # fmt: skip
    }
    print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
