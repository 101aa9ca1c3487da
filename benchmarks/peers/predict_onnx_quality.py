"""What ONNX and int8 cost in entity F1, on the prediction benchmark's sentences.

    python benchmarks/peers/predict_onnx_quality.py --model runs/msra_softmax \
        --prepared /tmp/predict --data msra_test.txt --texts 5000

Scores the first `--texts` texts of `--data` against their gold entities (exact
`(text, start, end, type)` matches, micro F1, `tf_ner.metrics.prf`), and the documents
made of them (their gold entities moved to where each text lies in its document):

    ours            `tf_ner.load(model)` with each runtime: tensorflow, onnx, onnx-int8
                    (the whole predictor: windows, decoding, merging)
    hf-onnx-*       the Hugging Face graphs of `hf_onnx.py` (optimized float32, int8):
                    the fast tokenizer's windows (128 tokens, 32 shared), each token's
                    argmax tag from the first window that holds it, BIO tags read as
                    spans from the first token's start to the last token's end

Both sides' int8 cost is the difference to their own float32 row: the decoding of the
two sides differs (the CRF's Viterbi, our merging of windows), so the rows of different
sides are not compared with each other. On the documents, float32 ONNX only: ours with
the model's windows and with overlapping windows (`prediction.overlapping_windows`),
and Hugging Face's optimized graph. Prints one JSON line.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import hf_onnx  # noqa: E402
import hf_windows  # noqa: E402
import prediction  # noqa: E402

import tf_ner  # noqa: E402
from tf_ner.data import read_dataset  # noqa: E402
from tf_ner.metrics.prf import prf  # noqa: E402

RUNTIMES = ("tensorflow", "onnx", "onnx-int8")
HF_GRAPHS = ("onnx-optimized", "onnx-int8")


def bio_spans(offsets, tags):
    """`(start, end, type)` character spans of BIO `tags` over tokens at `offsets`."""
    spans, current = [], None
    for (start, end), tag in zip(offsets, tags, strict=True):
        inside = tag.startswith("I-") and current and current[2] == tag[2:]
        if inside:
            current[1] = end
            continue
        if current:
            spans.append(tuple(current))
        current = [start, end, tag[2:]] if tag != "O" else None
    if current:
        spans.append(tuple(current))
    return spans


def hf_spans(hf_dir, graph, texts, labels, batch_size=32, stride=32):
    """Each text's spans from one of the Hugging Face ONNX graphs (see the module)."""
    import transformers

    tokenizer = transformers.AutoTokenizer.from_pretrained(hf_dir)
    session = hf_onnx.session(f"{hf_dir}/{hf_onnx.GRAPHS[graph]}")
    encoded = hf_windows.windows(tokenizer, texts, stride, return_offsets_mapping=True)
    tokens = [{} for _ in texts]  # per text: token start offset -> (end, tag)
    for k in range(0, len(encoded["input_ids"]), batch_size):
        rows = encoded["input_ids"][k : k + batch_size]
        ids = hf_windows.padded(rows)
        best = hf_onnx.logits(session, ids).argmax(-1)
        for r in range(len(rows)):
            window = k + r
            found = tokens[encoded["overflow_to_sample_mapping"][window]]
            for position, (start, end) in enumerate(encoded["offset_mapping"][window]):
                if end > start:  # not [CLS], [SEP] or padding
                    found.setdefault(start, (end, labels[best[r, position]]))
    spans = []
    for found in tokens:
        starts = sorted(found)
        spans.append(bio_spans([(s, found[s][0]) for s in starts], [found[s][1] for s in starts]))
    return spans


def f1(gold, spans):
    """Micro F1 of each text's spans against `gold` (lists of `(start, end, type)`)."""
    return prf(prediction.span_set(gold), prediction.span_set(spans))["f1"]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, help="a tf_ner NER model folder, exported to ONNX")
    p.add_argument("--prepared", required=True, help="the folder predict_prepare.py wrote")
    p.add_argument("--data", required=True, help="the NER file the sentences came from")
    p.add_argument("--texts", type=int, required=True, help="texts taken from its start")
    args = p.parse_args()
    examples = read_dataset(args.data, repair=True)[: args.texts]
    texts = [example.text for example in examples]
    if texts != prediction.read_texts(prediction.corpus_file(args.prepared, "sentences")):
        raise SystemExit(f"{args.data}: not the texts of {args.prepared}/sentences.txt")
    gold = [list(example.entities) for example in examples]
    scores = {}
    for runtime in RUNTIMES:
        recognizer = tf_ner.load(args.model, runtime=runtime)
        scores[f"ours-{runtime}"] = f1(gold, recognizer.predict_spans(texts))
    labels = list(recognizer.task.labeler.tags)
    hf_dir = f"{args.prepared}/{prediction.HF_DIR}"
    for graph in HF_GRAPHS:
        scores[f"hf-{graph}"] = f1(gold, hf_spans(hf_dir, graph, texts, labels))
    documents = prediction.read_texts(prediction.corpus_file(args.prepared, "documents"))
    gold = prediction.document_gold(documents, examples)
    recognizer = tf_ner.load(args.model, runtime="onnx")
    on_documents = {"ours-onnx": f1(gold, recognizer.predict_spans(documents))}
    overlapping = prediction.overlapping_windows(recognizer).predict_spans(documents)
    on_documents["ours-onnx, overlapping windows"] = f1(gold, overlapping)
    hf_found = hf_spans(hf_dir, "onnx-optimized", documents, labels)
    on_documents["hf-onnx-optimized"] = f1(gold, hf_found)
    prediction.emit(
        {"runner": "onnx-quality", "texts": len(texts), "f1": scores, "f1_documents": on_documents}
    )


if __name__ == "__main__":
    main()
