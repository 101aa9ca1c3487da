"""`train(config)`: data, encoder, head, optimizer, strategy, callbacks, fit, save."""

import dataclasses
import gc
import json
import logging
import math
import pathlib
import shutil
import tempfile
import time

import keras

from tf_ner.bert.checkpoint import load_bert_checkpoint
from tf_ner.bert.checkpoint_io import resolve_checkpoint
from tf_ner.bert.config import BertConfig
from tf_ner.bert.tokenization import Tokenizer
from tf_ner.bert.vocab import build_vocab, write_vocab
from tf_ner.data import read_dataset
from tf_ner.data.pipeline import encode_examples, make_dataset
from tf_ner.optimization import AdamWeightDecay, WarmupLinearDecay
from tf_ner.tasks.ner import NerSettings, build_ner_model, compile_ner_model, evaluate_spans
from tf_ner.train import output
from tf_ner.train.callbacks import (
    BackupAndRestore,
    DeterministicEpochs,
    DevEvaluation,
    StepLossLog,
    StopTraining,
)
from tf_ner.train.config import BERT_SIZES
from tf_ner.train.plots import plot_curves
from tf_ner.train.report import format_scores, scores_json
from tf_ner.train.strategy import describe, is_chief, make_strategy, prepare_fit, task

logger = logging.getLogger(__name__)


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


def read_split(path, config, what):
    examples, info = read_dataset(
        path, format=config.format, repair=config.repair, return_info=True
    )
    if not examples:
        raise ValueError(f"{what} file {path} holds no example")
    print(f"{what}: {len(examples)} examples from {path} ({info.format})", flush=True)
    return examples


def check_types(examples, types, path, what):
    """Every entity type of a dev/test split must be known from training."""
    for example in examples:
        for _, _, type_ in example.entities:
            if type_ not in types:
                raise ValueError(
                    f"{path} ({example.source or what}): entity type {type_!r} never occurs in "
                    f"the training data (known types: {', '.join(types)}); the model cannot "
                    f"predict it"
                )


def encoder_config(config, train_examples, output_dir):
    """The encoder's `BertConfig` and vocabulary file, from `bert_dir` or `bert_size`."""
    if config.bert_dir:
        bert_dir = pathlib.Path(config.bert_dir)
        bert_config = BertConfig.from_json_file(bert_dir / "bert_config.json")
        resolve_checkpoint(bert_dir)  # fails early, naming the files it looked for
        vocab_file = bert_dir / "vocab.txt"
        if not vocab_file.is_file():
            raise FileNotFoundError(f"{vocab_file} not found (a --bert-dir needs vocab.txt)")
        if config.max_length > bert_config.max_position_embeddings:
            raise ValueError(
                f"max_length={config.max_length} is longer than the checkpoint's "
                f"max_position_embeddings={bert_config.max_position_embeddings} "
                f"({bert_dir / 'bert_config.json'}); lower --max-length"
            )
        return bert_config, vocab_file
    layers, hidden = BERT_SIZES[config.bert_size]
    tokens = build_vocab((e.text for e in train_examples), do_lower_case=True)
    vocab_file = pathlib.Path(output_dir) / "vocab.txt"
    write_vocab(tokens, vocab_file)
    bert_config = BertConfig(
        vocab_size=len(tokens),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=hidden // 64,
        intermediate_size=4 * hidden,
        hidden_dropout_prob=config.dropout,
        attention_probs_dropout_prob=config.dropout,
        max_position_embeddings=max(512, config.max_length),
    )
    return bert_config, vocab_file


def make_optimizer(config, total_steps):
    """AdamWeightDecay with warmup and linear decay over `total_steps` (with a time budget
    the `StopTraining` callback sets the rate instead), gradients clipped to norm 1."""
    if config.time_budget is None:
        schedule = WarmupLinearDecay(
            config.learning_rate,
            decay_steps=total_steps,
            warmup_steps=config.warmup_steps(total_steps),
        )
    else:
        schedule = config.learning_rate
    multipliers = None
    if config.head_learning_rate is not None and config.learning_rate > 0:
        # Everything outside the encoder (`bert/...`) is the head.
        multipliers = {r"^(?!bert/)": config.head_learning_rate / config.learning_rate}
    return AdamWeightDecay(
        schedule,
        weight_decay_rate=config.weight_decay,
        bias_correction=config.bias_correction,
        layerwise_lr_decay=config.layerwise_lr_decay,
        lr_multipliers=multipliers,
        global_clipnorm=1.0,
    )


def train(config, command=None):
    """Trains, evaluates and saves an NER model as `config` says.

    Args:
        config: `TrainConfig`.
        command: optional str, the command line, kept as `command.txt` in the folder.

    Returns:
        `TrainResult`.

    Raises:
        FileNotFoundError, ValueError: bad files or settings, with what was expected.
    """
    out = pathlib.Path(config.output_dir)
    strategy = make_strategy(config.strategy)
    chief = is_chief(strategy)
    if chief:
        resuming = output.check_output_dir(out, config)
        out.mkdir(parents=True, exist_ok=True)
        output.atomic_write_text(out / output.CONFIG_FILE, config.to_json())
        if command:
            output.atomic_write_text(out / "command.txt", command + "\n")
        work = out
    else:
        # Only the chief writes the model folder (and checks it: a worker creating files
        # there could make the chief's check fail). Another worker keeps its own files,
        # the vocabulary and its best weights, in a temporary folder removed at the end.
        resuming = (out / "backup").is_dir()
        work = pathlib.Path(tempfile.mkdtemp(prefix="tf_ner_{}{}_".format(*task(strategy))))
    keras.utils.set_random_seed(config.seed)
    if config.mixed_precision:
        keras.mixed_precision.set_global_policy(config.mixed_precision)

    train_examples = read_split(config.train, config, "train")
    types = sorted({t for e in train_examples for _, _, t in e.entities})
    dev_examples = read_split(config.dev, config, "dev") if config.dev else None
    test_examples = read_split(config.test, config, "test") if config.test else None
    for examples, path, what in (
        (dev_examples, config.dev, "dev"),
        (test_examples, config.test, "test"),
    ):
        if examples:
            check_types(examples, types, path, what)

    bert_config, vocab_file = encoder_config(config, train_examples, work)
    tokenizer = Tokenizer(vocab_file)
    settings = NerSettings(
        head=config.head,
        types=types,
        scheme=config.scheme,
        max_length=config.max_length,
        stride=config.stride,
        head_size=config.head_size,
        crf_lr_multiplier=config.crf_lr_multiplier,
        do_lower_case=tokenizer.do_lower_case,
    )
    labeler = settings.labeler()
    train_data = make_dataset(
        train_examples,
        tokenizer,
        labeler,
        config.max_length,
        config.stride,
        config.batch_size,
        shuffle=True,
        seed=config.seed,
        buckets=config.buckets,
    )
    steps_per_epoch = len(train_data.epoch_batches)
    total_steps = config.epochs * steps_per_epoch
    if config.max_steps:
        total_steps = min(total_steps, config.max_steps)
    epochs = math.ceil(total_steps / steps_per_epoch)

    with strategy.scope():
        model = build_ner_model(bert_config, settings)
        if config.bert_dir:
            report = load_bert_checkpoint(
                model,
                config.bert_dir,
                config.reinit_top_layers,
                config.reinit_pooler,
                seed=config.seed,
            )
            print(report, flush=True)
        compile_ner_model(model, settings, make_optimizer(config, total_steps), config.jit_compile)

    parameters = sum(math.prod(v.shape) for v in model.weights)
    print(
        f"training: {len(train_examples)} examples in {len(train_data.encoded.token_ids)} windows, "
        f"{len(types)} types ({', '.join(types)}), head {config.head}, encoder "
        f"L{bert_config.num_hidden_layers}/H{bert_config.hidden_size} "
        f"({parameters:,} parameters), batch {config.batch_size}, {steps_per_epoch} "
        f"steps/epoch, {total_steps} steps, warmup {config.warmup_steps(total_steps)}, "
        f"{describe(strategy)}{', resuming' if resuming else ''}",
        flush=True,
    )
    stopper = StopTraining(
        config.max_steps,
        config.time_budget,
        peak_learning_rate=config.learning_rate,
        warmup_steps=config.warmup_steps(total_steps),
    )
    callbacks = [
        DeterministicEpochs(train_data.epoch_batches, config.seed),
        BackupAndRestore(str(out / "backup"), steps_per_epoch, write=chief),
        keras.callbacks.TerminateOnNaN(),
        stopper,
    ]
    dev_callback = None
    if dev_examples:
        dev_callback = DevEvaluation(
            dev_examples,
            settings,
            tokenizer,
            work / "best.weights.h5",
            config.eval_batch_size,
            state_path=work / "best.json",
        )
        callbacks.append(dev_callback)
        if config.early_stopping:
            callbacks.append(
                keras.callbacks.EarlyStopping("dev_f1", patience=config.early_stopping, mode="max")
            )
    if chief:
        callbacks += [
            keras.callbacks.CSVLogger(str(out / "train_log.csv"), append=True),
            StepLossLog(out / "train_steps.csv"),
            keras.callbacks.TensorBoard(str(out / "tensorboard"), write_graph=False),
        ]
    prepare_fit(model, train_data, strategy)
    started = time.monotonic()
    model.fit(train_data, epochs=epochs, callbacks=callbacks, verbose=2, shuffle=False)
    # A run stopped mid-epoch leaves Keras's epoch iterator in a reference cycle, its
    # generator suspended; finalised at interpreter exit, it prints "Error occurred when
    # finalizing GeneratorDataset iterator". Collect it while Python still runs.
    gc.collect()
    steps = int(model.optimizer.iterations.numpy())
    stop_reason = stopper.reason or f"completed {epochs} epoch(s)"
    print(f"stopped: {stop_reason}; {steps} steps in {time.monotonic() - started:.0f}s", flush=True)

    if dev_callback is not None and (work / "best.weights.h5").is_file():
        model.load_weights(work / "best.weights.h5")
        print(f"restored the best epoch ({dev_callback.best_epoch + 1}) by dev F1", flush=True)
    scores = {}
    for name, examples, path in (
        ("dev", dev_examples, config.dev),
        ("test", test_examples, config.test),
    ):
        if examples:
            scores[name] = evaluate_spans(
                model, settings, tokenizer, examples, config.eval_batch_size
            )
            lost = encode_examples(
                examples, tokenizer, labeler, config.max_length, config.stride
            ).report
            print(f"\n{name} ({path}):\n{format_scores(scores[name], lost)}", flush=True)
            if chief:
                output.atomic_write_text(
                    out / f"{name}_scores.json",
                    json.dumps(scores_json(scores[name], lost), indent=2),
                )
    if chief:
        summary = {
            "steps": steps,
            "stop_reason": stop_reason,
            "training_seconds": stopper.training_seconds,
        }
        output.atomic_write_text(out / "train_summary.json", json.dumps(summary, indent=2))
        output.save_model_folder(model, out, bert_config, vocab_file, settings)
        output.export_saved_model(model, settings, out / output.SAVED_MODEL_DIR)
        png = plot_curves(out / "train_log.csv", out / "train_steps.csv", out / "curves.png")
        print(f"saved the model to {out}" + (f"; curves in {png}" if png else ""), flush=True)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return TrainResult(
        str(out),
        steps,
        stop_reason,
        stopper.training_seconds,
        scores.get("dev"),
        scores.get("test"),
        model,
    )
