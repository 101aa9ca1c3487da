"""The Hugging Face peers of prediction, on its copy of the model (`hf/`): PyTorch and
ONNX Runtime.

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
the argmax read back as numpy; no decoding to spans. `onnx`, `onnx-optimized`,
`onnx-int8`: the same windows and batches run by ONNX Runtime on the graphs of
`hf_onnx.py` (written by `predict_prepare.py --onnx`), argmax as numpy. Each times from
the list of texts to their results, after a warm-up on `--warmup` texts, with PyTorch's
default threads (ONNX Runtime: its default, the physical cores).
"""

import argparse
import os

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import hf_onnx  # noqa: E402
import hf_windows  # noqa: E402
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


def windows_call(tokenizer, forward, batch_size, stride, shapes):
    """The call to time: each text's windows (the fast tokenizer's, `stride` tokens
    shared), sorted by length, run by `forward` (int64 ids [rows, length] -> tag scores)
    in batches of `batch_size` padded to their longest row; gives each window's argmax
    tags. Appends every batch's `[rows, length]` to `shapes`."""

    def call(part):
        windows = hf_windows.windows(tokenizer, part, stride)["input_ids"]
        order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
        tags = [None] * len(windows)
        for k in range(0, len(order), batch_size):
            rows = order[k : k + batch_size]
            ids = hf_windows.padded([windows[i] for i in rows])
            shapes.append(list(ids.shape))
            best = forward(ids).argmax(-1)
            for r, i in enumerate(rows):
                tags[i] = best[r, : len(windows[i])]
        return tags

    return call


def torch_forward(hf_dir):
    """`BertForTokenClassification` in eval mode under `torch.inference_mode()`."""
    model = transformers.BertForTokenClassification.from_pretrained(hf_dir).eval()

    def forward(ids):
        with torch.inference_mode():
            ids = torch.from_numpy(ids)
            return model(input_ids=ids, attention_mask=(ids != 0).long()).logits.numpy()

    return forward


def onnx_forward(hf_dir, graph):
    """One of `hf_onnx.GRAPHS` run by ONNX Runtime, its threads those of PyTorch's
    default (`OMP_NUM_THREADS` where the driver sets it)."""
    session = hf_onnx.session(f"{hf_dir}/{hf_onnx.GRAPHS[graph]}", prediction.onnx_threads())
    return lambda ids: hf_onnx.logits(session, ids)


def framework_version(mode):
    version = f"torch {torch.__version__}, transformers {transformers.__version__}"
    if mode in hf_onnx.GRAPHS:
        import onnxruntime

        version += f", onnxruntime {onnxruntime.__version__}"
    return version


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--prepared", required=True, help="the folder predict_prepare.py wrote")
    p.add_argument("--corpus", choices=prediction.CORPORA, default="sentences")
    p.add_argument("--mode", choices=("pipeline", "forward", *hf_onnx.GRAPHS), required=True)
    p.add_argument("--batch-size", type=int, default=32, help="texts (pipeline) or windows")
    p.add_argument("--stride", type=int, default=32, help="tokens shared by a text's windows")
    p.add_argument("--warmup", type=int, default=8, help="texts run before timing")
    args = p.parse_args()
    texts = prediction.read_texts(prediction.corpus_file(args.prepared, args.corpus))
    hf_dir = f"{args.prepared}/{prediction.HF_DIR}"
    if args.mode == "pipeline":
        model, call = run_pipeline(hf_dir, args.batch_size, args.stride)
        call(texts[: args.warmup])
        shapes = record_shapes(model)
    else:
        if args.mode == "forward":
            forward = torch_forward(hf_dir)
        else:
            forward = onnx_forward(hf_dir, args.mode)
        shapes = []
        tokenizer = transformers.AutoTokenizer.from_pretrained(hf_dir)
        call = windows_call(tokenizer, forward, args.batch_size, args.stride, shapes)
        call(texts[: args.warmup])
        shapes.clear()
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
            intra_op_threads=(
                torch.get_num_threads()
                if args.mode in ("pipeline", "forward")
                else prediction.onnx_threads() or "onnxruntime default"
            ),
            framework_version=framework_version(args.mode),
            **fields,
        )
    )


if __name__ == "__main__":
    main()
