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
    convert.add_argument("out_dir", help="folder to write bert_config.json, vocab.txt, bert_model.ckpt.*")
    convert.set_defaults(run=_convert_hf)

    back = commands.add_parser(
        "convert-google", help="convert a Google-format checkpoint folder to Hugging Face's format"
    )
    back.add_argument("google_dir", help="folder with bert_config.json, vocab.txt, bert_model.ckpt.*")
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
    return parser


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
