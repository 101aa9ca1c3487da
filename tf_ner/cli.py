"""The `tf-ner` command: one subcommand per job."""

import argparse
import logging
import sys


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


def _int_list(text):
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected comma-separated ints") from None


def _train(args):
    import shlex

    from tf_ner.train import TrainConfig, train

    fields = {k: v for k, v in vars(args).items() if k not in ("command", "run", "verbose")}
    config = TrainConfig(**fields)
    command = " ".join(shlex.quote(a) for a in ["tf-ner", *sys.argv[1:]])
    print(f"tf-ner train -> {config.output_dir}\n  {command}", flush=True)
    return train(config, command=command)


def _evaluate(args):
    import json

    from tf_ner.data import read_dataset
    from tf_ner.data.pipeline import encode_examples
    from tf_ner.train import Recognizer
    from tf_ner.train.report import format_scores, scores_json

    recognizer = Recognizer.load(args.model)
    examples = read_dataset(args.data, format=args.format, repair=args.repair)
    known = set(recognizer.settings.types)
    unknown = sorted({t for e in examples for _, _, t in e.entities} - known)
    if unknown:
        raise ValueError(
            f"{args.data}: entity type(s) {unknown} are unknown to the model (it knows "
            f"{sorted(known)})"
        )
    scores = recognizer.evaluate(examples, batch_size=args.batch_size)
    s = recognizer.settings
    lost = encode_examples(
        examples, recognizer.tokenizer, s.labeler(), s.max_length, s.stride
    ).report
    print(format_scores(scores, lost))
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            json.dump(scores_json(scores, lost), f, indent=2, ensure_ascii=False)


def _predict(args):
    import json

    from tf_ner.train import Recognizer

    recognizer = Recognizer.load(args.model)
    texts = _read_texts(args.input, args.format)
    predictions = recognizer.predict(texts, batch_size=args.batch_size)
    with open(args.output, "w", encoding="utf-8") as f:
        for text, entities in zip(texts, predictions, strict=True):
            f.write(json.dumps({"text": text, "entities": entities}, ensure_ascii=False) + "\n")
    found = sum(map(len, predictions))
    print(f"wrote {len(texts)} texts with {found} entities to {args.output}")


def _read_texts(path, format):
    """Texts of a dataset file, or of a plain file with one text per line.

    With `format="auto"`, a file that no dataset reader accepts is read as lines (and
    the reason is printed).
    """
    from tf_ner.data import DatasetError, read_dataset

    if format != "lines":
        try:
            return [e.text for e in read_dataset(path, format=format, repair=True)]
        except DatasetError as error:
            if format != "auto":
                raise
            print(f"{path}: not a dataset file ({error}); reading one text per line")
    with open(path, encoding="utf-8-sig") as f:
        return [line.rstrip("\r\n") for line in f]


def build_parser():
    parser = argparse.ArgumentParser(
        prog="tf-ner",
        description="Fine-tune BERT-family models with TensorFlow/Keras for (nested) NER.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every step (INFO)")
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

    evaluate = commands.add_parser("evaluate", help="precision/recall/F1 of a model on a dataset")
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

    predict = commands.add_parser("predict", help="find entities in texts, write jsonl")
    predict.add_argument("--model", required=True, help="a model folder written by tf-ner train")
    predict.add_argument("--input", required=True, help="one text per line, or a dataset file")
    predict.add_argument("--output", required=True, help="jsonl to write, one line per text")
    predict.add_argument(
        "--format", default="auto", help="'lines', a dataset format, or auto (default: detect)"
    )
    predict.add_argument(
        "--batch-size", type=int, default=64, help="windows per batch (default %(default)s)"
    )
    predict.set_defaults(run=_predict)
    return parser


def _add_train(commands):
    t = commands.add_parser("train", help="train an NER model; evaluates and saves it")
    add_train_arguments(t)
    t.set_defaults(run=_train)


def add_train_arguments(t, files_required=True):
    """Adds one flag per `TrainConfig` field to the parser `t` (`tf-ner train`, `examples/`).

    With `files_required=False`, `--train` and `--output-dir` are optional (the examples
    find the training file in `--data-dir` and have a default folder).
    """
    from tf_ner.train.config import BERT_SIZES, STRATEGIES

    t.add_argument("--train", required=files_required, help="training file (any supported format)")
    t.add_argument("--dev", help="dev file: scored each epoch, the best epoch is kept")
    t.add_argument("--test", help="test file: scored once at the end")
    t.add_argument("--format", default="auto", help="dataset format of the files (default: detect)")
    t.add_argument(
        "--repair",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="repair invalid tag sequences as seqeval reads them, counted (default %(default)s)",
    )
    encoder = t.add_mutually_exclusive_group(required=True)
    encoder.add_argument(
        "--bert-dir",
        help="Google-format checkpoint folder (bert_config.json, vocab.txt, bert_model.ckpt.*)",
    )
    encoder.add_argument(
        "--bert-size",
        choices=list(BERT_SIZES),
        help="random initialisation with Google's compact BERT shape",
    )
    t.add_argument(
        "--dropout",
        type=float,
        default=0.1,
        help="dropout of a --bert-size encoder (default %(default)s)",
    )
    t.add_argument(
        "--head",
        default="crf",
        choices=["crf", "softmax", "globalpointer", "efficient_globalpointer"],
        help="the NER head (default %(default)s)",
    )
    t.add_argument(
        "--scheme",
        default="BIO",
        choices=["BIO", "BIOES"],
        help="tag scheme of crf/softmax heads (default %(default)s)",
    )
    t.add_argument(
        "--max-length",
        type=int,
        default=128,
        help="tokens per window incl. [CLS]/[SEP] (default %(default)s)",
    )
    t.add_argument(
        "--stride",
        type=int,
        default=32,
        help="tokens shared by overlapping windows of long texts (default %(default)s)",
    )
    t.add_argument(
        "--buckets",
        type=_int_list,
        help="padded training lengths, e.g. 32,64,128 (default: every 8 tokens up to 128, "
        "then coarser; at most 1/8 padding)",
    )
    t.add_argument(
        "--head-size",
        type=int,
        default=64,
        help="query/key size of GlobalPointer heads (default %(default)s)",
    )
    t.add_argument("--epochs", type=int, default=3, help="training epochs (default %(default)s)")
    t.add_argument("--max-steps", type=int, help="stop after this many optimizer steps")
    t.add_argument(
        "--time-budget",
        type=float,
        help="stop after this many minutes of training, then evaluate and save",
    )
    t.add_argument(
        "--batch-size", type=int, default=32, help="global batch size (default %(default)s)"
    )
    t.add_argument(
        "--eval-batch-size",
        type=int,
        default=64,
        help="batch size of evaluation (default %(default)s)",
    )
    t.add_argument(
        "--learning-rate",
        type=float,
        default=5e-5,
        help="peak learning rate of the encoder (default %(default)s)",
    )
    t.add_argument(
        "--head-learning-rate",
        type=float,
        help="peak learning rate of the head (default: --learning-rate)",
    )
    t.add_argument(
        "--warmup",
        type=float,
        default=0.1,
        help="warmup: a fraction of the steps if < 1, else steps (default %(default)s)",
    )
    t.add_argument(
        "--bias-correction",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Adam bias correction (default %(default)s)",
    )
    t.add_argument(
        "--weight-decay",
        type=float,
        default=0.01,
        help="decoupled weight decay (default %(default)s; LayerNorm and biases excluded)",
    )
    t.add_argument(
        "--reinit-top-layers",
        type=int,
        default=0,
        help="re-initialise the top L encoder layers of the checkpoint",
    )
    t.add_argument(
        "--reinit-pooler", action="store_true", help="re-initialise the pooler of the checkpoint"
    )
    t.add_argument(
        "--layerwise-lr-decay", type=float, help="layer-wise learning-rate decay factor, e.g. 0.9"
    )
    t.add_argument(
        "--crf-lr-multiplier",
        type=float,
        default=1.0,
        help="learning-rate multiplier of the CRF transitions (default %(default)s)",
    )
    t.add_argument(
        "--early-stopping", type=int, help="stop after this many epochs without a better dev F1"
    )
    t.add_argument("--seed", type=int, default=42, help="random seed (default %(default)s)")
    t.add_argument(
        "--strategy",
        default="auto",
        choices=list(STRATEGIES),
        help="tf.distribute strategy (default %(default)s)",
    )
    t.add_argument(
        "--mixed-precision",
        choices=["mixed_bfloat16", "mixed_float16"],
        help="mixed precision policy",
    )
    t.add_argument("--jit-compile", action="store_true", help="compile the train step with XLA")
    t.add_argument(
        "--output-dir", required=files_required, help="folder for the model, logs and curves"
    )


def main(argv=None):
    args = build_parser().parse_args(argv)
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
