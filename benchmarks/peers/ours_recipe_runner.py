"""tf_ner at the same-recipe comparison's recipe: `tf-ner train` as users run it.

Turns the flags of `recipe.recipe_parser` into a `tf-ner train` command line (parsed by
the `tf-ner` command's own parser and run by its own `train` job, in this process):
`--bert-size`, `--learning-rate`, `--warmup` (steps), `--dropout` (encoder and head),
`--weight-decay`, `--clip-norm`, `--batch-size`, `--max-length`, `--seed`,
`--time-budget` (`--minutes`) and `--max-steps`, `--adam-epsilon` when given (else
tf_ner's 1e-6), NER `--head` (softmax by default), `--stride`, `--repair`,
classification `--pooling` (pooler by default) with head truncation; no dev file (the
last weights are scored, as on Hugging Face's side), `--epochs 1000` (the budget
stops first), the default feed (windows sorted by length, each batch padded to its longest).
Anything after `--` is added to the command (`-- --jit-compile`).

Prints one JSON line: the test scores, steps, training seconds, tokens, and `settings`
read back from the trained model and its optimizer, `train_config.json`,
`train_summary.json` and `bert_config.json` of the model folder, and the run's
training data planned again from the same config (`recipe.py` names them).

    python benchmarks/peers/ours_recipe_runner.py --train train.txt --test test.txt \\
        --repair --output-dir /tmp/ours --minutes 10 --seed 1
"""

import json
import math
import pathlib
import shlex
import shutil
import sys

import numpy as np
import recipe

from tf_ner import cli
from tf_ner.data.buckets import every_length
from tf_ner.tasks.ner.heads import HEADS
from tf_ner.train import loop
from tf_ner.train.config import TrainConfig


def train_arguments(args, extra):
    """The `tf-ner train` flags of the recipe."""
    flags = [
        "train", "--task", args.task, "--train", args.train, "--test", args.test,
        "--output-dir", args.output_dir, "--bert-size", args.bert_size,
        "--learning-rate", args.learning_rate, "--warmup", args.warmup,
        "--dropout", args.dropout, "--weight-decay", args.weight_decay,
        "--clip-norm", args.clip_norm, "--batch-size", args.batch_size,
        "--max-length", args.max_length, "--seed", args.seed, "--epochs", 1000,
    ]  # fmt: skip
    if args.minutes is not None:
        flags += ["--time-budget", args.minutes]
    if args.max_steps is not None:
        flags += ["--max-steps", args.max_steps]
    if args.adam_epsilon is not None:
        flags += ["--adam-epsilon", args.adam_epsilon]
    if args.task == "ner":
        flags += ["--head", args.head, "--stride", args.stride]
        flags += ["--repair"] if args.repair else []
    else:
        flags += ["--pooling", args.pooling, "--truncation", "head"]
    return [str(flag) for flag in [*flags, *extra]]


def trained_tokens(batches, steps):
    """Real and padded tokens of the first `steps` batches of the run's plan, epoch by
    epoch (`DeterministicEpochs` sets epoch e's order as `batches` makes it)."""
    real = padded = done = 0
    epoch = 0
    while done < steps:
        batches.epoch = epoch
        for item in batches():
            ids = item[0]["token_ids"]
            real += int(np.count_nonzero(ids))
            padded += ids.size
            done += 1
            if done == steps:
                break
        epoch += 1
    return real, padded


def feed_of(batches, max_length):
    """The feed a batch plan makes, in words."""
    buckets = list(batches.buckets)
    padded = (
        "its longest window" if buckets == list(every_length(max_length))
        else f"the shortest of buckets {buckets} that holds its longest window"
    )  # fmt: skip
    return (
        f"windows sorted by length (those of one length drawn in a new order every epoch), "
        f"cut into batches of {batches.batch_size} in shuffled order, each padded to {padded}; "
        "the epoch's last batch filled by drawing its windows again"
    )


def planned_rows(batches):
    """Every training row once, `(token_ids, labels)`, from the batch plan's rows."""
    return [
        (ids, batches.stack_labels(np.asarray([row]), len(ids))[0])
        for row, ids in enumerate(batches.token_ids)
    ]


def schedule_settings(schedule):
    """`schedule.*` of the optimizer's schedule (`TimeBudgetSchedule`, or without a time
    budget `WarmupLinearDecay`, whose warmup is not scaled by the decay)."""
    config = schedule.get_config()
    if type(schedule).__name__ == "TimeBudgetSchedule":
        return {
            "schedule.kind": "time" if config["total_steps"] is None else "steps",
            "schedule.peak": config["peak"],
            "schedule.warmup_steps": config["warmup_steps"],
            "schedule.decay_fraction": config["decay_fraction"],
        }
    return {
        "schedule.kind": "steps (WarmupLinearDecay)",
        "schedule.peak": config["initial_learning_rate"],
        "schedule.warmup_steps": config["warmup_steps"],
        "schedule.decay_fraction": 1.0,
    }


def settings_of(result, run, args):
    """Every setting as tf_ner trained with it (`recipe.py` names them)."""
    import keras
    import tensorflow as tf

    out = pathlib.Path(result.output_dir)
    config = TrainConfig.from_dict(json.loads((out / "train_config.json").read_text()))
    bert = json.loads((out / "bert_config.json").read_text())
    model, optimizer = result.model, result.model.optimizer
    layers = list(recipe.keras_layers(model))
    sizes = {v.path: math.prod(v.shape) for v in model.trainable_variables}
    rules = optimizer.variable_rules()
    train_data = run.splits["train"][2]
    own = run.task.settings  # the task's settings, situational defaults resolved
    if config.task == "ner":
        head = own.head
        loss = recipe.WINDOW_MEAN if HEADS.get(head).loss_over_windows else recipe.TOKEN_MEAN
        labeler = run.task.labeler
        labels = labeler.tags if hasattr(labeler, "tags") else labeler.types  # span heads
        data = {"data.max_length": config.max_length, "data.stride": own.stride}
    else:
        head, loss = own.pooling, recipe.TEXT_MEAN
        labels = own.labels
        data = {"data.max_length": config.max_length, "data.truncation": own.truncation}
    execution = "Keras fit, tf.function" + (" + XLA" if config.jit_compile else "")
    return {
        "framework": f"tf_ner, TensorFlow {tf.__version__}, Keras {keras.__version__}",
        "execution": execution,
        "feed": f"tf-ner train: {feed_of(train_data.batches, config.max_length)}",
        "task": config.task,
        "head": head,
        "loss": loss,
        "model.layers": bert["num_hidden_layers"],
        "model.hidden": bert["hidden_size"],
        "model.heads": bert["num_attention_heads"],
        "model.intermediate": bert["intermediate_size"],
        "model.vocab_size": bert["vocab_size"],
        "model.max_positions": bert["max_position_embeddings"],
        "model.type_vocab_size": bert["type_vocab_size"],
        "model.activation": bert["hidden_act"],
        "model.layer_norm_epsilon": recipe.distinct(
            layer.epsilon
            for _, layer in layers
            if isinstance(layer, keras.layers.LayerNormalization)
        ),  # fmt: skip
        "model.initializer": f"truncated normal, stddev {bert['initializer_range']:g}",
        "model.parameters": sum(sizes.values()),
        **recipe.dropout_settings(recipe.keras_dropout_sites(model)),
        "optimizer.beta_1": float(optimizer.beta_1),
        "optimizer.beta_2": float(optimizer.beta_2),
        "optimizer.epsilon": float(optimizer.epsilon),
        "optimizer.epsilon_placement": "before bias correction: c_t m / (sqrt(v) + eps)",
        "optimizer.bias_correction": optimizer.bias_correction,
        "optimizer.amsgrad": bool(optimizer.amsgrad),
        "optimizer.weight_decay": recipe.distinct(r.weight_decay_rate for r in rules if r.decays),
        "optimizer.decayed_parameters": sum(sizes[r.path] for r in rules if r.decays),
        "optimizer.undecayed_parameters": sum(sizes[r.path] for r in rules if not r.decays),
        "optimizer.clip_norm": optimizer.global_clipnorm,
        **schedule_settings(optimizer._learning_rate),
        "schedule.budget_minutes": config.time_budget,
        "schedule.max_steps": config.max_steps,
        "batch.size": train_data.batches.batch_size,
        **data,
        **recipe.data_settings(
            planned_rows(train_data.batches),
            out / "vocab.txt",
            labels,
            len(run.splits["test"][1]),
        ),
        "seed": config.seed,
    }


def main():
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    parser = recipe.recipe_parser(__doc__.splitlines()[0])
    parser.add_argument("--head", default="softmax", help="NER head (tf-ner train --head)")
    parser.add_argument("--pooling", default="pooler", help="classification pooling")
    args = recipe.check_budget(parser, parser.parse_args(argv))
    flags = train_arguments(args, extra)
    sys.argv = ["tf-ner", *flags]  # what command.txt in the folder records
    parsed = cli.build_parser().parse_args(flags)
    result = parsed.run(parsed)  # tf-ner train
    out = pathlib.Path(result.output_dir)
    run = loop.prepare(TrainConfig.from_dict(json.loads((out / "train_config.json").read_text())))
    shutil.rmtree(run.work, ignore_errors=True)
    real, padded = trained_tokens(run.splits["train"][2].batches, result.steps)
    scores = json.loads((out / "test_scores.json").read_text())["overall"]
    record = {
        "side": "ours",
        "system": f"tf_ner {args.head if args.task == 'ner' else args.pooling}",
        **{
            k: scores[k]
            for k in ("precision", "recall", "f1", "accuracy", "macro_f1")
            if k in scores
        },  # fmt: skip
        "steps": result.steps,
        "training_seconds": result.training_seconds,
        "real_tokens": real,
        "padded_tokens": padded,
        "tokens_per_s": real / result.training_seconds,
        "stop_reason": result.stop_reason,
        "command": shlex.join(["tf-ner", *flags]),
        "train_config": json.loads((out / "train_config.json").read_text()),
        "train_summary": json.loads((out / "train_summary.json").read_text()),
        "settings": settings_of(result, run, args),
    }
    print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
