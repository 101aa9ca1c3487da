"""ONNX: a trained model's forward pass converted to an ONNX graph (`convert_to_onnx`),
and that graph run by ONNX Runtime in place of the Keras model (`OnnxModel`).

The graph is the model's inference call, `model(features, training=False)`: inputs
`token_ids` and `segment_ids` int32 `[batch, length]` ([CLS] ... [SEP], 0-padded), the
outputs the model's own (a CRF's Viterbi tags included; the tf2onnx converter writes
its loop as an ONNX `Loop`). The predictors decode them as they decode TensorFlow's, so
the same code turns either into spans or labels.

The converter (`tf2onnx`) and the runtime (`onnxruntime`) are optional: each is
imported by the function that needs it, and so is TensorFlow, which only the converter
needs: an `OnnxModel` runs without it.
"""

import hashlib
import importlib

import numpy as np

from tf_ner.ground.errors import InputError

INPUTS = ("token_ids", "segment_ids")
# ONNX Runtime's graph rewrites left out when it loads a graph. MatMulAddFusion turns
# each 2-D `MatMul` + bias `Add` of the encoder's Dense layers (the encoder computes
# them on `[batch * length, hidden]`, as Google's BERT does) into one `Gemm`; without it
# the same graph ran 1.08x (sentences) and 1.10x (documents) as fast, level with Hugging
# Face's own export of the same weights, whose 3-D MatMuls the rewrite leaves alone
# (onnxruntime 1.32, AMD EPYC with AVX2, 2 cores;
# `benchmarks/results/onnx_graph_rewrites_amd.md`).
DISABLED_REWRITES = ("MatMulAddFusion",)
# Opset 17: ONNX Runtime 1.14 and later run it.
OPSET = 17
# Metadata keys of the exported graph.
STRUCTURE_KEY = "tf_ner.outputs"  # "dict": named outputs; "tensor": one, named OUTPUT
SOURCE_KEY = "tf_ner.model_sha256"  # the model.keras it was converted from
OUTPUT = "outputs"


def _optional(module):
    try:
        return importlib.import_module(module)
    except ImportError:
        raise InputError(
            f"ONNX needs the optional package {module}: pip install onnx onnxruntime tf2onnx"
        ) from None


def file_sha256(path):
    """The hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _undo_rewrites_that_block_fusion(proto):
    """Rewrites two of tf2onnx's substitutions back, in place, so that ONNX Runtime
    fuses each LayerNorm and GELU of the encoder into one kernel (its LayerNormFusion
    and GeluFusion match `ReduceMean` and a `Div` before `Erf`):

    - `GlobalAveragePool` of a rank-3 tensor (tf2onnx's form of a mean over the last
      axis) becomes `ReduceMean` over axis 2, keepdims: the same values;
    - `Mul` by a constant `c` whose product feeds `Erf` (TensorFlow's constant folding
      of `x / √2`) becomes `Div` by `1 / c`: the same values to float32 rounding.
    """
    from onnx import helper, numpy_helper, shape_inference

    graph = proto.graph
    inferred = shape_inference.infer_shapes(proto).graph
    ranks = {
        value.name: len(value.type.tensor_type.shape.dim)
        for value in [*inferred.value_info, *inferred.input]
        if value.type.tensor_type.HasField("shape")
    }
    constants = {tensor.name: tensor for tensor in graph.initializer}
    erf_inputs = {node.input[0] for node in graph.node if node.op_type == "Erf"}
    for index, node in enumerate(graph.node):
        if node.op_type == "GlobalAveragePool" and ranks.get(node.input[0]) == 3:
            replacement = helper.make_node(
                "ReduceMean", node.input, node.output, name=node.name, axes=[2], keepdims=1
            )
        elif (
            node.op_type == "Mul"
            and node.output[0] in erf_inputs
            and sum(name in constants for name in node.input) == 1
        ):
            factor, x = sorted(node.input, key=lambda name: name not in constants)
            divisor = 1.0 / numpy_helper.to_array(constants[factor])
            name = f"{node.name}/divisor"
            graph.initializer.append(numpy_helper.from_array(divisor.astype(np.float32), name))
            replacement = helper.make_node("Div", [x, name], node.output, name=node.name)
        else:
            continue
        graph.node.remove(node)
        graph.node.insert(index, replacement)
    used = {name for node in graph.node for name in node.input}
    used |= {output.name for output in graph.output}
    for tensor in [tensor for tensor in graph.initializer if tensor.name not in used]:
        graph.initializer.remove(tensor)  # the factors replaced by divisors


def convert_to_onnx(model, path, source_sha256):
    """Writes `model`'s inference call as an ONNX graph at `path`.

    Args:
        model: the Keras model of a model folder (`tf_ner.tasks.folder.load_model`).
        path: the `.onnx` file to write.
        source_sha256: the `model.keras` it came from, kept in the graph's metadata so
            that a stale export is refused at load.
    """
    import tensorflow as tf

    tf2onnx = _optional("tf2onnx")
    spec = [tf.TensorSpec([None, None], tf.int32, name=name) for name in INPUTS]

    single = []  # set while tracing: whether the model returns one tensor

    def call(token_ids, segment_ids):
        outputs = model({"token_ids": token_ids, "segment_ids": segment_ids}, training=False)
        single.append(not isinstance(outputs, dict))
        return {OUTPUT: outputs} if single[-1] else outputs

    function = tf.function(call, input_signature=spec, autograph=False)
    function.get_concrete_function()
    proto, _ = tf2onnx.convert.from_function(function, input_signature=spec, opset=OPSET)
    _undo_rewrites_that_block_fusion(proto)
    structure = "tensor" if single[-1] else "dict"
    for key, value in ((STRUCTURE_KEY, structure), (SOURCE_KEY, source_sha256)):
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    with open(path, "wb") as f:
        f.write(proto.SerializeToString())


def quantize_int8(float_path, path):
    """Writes the graph at `float_path` with dynamic int8 quantisation (ONNX Runtime's
    `quantize_dynamic`) at `path`: the weights of its matrix products stored as int8,
    one scale per tensor, and their inputs quantised per call from their own range; the
    rest stays float32. tf_ner's metadata is kept. Its outputs are not the float
    graph's: what it costs in F1 is measured in `benchmarks/predict_throughput.py`."""
    quantization = _optional("onnxruntime.quantization")
    onnx = _optional("onnx")
    # ONNX Runtime's quantizer needs the type of every tensor it rewrites; its shape
    # inference stops at the CRF's Loop, so tensors it could not type are float32.
    quantization.quantize_dynamic(
        str(float_path),
        str(path),
        weight_type=quantization.QuantType.QInt8,
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )


def inference_session(path, threads=None, optimized_path=None):
    """ONNX Runtime's CPU session of the graph at `path`, its graph rewrites all but
    `DISABLED_REWRITES`.

    Args:
        path: the `.onnx` file.
        threads: intra-op threads; None: ONNX Runtime's default (the cores).
        optimized_path: optional file where ONNX Runtime writes the graph it runs.
    """
    onnxruntime = _optional("onnxruntime")
    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    if optimized_path is not None:
        options.optimized_model_filepath = str(optimized_path)
    return onnxruntime.InferenceSession(
        str(path),
        options,
        providers=["CPUExecutionProvider"],
        disabled_optimizers=list(DISABLED_REWRITES),
    )


class OnnxModel:
    """An exported graph run by ONNX Runtime, called like the model it came from:
    `features` (`{"token_ids", "segment_ids"}` int32 numpy `[batch, L]`) -> the model's
    outputs as numpy arrays (a dict of them, or one array).

    Args:
        path: the `.onnx` file (`convert_to_onnx`).
        source: the `model.keras` it must have been converted from, where there is one:
            a graph converted from another is refused; None (a serving folder that holds
            the graph alone) checks nothing.
        threads: ONNX Runtime's intra-op threads; None: its default (the cores).

    Attributes:
        batch_size: windows (classification: texts) per batch when a prediction call
            names none. 32, not TensorFlow's 64: on ONNX Runtime a mini encoder's NER
            predictions ran faster end to end in batches of 32 than of 64 (medians of
            554 against 493 texts/s on sentences, 6.8 against 6.6 on documents; AMD
            EPYC, 2 cores; `benchmarks/results/predict_throughput_onnx_batch_amd.md`).

    Raises:
        InputError: a graph without tf_ner's metadata, or converted from another model.
    """

    batch_size = 32

    def __init__(self, path, source, threads=None):
        self.path = path
        self.session = inference_session(path, threads)
        metadata = self.session.get_modelmeta().custom_metadata_map
        if STRUCTURE_KEY not in metadata:
            raise InputError(f"{path}: not written by tf-ner export (no {STRUCTURE_KEY})")
        if source is not None and metadata.get(SOURCE_KEY) != file_sha256(source):
            raise InputError(
                f"{path} was exported from another {source.name}: run tf-ner export again"
            )
        self.names = [output.name for output in self.session.get_outputs()]
        self.single = metadata[STRUCTURE_KEY] == "tensor"

    def __call__(self, features):
        feed = {name: np.asarray(features[name], np.int32) for name in INPUTS}
        values = self.session.run(self.names, feed)
        return values[0] if self.single else dict(zip(self.names, values, strict=True))
