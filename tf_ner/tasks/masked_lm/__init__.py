"""Masked-LM pre-training as a task: a pre-trained folder is a `--bert-dir` for the others.

`tf-ner pretrain` (= `tf-ner train --task masked_lm`) trains the encoder and Google's
`cls/predictions` head on raw text and writes a Google-format checkpoint folder
(`bert_config.json`, `vocab.txt`, `bert_model.ckpt.*`).
"""
