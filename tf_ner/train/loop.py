"""`train(config)`: one run in four steps: prepare, build, fit, finish. Generic over tasks."""

import dataclasses
import gc
import json
import logging
import math
import pathlib
import shutil
import sys
import tempfile
import time

import keras

from tf_ner.bert.checkpoint import POOLER_PREFIX, load_bert_checkpoint
from tf_ner.bert.checkpoint_io import resolve_checkpoint
from tf_ner.bert.config import BertConfig
from tf_ner.bert.mixout import apply_mixout
from tf_ner.bert.positions import start_positions_as_sinusoids
from tf_ner.bert.tokenization import Tokenizer
from tf_ner.bert.vocab import build_vocab, write_vocab
from tf_ner.data.buckets import default_buckets
from tf_ner.data.coverage import vocabulary_coverage
from tf_ner.ground.errors import InputError, MissingFileError, SettingsError
from tf_ner.ground.files import atomic_write_text
from tf_ner.ground.settings import Situation
from tf_ner.optimization import AdamWeightDecay, WarmupLinearDecay
from tf_ner.tasks import TASKS
from tf_ner.tasks.folder import write_folder
from tf_ner.train import output
from tf_ner.train.callbacks import (
    BackupAndRestore,
    DeterministicEpochs,
    DevEvaluation,
    ProgressLog,
    StepLossLog,
    StopTraining,
    loss_log_every,
)
from tf_ner.train.config import BERT_ADAM_BETA2, BERT_SIZES
from tf_ner.train.plots import plot_curves
from tf_ner.train.schedules import TimeBudgetSchedule
from tf_ner.train.strategy import describe, is_chief, make_strategy, prepare_fit

logger = logging.getLogger(__name__)

# Every dev score of a run, with its step (`DevEvaluation`).
DEV_CURVE_FILE = "dev_steps.csv"


@dataclasses.dataclass
class TrainResult:
    """What a run produced: the model folder, the steps taken, the scores and the model."""

    output_dir: str
    steps: int
    stop_reason: str
    training_seconds: float
    dev: dict | None
    test: dict | None
    model: keras.Model | None = dataclasses.field(default=None, repr=False)


@dataclasses.dataclass
class Run:
    """Everything `prepare` read and validated, before anything is written."""

    config: object
    out: pathlib.Path
    work: pathlib.Path
    strategy: object
    chief: bool
    task: object
    tokenizer: Tokenizer
    bert_config: BertConfig
    vocab_file: pathlib.Path
    splits: dict  # name -> (path, examples, LabelledData)
    batches_per_epoch: int  # optimizer steps per epoch, times gradient_accumulation
    total_steps: int  # optimizer steps
    epochs: int
    references: dict  # trivial predictors' dev scores (`Task.reference_scores`)
    schedule: object = None  # the learning-rate schedule, made by `build`


def read_split(task_class, path, config, what):
    examples, format_name = task_class.read(path, config.format, config.repair)
    if not examples:
        raise InputError(f"{what} file {path} holds no example")
    print(f"{what}: {len(examples)} examples from {path} ({format_name})", flush=True)
    return examples


def encoder_config(config, train_texts, work):
    """The encoder's `BertConfig` and vocabulary file, from `bert_dir` or `bert_size`.

    A `bert_size` vocabulary is built from the training texts into `work`.
    """
    dropout = config.resolved("dropout")
    if config.bert_dir:
        bert_dir = pathlib.Path(config.bert_dir)
        bert_config = BertConfig.from_json_file(bert_dir / "bert_config.json")
        resolve_checkpoint(bert_dir)  # fails early, naming the files it looked for
        vocab_file = bert_dir / "vocab.txt"
        if not vocab_file.is_file():
            raise MissingFileError(f"{vocab_file} not found (a --bert-dir needs vocab.txt)")
        if config.max_length > bert_config.max_position_embeddings:
            raise SettingsError(
                f"max_length={config.max_length} is longer than the checkpoint's "
                f"max_position_embeddings={bert_config.max_position_embeddings} "
                f"({bert_dir / 'bert_config.json'}); lower --max-length"
            )
        if dropout is not None:
            bert_config = dataclasses.replace(
                bert_config, hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout
            )
        return bert_config, vocab_file
    layers, hidden = BERT_SIZES[config.bert_size]
    tokens = build_vocab(train_texts, do_lower_case=True)
    vocab_file = work / "vocab.txt"
    write_vocab(tokens, vocab_file)
    bert_config = BertConfig(
        vocab_size=len(tokens),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=hidden // 64,
        intermediate_size=4 * hidden,
        hidden_dropout_prob=dropout,
        attention_probs_dropout_prob=dropout,
        max_position_embeddings=max(512, config.max_length),
    )
    return bert_config, vocab_file


def prepare(config):
    """Reads and checks every input, encodes the data; writes nothing to the folder.

    A run that fails here (a mistyped path, an unknown entity type, a bad checkpoint)
    leaves the output folder as it was, so the corrected command can use it.
    """
    strategy = make_strategy(config.strategy)
    task_class = TASKS.get(config.task)
    keras.utils.set_random_seed(config.seed)
    if config.mixed_precision:
        keras.mixed_precision.set_global_policy(config.mixed_precision)
    examples = {"train": read_split(task_class, config.train, config, "train")}
    sources = {"train": config.train}
    for name in ("dev", "test"):
        if getattr(config, name):
            examples[name] = read_split(task_class, getattr(config, name), config, name)
            sources[name] = getattr(config, name)
    held_out = None if config.dev else task_class.held_out(examples["train"])
    if held_out:
        examples["train"], examples["dev"] = held_out
        sources["dev"] = f"{len(held_out[1])} examples held out from {config.train}"
        print(f"dev: {sources['dev']}", flush=True)
    # The vocabulary and (for workers other than the chief) the best weights live in a
    # folder of this process; the chief copies what it keeps into the model folder.
    work = pathlib.Path(tempfile.mkdtemp(prefix="tf_ner_run_"))
    train_texts = task_class.texts(examples["train"])
    bert_config, vocab_file = encoder_config(config, train_texts, work)
    tokenizer = Tokenizer(vocab_file, fold_width=config.fold_width)
    print(vocabulary_coverage(tokenizer, train_texts).summary("train"), flush=True)
    task = task_class.from_training(
        config.task_settings, examples["train"], tokenizer, config.situation
    )
    for name in ("dev", "test"):
        if name in examples:
            task.check(examples[name], sources[name])
    splits = {}
    for name, split in examples.items():
        budget, buckets = {}, config.buckets if name == "train" else None
        if config.jit_compile and buckets is None:
            buckets = default_buckets(config.max_length)  # XLA compiles once per length
        if name == "train" and config.batch_tokens is not None:
            budget = {
                "batch_tokens": config.batch_tokens,
                "multiple": strategy.num_replicas_in_sync,
            }
        data = task.labelled_data(
            split, tokenizer, config.batch_size if name == "train" else config.eval_batch_size,
            shuffle=name == "train", seed=config.seed, buckets=buckets, **budget,
        )  # fmt: skip
        splits[name] = (sources[name], split, data)
    # Optimizer steps: with gradient accumulation, one step per `gradient_accumulation`
    # batches (an epoch may end between two steps: the optimizer keeps the partial sum).
    batches_per_epoch, accumulation = len(splits["train"][2].batches), config.gradient_accumulation
    total_steps = max(1, config.epochs * batches_per_epoch // accumulation)
    if config.max_steps:
        total_steps = min(total_steps, config.max_steps)
    chief = is_chief(strategy)
    references = {}
    if "dev" in splits:
        references = task.reference_scores(splits["train"][2], splits["dev"][2])
        for name, score in references.items():
            print(f"dev {task.selection_metric} of a trivial predictor, {name}: {score:.2%}",
                  flush=True)
    return Run(
        config, pathlib.Path(config.output_dir), work, strategy, chief, task, tokenizer,
        bert_config, vocab_file, splits, batches_per_epoch, total_steps,
        math.ceil(total_steps * accumulation / batches_per_epoch), references,
    )  # fmt: skip


def make_schedule(config, total_steps):
    """Warmup, then linear decay to 0 over `total_steps`, or over the time budget
    (`TimeBudgetSchedule`, its progress set by `StopTraining`); with `decay_fraction`
    < 1 the rate holds at its peak until the decay starts."""
    peak = config.resolved("learning_rate")
    warmup = config.resolved("warmup")
    decay_fraction = config.resolved("decay_fraction")
    if config.time_budget is None:
        if decay_fraction == 1:
            return WarmupLinearDecay(
                peak, decay_steps=total_steps, warmup_steps=config.warmup_steps(total_steps)
            )
        return TimeBudgetSchedule(
            peak, warmup_steps=config.warmup_steps(total_steps),
            decay_fraction=decay_fraction, total_steps=total_steps,
        )  # fmt: skip
    timing = {"warmup_fraction": warmup} if warmup < 1 else {"warmup_steps": int(warmup)}
    return TimeBudgetSchedule(peak, decay_fraction=decay_fraction, **timing)


def make_optimizer(config, schedule):
    """AdamWeightDecay on `schedule`, with the run's beta_2, gradient clipping
    (`clip_norm`, global norm) and gradient accumulation.

    With `pretrained_weight_decay` it decays towards the values the variables have
    when it is built: `fit` builds it at its start (`prepare_fit` under several
    workers), after `build` loaded the checkpoint and re-initialised; a resumed run's
    `BackupAndRestore` then restores the anchors saved with the optimizer.
    """
    peak = config.resolved("learning_rate")
    multipliers = None
    if config.head_learning_rate is not None and peak > 0:
        # Everything outside the encoder (`bert/...`) is the head.
        multipliers = {r"^(?!bert/)": config.head_learning_rate / peak}
    return AdamWeightDecay(
        schedule,
        weight_decay_rate=config.weight_decay,
        bias_correction=config.bias_correction,
        layerwise_lr_decay=config.layerwise_lr_decay,
        lr_multipliers=multipliers,
        pretrained_weight_decay=config.pretrained_weight_decay,
        beta_2=config.resolved("adam_beta2"),
        epsilon=config.adam_epsilon,
        global_clipnorm=config.clip_norm or None,
        gradient_accumulation_steps=config.gradient_accumulation
        if config.gradient_accumulation > 1
        else None,
        compile_update=config.compile_update,
    )


def build(run):
    """The compiled model under the run's strategy, the checkpoint loaded if any.

    Mixout takes its pre-trained values here, right after loading and re-initialising
    (a resumed run takes them from the checkpoint again, before `BackupAndRestore`
    restores the trained weights); its masks follow the optimizer's step.
    """
    config = run.config
    with run.strategy.scope():
        model = run.task.build_model(run.bert_config)
        if config.random_init:
            print(f"random init: the shape and vocabulary of {config.bert_dir}", flush=True)
        if config.resolved("position_init") == "sinusoid":
            print(f"{start_positions_as_sinusoids(model)} starts as sinusoids", flush=True)
        elif config.pretrained:
            check_pooler(model, config.reinit_pooler)
            report = load_bert_checkpoint(
                model, config.bert_dir, config.reinit_top_layers, config.reinit_pooler,
                seed=config.seed,
            )  # fmt: skip
            print(report, flush=True)
        if config.mixout:
            kernels = apply_mixout(model, config.mixout, seed=config.seed)
            print(f"mixout {config.mixout:g} on {kernels} encoder kernels", flush=True)
        run.schedule = make_schedule(config, run.total_steps)
        run.task.compile(model, make_optimizer(config, run.schedule), config.jit_compile)
    return model


def check_pooler(model, reinit_pooler):
    """`reinit_pooler` needs a model that reads the pooler (`bert/pooler/`)."""
    if reinit_pooler and not any(v.path.startswith(POOLER_PREFIX) for v in model.weights):
        raise SettingsError(
            f"reinit_pooler: the model ({model.name}) has no pooler, so re-initialising it "
            f"would change nothing (a classifier with --pooling pooler has one)"
        )


def start_folder(run, command):
    """Guards and opens the model folder (the chief's): True when resuming this run."""
    if not run.chief:
        return (run.out / "backup").is_dir()
    resuming = output.check_output_dir(run.out, run.config)
    run.out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run.out / output.CONFIG_FILE, run.config.to_json())
    if command:
        atomic_write_text(run.out / "command.txt", command + "\n")
    return resuming


# The settings whose defaults depend on the situation or the task, as the run took them.
RESOLVED = ("learning_rate", "warmup", "adam_beta2", "decay_fraction", "position_init")
STARTS = {
    Situation.SCRATCH: "random init",
    Situation.PRETRAINED: "pre-trained",
    Situation.COMPACT: "pre-trained, compact: the defaults of a narrower encoder than BERT-base",
}


def banner(run, model, resuming):
    config, train_data = run.config, run.splits["train"][2]
    parameters = sum(math.prod(v.shape) for v in model.weights)
    warmup = config.resolved("warmup")
    warmup_text = (
        f"{warmup:g} of the time budget" if config.time_budget and warmup < 1
        else f"{config.warmup_steps(run.total_steps)} steps"
    )  # fmt: skip
    dropout = run.bert_config.hidden_dropout_prob
    options = "".join(f", {option}" for option in fine_tuning_options(config))
    print(
        f"training: {len(run.splits['train'][1])} examples in "
        f"{train_data.batches.rows} windows, {run.task.describe()}, encoder "
        f"L{run.bert_config.num_hidden_layers}/H{run.bert_config.hidden_size} "
        f"({parameters:,} parameters, {STARTS[config.situation]}"
        f", dropout {dropout:g}), {batch_text(config, train_data.batches)}, "
        f"{steps_per_epoch_text(run)}, "
        f"{run.total_steps} steps at most"
        f"{f', {config.time_budget:g} minutes' if config.time_budget else ''}, "
        f"peak lr {config.resolved('learning_rate'):g} ({type(run.schedule).__name__}), warmup "
        f"{warmup_text}{options}, {describe(run.strategy)}{', resuming' if resuming else ''}",
        flush=True,
    )


def steps_per_epoch_text(run):
    """`"946 steps/epoch"`, or with gradient accumulation the batches behind a step."""
    accumulation = run.config.gradient_accumulation
    if accumulation == 1:
        return f"{run.batches_per_epoch} steps/epoch"
    return (
        f"{run.batches_per_epoch / accumulation:g} steps/epoch (each the mean gradient of "
        f"{accumulation} batches)"
    )


def batch_text(config, batches):
    """The banner's batch size: windows per batch, or the token budget and its mean."""
    if config.batch_tokens is None:
        return f"batch {config.batch_size}"
    return (
        f"batches of at most {config.batch_tokens} tokens "
        f"({batches.rows_per_update:.1f} windows on average)"
    )


def fine_tuning_options(config):
    """The schedule and optimizer options that differ from Google BERT's and the
    few-sample fine-tuning options in effect, as short phrases for the banner."""
    options = []
    decay_fraction, beta_2 = config.resolved("decay_fraction"), config.resolved("adam_beta2")
    if decay_fraction < 1:
        options.append(f"held at the peak, then decaying over the last {decay_fraction:g}")
    if beta_2 != BERT_ADAM_BETA2:
        options.append(f"Adam beta_2 {beta_2:g}")
    if config.reinit_top_layers:
        options.append(f"top {config.reinit_top_layers} layer(s) re-initialised")
    if config.reinit_pooler:
        options.append("pooler re-initialised")
    if config.layerwise_lr_decay is not None:
        options.append(f"layer-wise lr decay {config.layerwise_lr_decay:g}")
    if config.pretrained_weight_decay:
        options.append(f"weight decay {config.weight_decay:g} towards the pre-trained weights")
    if config.mixout:
        options.append(f"mixout {config.mixout:g}")
    return options


def plateau_after(config, total_steps):
    """Steps before dev scores are held against the trivial baselines: the warmup's.

    A warmup given as a share of a time budget has no step count before the run: then 0.
    """
    warmup = config.resolved("warmup")
    if warmup < 1 and config.time_budget:
        return 0
    return config.warmup_steps(total_steps)


def training_callbacks(run):
    """The callbacks of `fit`, and among them the `StopTraining` (why it stopped).

    `benchmarks/peers/ours_epoch_runner.py` times an epoch with these, as users run it.
    """
    config, out, chief = run.config, run.out, run.chief
    stopper = StopTraining(
        config.max_steps, config.time_budget,
        schedule=run.schedule if isinstance(run.schedule, TimeBudgetSchedule) else None,
        clock_path=out / "clock.json" if chief else run.work / "clock.json",
    )  # fmt: skip
    train_data = run.splits["train"][2]
    callbacks = [
        DeterministicEpochs(train_data.batches, config.seed),
        BackupAndRestore(str(out / "backup"), run.batches_per_epoch, write=chief),
        keras.callbacks.TerminateOnNaN(),
        stopper,
    ]
    if "dev" in run.splits:
        path, examples, data = run.splits["dev"]
        callbacks.append(
            DevEvaluation(
                run.task,
                examples,
                data,
                run.tokenizer,
                run.work / "best.weights.h5" if run.task.keeps_best_epoch else None,
                config.eval_batch_size,
                state_path=(out if chief else run.work) / "best.json",
                every_steps=config.resolved("eval_every"),
                curve_path=out / DEV_CURVE_FILE if chief else None,
                references=run.references,
                plateau_after=plateau_after(config, run.total_steps),
            )  # fmt: skip
        )
        if config.early_stopping:
            callbacks.append(
                keras.callbacks.EarlyStopping(
                    f"dev_{run.task.selection_metric}", patience=config.early_stopping, mode="max"
                )
            )
    if chief:
        callbacks += [
            keras.callbacks.CSVLogger(str(out / "train_log.csv"), append=True),
            StepLossLog(out / "train_steps.csv", every=loss_log_every(run.total_steps)),
            keras.callbacks.TensorBoard(str(out / "tensorboard"), write_graph=False),
        ]
    callbacks.append(ProgressLog(run.total_steps, stopper, _progress_every()))
    return callbacks, stopper


def fit(run, model):
    """Fits with the run's callbacks; returns the `StopTraining` callback (why it stopped)."""
    train_data = run.splits["train"][2]
    callbacks, stopper = training_callbacks(run)
    prepare_fit(model, train_data.dataset, run.strategy)
    with run.strategy.scope():
        # Keras builds the optimizer inside the first traced step when no strategy is
        # set; creating variables there makes TensorFlow trace the whole step twice.
        model.optimizer.build(model.trainable_variables)
    model.fit(train_data.dataset, epochs=run.epochs, callbacks=callbacks, verbose=0, shuffle=False)
    # A run stopped mid-epoch leaves Keras's epoch iterator in a reference cycle, its
    # generator suspended; finalised at interpreter exit, it prints "Error occurred when
    # finalizing GeneratorDataset iterator". Collect it while Python still runs.
    gc.collect()
    return stopper


def _progress_every():
    """Seconds between progress lines: often on a terminal, every 30 s into a file."""
    return 5.0 if sys.stdout.isatty() else 30.0


def finish(run, model, stopper):
    """Restores the best epoch, evaluates dev and test, saves and exports the folder."""
    config, out, chief = run.config, run.out, run.chief
    steps = int(model.optimizer.iterations.numpy())
    stop_reason = stopper.reason or f"completed {run.epochs} epoch(s)"
    print(f"stopped: {stop_reason}; {steps} steps in {stopper.training_seconds:.0f}s", flush=True)
    best = run.work / "best.weights.h5"
    if "dev" in run.splits and best.is_file():
        model.load_weights(best)
        print(f"restored the best epoch by dev {run.task.selection_metric}", flush=True)
    scores = {}
    for name in ("dev", "test"):
        if name not in run.splits:
            continue
        path, examples, data = run.splits[name]
        scores[name] = run.task.evaluate(
            model, run.tokenizer, examples, config.eval_batch_size, data=data
        )
        print(f"\n{name} ({path}):\n{run.task.format_scores(scores[name])}", flush=True)
        if chief:
            atomic_write_text(
                out / f"{name}_scores.json",
                json.dumps(run.task.scores_json(scores[name]), indent=2, ensure_ascii=False),
            )
    if chief:
        summary = {
            "steps": steps,
            "stop_reason": stop_reason,
            "training_seconds": stopper.training_seconds,
            "references": run.references,
            "resolved": {name: config.resolved(name) for name in RESOLVED}
            | {"dropout": run.bert_config.hidden_dropout_prob},
        }
        atomic_write_text(out / "train_summary.json", json.dumps(summary, indent=2))
        write_folder(run.task, model, out, run.bert_config, run.vocab_file)
        png = plot_curves(
            out / "train_log.csv", out / "train_steps.csv", out / "curves.png",
            dev_steps_csv=out / DEV_CURVE_FILE, references=run.references,
        )  # fmt: skip
        print(f"saved the model to {out}" + (f"; curves in {png}" if png else ""), flush=True)
    shutil.rmtree(run.work, ignore_errors=True)
    return TrainResult(
        str(out), steps, stop_reason, stopper.training_seconds,
        scores.get("dev"), scores.get("test"), model,
    )  # fmt: skip


def train(config, command=None):
    """Trains, evaluates and saves a model as `config` says.

    Args:
        config: `TrainConfig`.
        command: optional str, the command line, kept as `command.txt` in the folder.

    Returns:
        `TrainResult`.

    Raises:
        TfNerError: bad files or settings, with what was expected; raised before
            anything is written to the output folder.
    """
    run = prepare(config)
    model = build(run)
    resuming = start_folder(run, command)
    banner(run, model, resuming)
    started = time.monotonic()
    stopper = fit(run, model)
    logger.info("fit took %.0fs", time.monotonic() - started)
    return finish(run, model, stopper)
