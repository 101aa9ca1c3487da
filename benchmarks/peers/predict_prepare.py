"""Prepares the prediction benchmark: the two corpora and the model as a Hugging Face folder.

    python benchmarks/peers/predict_prepare.py --model runs/demo_msra_crf --out /tmp/predict

Writes to `--out`:

    sentences.txt   the first `--texts` texts of the MSRA test file, one per line
    documents.txt   the same texts, consecutive ones joined into paragraphs of
                    1,000-3,000 characters (lengths drawn uniformly, `--seed`)
    one.txt         the first text alone (the start-up of `tf-ner predict`)
    hf/             the model folder's encoder and tag classifier as a Hugging Face
                    `BertForTokenClassification` (config.json, vocab.txt,
                    model.safetensors, tokenizer_config.json): the classifier is the
                    Dense over the encoder that gives the tag scores (a CRF head's
                    emissions), labels in the model's tag order; with `--onnx`, also
                    its ONNX graphs (`hf_onnx.py`)

With `--onnx` it also exports the model folder itself (`tf_ner.tasks.folder.export_onnx`,
float32 and int8: `model.onnx`, `model.int8.onnx` in the folder, as `tf-ner export` does).

and prints one JSON line: the corpora's sizes and the largest difference between the
Hugging Face model's tag scores and tf_ner's on the first texts (it fails above 1e-3).
Peers built from `hf/` tag like our emissions without the CRF's transitions.
"""

import argparse
import json
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import hf_onnx  # noqa: E402
import hf_windows  # noqa: E402
import numpy as np  # noqa: E402
import prediction  # noqa: E402

import tf_ner  # noqa: E402
from tf_ner.bert.convert import convert_google_to_hf  # noqa: E402
from tf_ner.data import read_dataset  # noqa: E402
from tf_ner.demo import msra_files  # noqa: E402
from tf_ner.layers import TokenClassifier  # noqa: E402
from tf_ner.tasks.folder import export_onnx  # noqa: E402

CHECKED_TEXTS = 16


def layers_of(layer):
    """Every layer inside `layer`, depth first."""
    for child in getattr(layer, "layers", ()):
        yield child
        yield from layers_of(child)


def tag_classifier(model):
    """The model's `TokenClassifier` (the tag scores of the CRF and softmax heads)."""
    found = [layer for layer in layers_of(model) if isinstance(layer, TokenClassifier)]
    if len(found) != 1:
        raise SystemExit(
            f"expected one TokenClassifier in the model (a tag head: crf or softmax), found "
            f"{len(found)}; the Hugging Face peer is a token classifier"
        )
    return found[0]


def write_hf_folder(recognizer, model_dir, out):
    """The encoder and tag classifier as a Hugging Face `BertForTokenClassification`."""
    from safetensors.numpy import load_file, save_file

    convert_google_to_hf(model_dir, out)
    dense = tag_classifier(recognizer.model).classifier_dense
    tensors = load_file(str(out / "model.safetensors"))
    tensors["classifier.weight"] = np.ascontiguousarray(dense.kernel.numpy().T)
    tensors["classifier.bias"] = dense.bias.numpy()
    save_file(tensors, str(out / "model.safetensors"), metadata={"format": "pt"})
    tags = recognizer.task.labeler.tags
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    config.update(
        architectures=["BertForTokenClassification"],
        id2label={str(i): tag for i, tag in enumerate(tags)},
        label2id={tag: i for i, tag in enumerate(tags)},
    )
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    settings = recognizer.settings
    tokenizer_config = {
        "tokenizer_class": "BertTokenizer",
        "do_lower_case": settings.do_lower_case,
        "tokenize_chinese_chars": True,
        "model_max_length": settings.max_length,
    }
    (out / "tokenizer_config.json").write_text(json.dumps(tokenizer_config) + "\n")


def padded_ids(recognizer, texts):
    """The texts' token ids (cut at the model's length), int64, 0-padded."""
    tokenizer = recognizer.tokenizer
    return hf_windows.padded(
        [tokenizer.encode(t).ids[: recognizer.settings.max_length] for t in texts]
    )


def largest_score_difference(recognizer, hf_dir, texts):
    """Max |tag score| difference between tf_ner's classifier and the HF model's."""
    import torch
    import transformers

    ids = padded_ids(recognizer, texts).astype(np.int32)
    encoder = next(layer for layer in layers_of(recognizer.model) if layer.name == "bert")
    hidden = encoder((ids, np.zeros_like(ids)))["sequence_output"]
    ours = tag_classifier(recognizer.model)(hidden).numpy()
    model = transformers.BertForTokenClassification.from_pretrained(hf_dir).eval()
    with torch.inference_mode():
        theirs = model(
            input_ids=torch.from_numpy(ids).long(),
            attention_mask=torch.from_numpy(ids != 0).long(),
        ).logits.numpy()
    real = ids != 0
    return float(np.abs(ours[real] - theirs[real]).max())


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, help="a tf_ner NER model folder (crf or softmax)")
    p.add_argument("--out", required=True, help="folder to write into")
    p.add_argument("--data", default=None, help="NER file of the texts (default: MSRA test)")
    p.add_argument("--texts", type=int, default=5000, help="texts taken from its start")
    p.add_argument("--seed", type=int, default=0, help="seed of the paragraph lengths")
    p.add_argument("--onnx", action="store_true", help="also write both sides' ONNX graphs")
    args = p.parse_args()
    data = pathlib.Path(args.data) if args.data else msra_files()[1]
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    texts = [example.text for example in read_dataset(data, repair=True)][: args.texts]
    documents = prediction.join_documents(texts, seed=args.seed)
    prediction.write_texts(texts, prediction.corpus_file(out, "sentences"))
    prediction.write_texts(documents, prediction.corpus_file(out, "documents"))
    prediction.write_texts(texts[:1], out / prediction.STARTUP_TEXT_FILE)
    recognizer = tf_ner.load(args.model)
    hf_dir = out / prediction.HF_DIR
    write_hf_folder(recognizer, args.model, hf_dir)
    difference = largest_score_difference(recognizer, hf_dir, texts[:CHECKED_TEXTS])
    if difference > 1e-3:
        raise SystemExit(f"the Hugging Face copy's tag scores differ by {difference:.3g}")
    lengths = [len(d) for d in documents]
    onnx = {}
    if args.onnx:
        for int8 in (False, True):
            export_onnx(args.model, int8=int8)
        onnx = hf_onnx.export_hf_onnx(hf_dir, padded_ids(recognizer, texts[:CHECKED_TEXTS]))
    prediction.emit(
        {
            "runner": "prepare",
            "data": str(data),
            "model": str(args.model),
            "sentences": len(texts),
            "sentence_characters": sum(map(len, texts)),
            "documents": len(documents),
            "document_characters": sum(lengths),
            "shortest_document": min(lengths),
            "longest_document": max(lengths),
            "tags": list(recognizer.task.labeler.tags),
            "hf_score_difference": difference,
            "hf_onnx": onnx,
        }
    )


if __name__ == "__main__":
    main()
