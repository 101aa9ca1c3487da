"""What the two same-recipe runners share: the recipe's flags, its learning rate, and
the settings record that `benchmarks/same_recipe.py` compares.

Both runners (`ours_recipe_runner.py`: `tf-ner train`; `hf_recipe_runner.py`: Hugging
Face in PyTorch) take the flags of `recipe_parser` and print one JSON record whose
`settings` is a flat `{name: value}` dict, each value read back from what that side
trained with (its model, its optimizer, its data), under the names below:

    framework, execution, feed          who trained and how batches were fed
    task, head, loss                    the head and how its loss averages
    model.*                             shape, vocabulary, activation, LayerNorm epsilon,
                                        initializer, trainable parameters
    dropout.hidden / attention /        the rate(s) at each kind of dropout site, and
      classifier / sites                how many sites of each kind there are
    optimizer.*                         Adam's betas, epsilon and where it enters, bias
                                        correction, AMSGrad, weight decay and the
                                        parameters it does and does not apply to, the
                                        global-norm clipping
    schedule.*                          peak rate, warmup steps, decay share, budget
    batch.size, data.*                  windows, vocabulary digest, labels, the training
                                        rows (count, tokens, digest of ids and labels)
    seed

`differences` lists the names whose values differ; the driver refuses a row where a
setting it calls equal differs (`BY_CONSTRUCTION` and a row's own allowances aside).

Imports only numpy and the standard library.
"""

import argparse
import fnmatch
import hashlib
import math

import numpy as np

TASKS = ("ner", "classification")
# What differs between the two sides whatever the row: the libraries, eager PyTorch
# against a compiled Keras step, each side's best feed, where Adam's epsilon enters
# the update, and the distribution of the initial weights.
BY_CONSTRUCTION = (
    "framework",
    "execution",
    "feed",
    "optimizer.epsilon_placement",
    "model.initializer",
)
TOKEN_MEAN = "mean over the batch's labelled tokens"
WINDOW_MEAN = "mean over the batch's windows"
TEXT_MEAN = "mean over the batch's texts"


def recipe_parser(description):
    """The flags both runners take (each adds its own few)."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--task", choices=TASKS, default="ner", help="what to train")
    p.add_argument("--train", required=True, help="training file (any format tf_ner reads)")
    p.add_argument("--test", required=True, help="scored once at the end (a grid: its dev file)")
    p.add_argument("--output-dir", required=True, help="folder for the run's files")
    p.add_argument("--bert-size", default="mini", help="Google's compact shape (BERT_SIZES)")
    p.add_argument(
        "--minutes", type=float, default=None, help="time budget; the rate reaches 0 at its end"
    )
    p.add_argument(
        "--max-steps", type=int, default=None, help="stop after this many steps (without "
        "--minutes the rate reaches 0 here)"
    )  # fmt: skip
    p.add_argument("--learning-rate", type=float, default=5e-4, help="peak learning rate")
    p.add_argument("--warmup", type=int, default=300, help="warmup steps (0: none)")
    p.add_argument(
        "--dropout", type=float, default=0.1, help="hidden, attention and classifier dropout"
    )
    p.add_argument("--weight-decay", type=float, default=0.01, help="decoupled weight decay")
    p.add_argument("--clip-norm", type=float, default=1.0, help="global-norm gradient clipping")
    p.add_argument("--batch-size", type=int, default=32, help="rows per batch")
    p.add_argument(
        "--adam-epsilon", type=float, default=None, help="Adam's epsilon (default: the side's "
        "own, tf_ner 1e-6 before bias correction, PyTorch 1e-8 after it)"
    )  # fmt: skip
    p.add_argument("--max-length", type=int, default=128, help="tokens per window")
    p.add_argument("--stride", type=int, default=32, help="NER: tokens shared by windows")
    p.add_argument("--repair", action="store_true", help="NER: read tag sequences as seqeval")
    p.add_argument("--seed", type=int, default=1, help="seed of the weights and the order")
    return p


def check_budget(parser, args):
    """A run needs a time budget, a step budget or both."""
    if args.minutes is None and args.max_steps is None:
        parser.error("give --minutes, --max-steps or both")
    return args


def budget_rate(peak, step, warmup_steps, progress):
    """tf_ner's `TimeBudgetSchedule` (decay over the whole budget), in plain Python.

    `peak * min(1, step / warmup_steps) * (1 - progress)`, `step` 0-based (the first
    step's rate is 0 under warmup), `progress` the share of the budget spent, clipped
    to [0, 1].
    """
    warm = min(1.0, step / warmup_steps) if warmup_steps else 1.0
    return peak * warm * (1.0 - min(1.0, max(0.0, progress)))


def distinct(values):
    """The one value all of `values` share, or their sorted distinct values."""
    found = sorted(set(values))
    return found[0] if len(found) == 1 else found


def dropout_role(path):
    """`"attention"`, `"hidden"` or `"classifier"` for a dropout site's path: a Keras
    path (`bert/encoder/layer_0/attention/self/dropout`, under a head's wrapper model
    `emission_model/bert/...`) or a PyTorch module name (`bert.encoder.layer.0...`)."""
    path = "/" + path.replace(".", "/")
    if "/attention/self/" in path:
        return "attention"
    return "hidden" if "/bert/" in path else "classifier"


def keras_layers(layer, prefix=""):
    """`(path, layer)` of every Keras layer below `layer`, depth first, paths by name."""
    for child in layer._flatten_layers(include_self=False, recursive=False):
        path = prefix + child.name
        yield path, child
        yield from keras_layers(child, path + "/")


def keras_dropout_sites(model):
    """`[(path, rate)]` of every dropout layer of a Keras model."""
    import keras

    return [
        (path, layer.rate)
        for path, layer in keras_layers(model)
        if isinstance(layer, keras.layers.Dropout)
    ]


def torch_dropout_sites(model):
    """`[(module name, rate)]` of every dropout module of a PyTorch model."""
    import torch

    return [(n, m.p) for n, m in model.named_modules() if isinstance(m, torch.nn.Dropout)]


def dropout_settings(sites):
    """The `dropout.*` settings of `[(path, rate)]`, every dropout site of a model."""
    roles = {}
    for path, rate in sites:
        roles.setdefault(dropout_role(path), []).append(float(rate))
    settings = {f"dropout.{role}": distinct(rates) for role, rates in roles.items()}
    settings["dropout.sites"] = {role: len(rates) for role, rates in sorted(roles.items())}
    return settings


def rows_digest(rows):
    """A digest of training rows whatever their order: SHA-256 over the sorted rows,
    each its token ids and labels as int32 bytes.

    Args:
        rows: iterable of `(token_ids, labels)` (array-likes; labels a row of tags or
            one class id).
    """
    keys = sorted(
        np.asarray(ids, np.int32).tobytes() + b"|" + np.asarray(labels, np.int32).tobytes()
        for ids, labels in rows
    )
    digest = hashlib.sha256()
    for key in keys:
        digest.update(len(key).to_bytes(4, "little") + key)
    return digest.hexdigest()


def file_digest(path):
    """SHA-256 of a file's bytes (the vocabulary both sides wrote)."""
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def data_settings(rows, vocab_file, labels, test_examples):
    """The `data.*` settings shared by both runners.

    Args:
        rows: list of `(token_ids, labels)`, the training rows as fed (each once).
        vocab_file: the vocabulary the side tokenised with.
        labels: the tags or classes, in id order.
        test_examples: int, examples scored at the end.
    """
    return {
        "data.vocab_sha256": file_digest(vocab_file),
        "data.labels": list(labels),
        "data.train_rows": len(rows),
        "data.train_tokens": int(sum(len(ids) for ids, _ in rows)),
        "data.train_digest": rows_digest(rows),
        "data.test_examples": int(test_examples),
    }


def _equal(a, b):
    """Floats read back from float32 tensors compare to 6 digits; anything else exactly."""
    numbers = [isinstance(v, (int, float)) and not isinstance(v, bool) for v in (a, b)]
    if all(numbers) and (isinstance(a, float) or isinstance(b, float)):
        return math.isclose(a, b, rel_tol=1e-6)
    return a == b


def differences(ours, theirs):
    """`[(name, ours, theirs)]` of the settings whose values differ (a name one side
    lacks counts, with None), in name order."""
    found = []
    for name in sorted(set(ours) | set(theirs)):
        a, b = ours.get(name), theirs.get(name)
        if not _equal(a, b):
            found.append((name, a, b))
    return found


def unexpected(found, allowed=()):
    """The entries of `differences(...)` that neither `BY_CONSTRUCTION` nor `allowed`
    (names or shell patterns such as `dropout.*`) allow."""
    patterns = (*BY_CONSTRUCTION, *allowed)
    return [d for d in found if not any(fnmatch.fnmatchcase(d[0], p) for p in patterns)]
