"""The PyTorch peers of prediction, on the Hugging Face copy of the model (`hf/`).

    python benchmarks/peers/predict_hf_runner.py --prepared /tmp/predict --corpus sentences \
        --mode pipeline --batch-size 1
    python benchmarks/peers/predict_hf_runner.py --prepared /tmp/predict --mode forward

`pipeline`: `transformers.pipeline("token-classification", aggregation_strategy="simple")`
called on the list of texts with `batch_size` and `stride` (texts longer than the
model's 128 tokens are split into windows overlapping by `stride` tokens, as tf_ner
splits them), giving entity spans. `forward`: the plain batched forward, the lower
bound of any predictor on this model: the fast tokenizer's windows (`max_length` 128,
`stride`, overflowing tokens), sorted by length, batches of `batch_size` padded to their
longest row, `BertForTokenClassification` in eval mode under `torch.inference_mode()`,
the argmax read back as numpy; no decoding to spans. Both time from the list of texts
to their results, after a warm-up on `--warmup` texts, with PyTorch's default threads.
"""

import argparse
import os

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
import prediction  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402


def record_shapes(model):
    """A list that every forward call of `model` appends its `[rows, length]` to."""
    shapes = []

    def hook(module, args, kwargs):
        ids = kwargs.get("input_ids", args[0] if args else None)
        shapes.append(list(ids.shape))

    model.register_forward_pre_hook(hook, with_kwargs=True)
    return shapes


def run_pipeline(hf_dir, batch_size, stride):
    """`(model, call)`: the call to time gives each text's entity spans."""
    pipe = transformers.pipeline(
        "token-classification", model=str(hf_dir), aggregation_strategy="simple", device="cpu"
    )

    def call(part):
        found = pipe(part, batch_size=batch_size, stride=stride)
        return [[(e["start"], e["end"], e["entity_group"]) for e in entities] for entities in found]

    return pipe.model, call


def run_forward(hf_dir, batch_size, stride):
    """`(model, call)`: the call to time gives each window's argmax tags."""
    tokenizer = transformers.AutoTokenizer.from_pretrained(hf_dir)
    model = transformers.BertForTokenClassification.from_pretrained(hf_dir).eval()

    def call(part):
        windows = tokenizer(
            part,
            truncation=True,
            max_length=tokenizer.model_max_length,
            stride=stride,
            return_overflowing_tokens=True,
        )["input_ids"]
        order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
        tags = [None] * len(windows)
        with torch.inference_mode():
            for k in range(0, len(order), batch_size):
                rows = order[k : k + batch_size]
                ids = np.zeros((len(rows), max(len(windows[i]) for i in rows)), np.int64)
                for r, i in enumerate(rows):
                    ids[r, : len(windows[i])] = windows[i]
                ids = torch.from_numpy(ids)
                logits = model(input_ids=ids, attention_mask=(ids != 0).long()).logits
                best = logits.argmax(-1).numpy()
                for r, i in enumerate(rows):
                    tags[i] = best[r, : len(windows[i])]
        return tags

    return model, call


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--prepared", required=True, help="the folder predict_prepare.py wrote")
    p.add_argument("--corpus", choices=prediction.CORPORA, default="sentences")
    p.add_argument("--mode", choices=("pipeline", "forward"), required=True)
    p.add_argument("--batch-size", type=int, default=32, help="texts (pipeline) or windows")
    p.add_argument("--stride", type=int, default=32, help="tokens shared by a text's windows")
    p.add_argument("--warmup", type=int, default=8, help="texts run before timing")
    args = p.parse_args()
    texts = prediction.read_texts(prediction.corpus_file(args.prepared, args.corpus))
    hf_dir = f"{args.prepared}/{prediction.HF_DIR}"
    make = run_pipeline if args.mode == "pipeline" else run_forward
    model, call = make(hf_dir, args.batch_size, args.stride)
    call(texts[: args.warmup])
    shapes = record_shapes(model)
    result, seconds, cpu_s = prediction.timed(lambda: call(texts))
    fields = {}
    if args.mode == "pipeline":
        fields = {
            "entities": sum(map(len, result)),
            "spans_digest": prediction.spans_digest(result),
        }
    prediction.emit(
        prediction.record(
            f"hf-{args.mode}",
            args.corpus,
            texts,
            seconds,
            batch=args.batch_size,
            cpu_s=cpu_s,
            batch_shapes=shapes,
            intra_op_threads=torch.get_num_threads(),
            framework_version=f"torch {torch.__version__}, transformers {transformers.__version__}",
            **fields,
        )
    )


if __name__ == "__main__":
    main()
