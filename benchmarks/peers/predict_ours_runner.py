"""tf_ner's `Recognizer.predict` in-process: raw texts to character spans with scores.

    python benchmarks/peers/predict_ours_runner.py --model runs/demo_msra_crf \
        --prepared /tmp/predict --corpus sentences --batch-size 64

Loads the model folder (`tf_ner.load` with `--runtime`, timed; ONNX Runtime's threads
`OMP_NUM_THREADS` where the driver sets it), predicts `--warmup` texts once (the
first call traces the forward function), then times `predict` over the whole corpus:
tokenisation, windows, the model (the CRF's Viterbi included), decoding to spans with
their scores, and merging the windows of long texts. Windows are the model's (sentence
cuts where its settings have them; `--overlapping-windows` turns them off). After
timing, it records the shape of every batch the prediction ran
(`make_prediction_batches`) for the FLOP count. On ONNX Runtime the process imports no
TensorFlow, as a server's would not.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import prediction  # noqa: E402


def batch_shapes(recognizer, texts, batch_size):
    """`[rows, length]` of every batch `predict` runs over `texts`."""
    from tf_ner.data.prediction_batches import make_prediction_batches

    s = recognizer.settings
    batches = make_prediction_batches(
        texts, recognizer.tokenizer, s.max_length, s.stride, batch_size,
        sentence_cuts=s.sentence_cuts,
    )  # fmt: skip
    return [list(features["token_ids"].shape) for features in batches]


def measure(model_dir, texts, corpus, batch_size, warmup, runtime, overlapping=False):
    """The record of one timed `Recognizer.predict` over `texts`."""
    import tf_ner

    recognizer, load_s, _ = prediction.timed(
        lambda: tf_ner.load(model_dir, runtime=runtime, threads=prediction.onnx_threads())
    )
    if overlapping:
        prediction.overlapping_windows(recognizer)
    batch_size = recognizer.resolved_batch_size(batch_size)
    _, first_s, _ = prediction.timed(lambda: recognizer.predict(texts[:warmup], batch_size))
    predictions, seconds, cpu_s = prediction.timed(lambda: recognizer.predict(texts, batch_size))
    spans = [[(e["start"], e["end"], e["type"]) for e in found] for found in predictions]
    return prediction.record(
        "ours" if runtime == "tensorflow" else f"ours-{runtime}",
        corpus,
        texts,
        seconds,
        batch=batch_size,
        cpu_s=cpu_s,
        load_s=load_s,
        first_call_s=first_s,
        entities=sum(map(len, spans)),
        sentence_cuts=recognizer.settings.sentence_cuts,
        spans_digest=prediction.spans_digest(spans),
        batch_shapes=batch_shapes(recognizer, texts, batch_size),
        **framework(runtime),
    )


def framework(runtime):
    """The runtime's version and intra-op threads (imported only for these, after
    timing: TensorFlow is already loaded when it ran the model)."""
    if runtime == "tensorflow":
        import tensorflow as tf

        threads = tf.config.threading.get_intra_op_parallelism_threads() or os.cpu_count()
        return {"intra_op_threads": threads, "framework_version": f"tensorflow {tf.__version__}"}
    import onnxruntime

    return {
        "intra_op_threads": prediction.onnx_threads() or "onnxruntime default",
        "framework_version": f"onnxruntime {onnxruntime.__version__}",
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, help="a tf_ner NER model folder")
    p.add_argument("--prepared", required=True, help="the folder predict_prepare.py wrote")
    p.add_argument("--corpus", choices=prediction.CORPORA, default="sentences")
    p.add_argument(
        "--batch-size", type=int, default=None,
        help="windows per batch (default: the runtime's, Predictor.default_batch_size)",
    )  # fmt: skip
    p.add_argument("--warmup", type=int, default=8, help="texts predicted before timing")
    p.add_argument(
        "--runtime", default="tensorflow", choices=("tensorflow", "onnx", "onnx-int8"),
        help="tf_ner.load's runtime (onnx: the folder's export, predict_prepare.py --onnx)",
    )  # fmt: skip
    p.add_argument(
        "--overlapping-windows", action="store_true",
        help="sentence cuts off: long texts' windows overlap by the stride everywhere",
    )  # fmt: skip
    args = p.parse_args()
    texts = prediction.read_texts(prediction.corpus_file(args.prepared, args.corpus))
    prediction.emit(
        measure(
            args.model, texts, args.corpus, args.batch_size, args.warmup, args.runtime,
            args.overlapping_windows,
        )  # fmt: skip
    )


if __name__ == "__main__":
    main()
