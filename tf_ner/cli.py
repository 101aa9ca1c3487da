"""The `tf-ner` command: one subcommand per job."""

import argparse
import dataclasses
import logging
import sys

from tf_ner.quiet import import_tensorflow_quietly


def _convert_hf(args):
    from tf_ner.bert.convert import convert_hf_to_google

    report = convert_hf_to_google(args.hf_dir, args.out_dir)
    print(f"wrote {args.out_dir}: {report}")


def _convert_google(args):
    from tf_ner.bert.convert import convert_google_to_hf

    report = convert_google_to_hf(args.google_dir, args.out_dir)
    print(f"wrote {args.out_dir}: {report}")


def _data_stats(args):
    from tf_ner.data.stats import data_stats_main

    data_stats_main(args.file, args.format, repair=args.repair)


def _train(args):
    import shlex

    from tf_ner.train import TrainConfig, train

    names = {field.name for field in dataclasses.fields(TrainConfig)}
    config = TrainConfig(**{k: v for k, v in vars(args).items() if k in names})
    command = " ".join(shlex.quote(a) for a in ["tf-ner", *sys.argv[1:]])
    print(f"tf-ner {args.command} -> {config.output_dir}\n  {command}", flush=True)
    return train(config, command=command)


def _evaluate(args):
    import json

    import tf_ner

    predictor = tf_ner.load(args.model)
    task = predictor.task
    examples, _ = type(task).read(args.data, args)
    task.check(examples, args.data)
    scores = task.evaluate(predictor.model, predictor.tokenizer, examples, args.batch_size)
    print(task.format_scores(scores))
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            json.dump(task.scores_json(scores), f, indent=2, ensure_ascii=False)


def _predict(args):
    import json

    import tf_ner

    predictor = tf_ner.load(args.model)
    texts = _read_texts(args.input, args.format)
    records = predictor.records(texts, batch_size=args.batch_size)
    with open(args.output, "w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"wrote predictions for {len(texts)} texts to {args.output}")


def _read_texts(path, format):
    """Texts of a dataset file, or of a plain file with one text per line.

    Blank lines are kept, so that the predictions stay line for line. With
    `format="auto"`, a file that no dataset reader accepts is read as lines (the
    report printed says why); see `tf_ner.data.masked_lm.read_corpus`.
    """
    from tf_ner.data.masked_lm import read_corpus

    corpus = read_corpus(path, format=format, skip_blank=False)
    print(corpus.report)
    return corpus.texts


def build_parser():
    parser = argparse.ArgumentParser(
        prog="tf-ner",
        description="Fine-tune BERT-family models with TensorFlow/Keras for (nested) NER "
        "and text classification.",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="log at INFO level, TensorFlow's C++ messages included",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    convert = commands.add_parser(
        "convert-hf", help="convert a Hugging Face BERT folder to Google's checkpoint format"
    )
    convert.add_argument("hf_dir", help="folder with config.json, vocab.txt, model.safetensors")
    convert.add_argument(
        "out_dir", help="folder to write bert_config.json, vocab.txt, bert_model.ckpt.*"
    )
    convert.set_defaults(run=_convert_hf)

    back = commands.add_parser(
        "convert-google", help="convert a Google-format checkpoint folder to Hugging Face's format"
    )
    back.add_argument(
        "google_dir", help="folder with bert_config.json, vocab.txt, bert_model.ckpt.*"
    )
    back.add_argument("out_dir", help="folder to write config.json, vocab.txt, model.safetensors")
    back.set_defaults(run=_convert_google)

    stats = commands.add_parser("data-stats", help="summarise a dataset file")
    stats.add_argument("file", help="a dataset file in any supported format")
    stats.add_argument("--format", default="auto", help="dataset format (default: detect)")
    stats.add_argument(
        "--repair",
        action="store_true",
        help="read invalid tag sequences (an I- that starts an entity) as seqeval does, counted",
    )
    stats.set_defaults(run=_data_stats)
    _add_train(commands)

    evaluate = commands.add_parser("evaluate", help="scores of a model folder on a dataset")
    evaluate.add_argument("--model", required=True, help="a model folder written by tf-ner train")
    evaluate.add_argument("--data", required=True, help="a dataset file in any supported format")
    evaluate.add_argument("--format", default="auto", help="dataset format (default: detect)")
    evaluate.add_argument(
        "--repair", action="store_true", help="repair invalid tag sequences (counted)"
    )
    evaluate.add_argument(
        "--batch-size", type=int, default=64, help="windows per batch (default %(default)s)"
    )
    evaluate.add_argument("--output", help="also write the scores as JSON to this file")
    evaluate.set_defaults(run=_evaluate)

    predict = commands.add_parser(
        "predict", help="predict entities (or labels) of texts, write jsonl"
    )
    predict.add_argument("--model", required=True, help="a model folder written by tf-ner train")
    predict.add_argument("--input", required=True, help="one text per line, or a dataset file")
    predict.add_argument("--output", required=True, help="jsonl to write, one line per text")
    predict.add_argument(
        "--format",
        default="auto",
        help="'lines', a dataset format (NER or classification), or auto (default: detect)",
    )
    predict.add_argument(
        "--batch-size", type=int, default=64, help="windows per batch (default %(default)s)"
    )
    predict.set_defaults(run=_predict)
    return parser


def _add_train(commands):
    t = commands.add_parser("train", help="train a model; evaluates and saves it")
    add_train_arguments(t)
    t.set_defaults(run=_train)
    p = commands.add_parser(
        "pretrain",
        help="pre-train an encoder with masked LM on raw text; writes a Google-format "
        "checkpoint folder (a --bert-dir)",
        description="Masked-LM pre-training (tf-ner train --task masked_lm): from random "
        "initialisation (--bert-size) or continued from a checkpoint (--bert-dir). Without "
        "--dev, 1%% of the texts (at most 2,000) are held out for the masked-token accuracy.",
    )
    add_train_arguments(p, task="masked_lm")
    p.set_defaults(run=_train)


def add_train_arguments(parser, files_required=True, task=None):
    """Adds one flag per `TrainConfig` field, with its type, default, choices and help.

    With `files_required=False`, `--train` and `--output-dir` are optional (the examples
    find the training file in `--data-dir` and have a default folder). With `task`, the
    flags of that task only, and `--task` fixed to it.
    """
    from tf_ner.train.config import TrainConfig

    parser.formatter_class = _with_defaults(parser.formatter_class)
    groups = {}
    for field in dataclasses.fields(TrainConfig):
        meta = field.metadata
        if task is not None and (field.name == "task" or task not in (meta["tasks"] or [task])):
            continue
        flag = "--" + field.name.replace("_", "-")
        kind = _base_type(field.type)
        options = {"help": meta["help"], "dest": field.name, "default": field.default}
        if kind is bool:
            options["action"] = argparse.BooleanOptionalAction
        else:
            options["type"] = meta["flag_type"] or kind
            options["metavar"] = meta["metavar"]
            choices = meta["choices"]
            if choices is not None:
                options["choices"] = list(choices() if callable(choices) else choices)
        if field.name in ("train", "output_dir"):
            options["required"] = files_required
        target = parser
        if meta["group"]:
            if meta["group"] not in groups:
                groups[meta["group"]] = parser.add_mutually_exclusive_group(required=True)
            target = groups[meta["group"]]
        target.add_argument(flag, **options)
    if task is not None:
        parser.set_defaults(task=task)


def _with_defaults(formatter_class):
    """`formatter_class` that adds "(default X)" to an option's help when X is not None.

    At format time, so that a default changed later (`parser.set_defaults`, as the
    examples do with their recipes) is the one shown.
    """

    class WithDefaults(formatter_class):
        def _get_help_string(self, action):
            text = action.help or ""
            shown = action.default not in (None, argparse.SUPPRESS)
            if shown and action.option_strings and "%(default)" not in text:
                text += " (default %(default)s)"
            return text

    return WithDefaults


def _base_type(annotation):
    """`int` for `int | None`, `float` for `float | None`, ... (`tuple[...]`: None)."""
    for kind in (bool, int, float, str):
        if annotation is kind or kind in getattr(annotation, "__args__", ()):
            return kind
    return None


TENSORFLOW_COMMANDS = ("train", "pretrain", "evaluate", "predict")


def main(argv=None):
    args = build_parser().parse_args(argv)
    if not args.verbose and args.command in TENSORFLOW_COMMANDS:
        import_tensorflow_quietly()
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        args.run(args)
    except (FileNotFoundError, ValueError) as error:
        print(f"tf-ner {args.command}: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
