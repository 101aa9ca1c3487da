"""The Hugging Face model as users serve it on CPU: exported to ONNX, run by ONNX Runtime.

`export_hf_onnx` writes three graphs beside the Hugging Face folder's weights:

    model.onnx            `torch.onnx.export` (TorchScript exporter, opset 17) of
                          `BertForTokenClassification` loaded with eager attention: inputs
                          `input_ids`, `attention_mask` int64 [batch, length], output
                          `logits`; batch and length dynamic
    model_optimized.onnx  ONNX Runtime's transformer optimizer (`optimize_model`,
                          model_type "bert"): embeddings + LayerNorm, attention, bias +
                          GELU and residual + LayerNorm fused into single kernels, as
                          Hugging Face Optimum's ORTOptimizer does
    model_int8.onnx       the optimized graph with ONNX Runtime's dynamic int8
                          quantisation (`quantize_dynamic`, int8 weights)

Eager attention: the SDPA attention that transformers 5 loads by default exports to a
graph whose attention ONNX Runtime's optimizer does not recognise (0 attention fusions,
tried); with eager attention every layer's is fused.
"""

import pathlib

import numpy as np

GRAPHS = {"onnx": "model.onnx", "onnx-optimized": "model_optimized.onnx",
          "onnx-int8": "model_int8.onnx"}  # fmt: skip
OPSET = 17


def session(path, threads=None):
    """An ONNX Runtime CPU session; `threads` intra-op threads (None: its default)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def logits(graph, ids):
    """The graph's tag scores of int64 `ids` [batch, length] (0: padding)."""
    feed = {"input_ids": ids, "attention_mask": (ids != 0).astype(np.int64)}
    return graph.run(["logits"], feed)[0]


def export_hf_onnx(hf_dir, check_ids):
    """Writes the three graphs into `hf_dir`.

    Args:
        hf_dir: a `BertForTokenClassification` folder.
        check_ids: int64 token ids [batch, length] on which the float graphs' scores are
            compared with PyTorch's.

    Returns:
        `{"fused": {operator: count}, "largest_score_difference": {graph: float},
        "largest_score": float}`; `largest_score`: the largest magnitude of PyTorch's
        scores on the real tokens of `check_ids`, the scale of the differences.
    """
    import onnx
    import torch
    import transformers
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer

    hf_dir = pathlib.Path(hf_dir)
    paths = {name: hf_dir / file for name, file in GRAPHS.items()}
    model = transformers.BertForTokenClassification.from_pretrained(
        hf_dir, attn_implementation="eager"
    ).eval()
    example = torch.ones((2, 8), dtype=torch.long)
    dynamic = {0: "batch", 1: "length"}
    torch.onnx.export(
        model,
        (example, torch.ones_like(example)),
        str(paths["onnx"]),
        input_names=["input_ids", "attention_mask"],
        output_names=["logits"],
        dynamic_axes={"input_ids": dynamic, "attention_mask": dynamic, "logits": dynamic},
        opset_version=OPSET,
        dynamo=False,
    )
    config = model.config
    optimized = optimizer.optimize_model(
        str(paths["onnx"]),
        model_type="bert",
        num_heads=config.num_attention_heads,
        hidden_size=config.hidden_size,
    )
    optimized.save_model_to_file(str(paths["onnx-optimized"]))
    quantize_dynamic(
        str(paths["onnx-optimized"]),
        str(paths["onnx-int8"]),
        weight_type=QuantType.QInt8,
        # The fused operators are outside the quantizer's shape inference.
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
    with torch.inference_mode():
        ids = torch.from_numpy(check_ids)
        expected = model(input_ids=ids, attention_mask=(ids != 0).long()).logits.numpy()
    real = check_ids != 0
    differences = {
        name: float(np.abs(logits(session(path), check_ids)[real] - expected[real]).max())
        for name, path in paths.items()
    }
    fused = {name: count for name, count in optimized.get_fused_operator_statistics().items()
             if count}  # fmt: skip
    largest = float(np.abs(expected[real]).max())
    return {"fused": fused, "largest_score_difference": differences, "largest_score": largest}
