"""`tf-ner predict` as a whole process (start-up included), or TensorFlow's import alone.

    python benchmarks/peers/predict_process_runner.py --what predict --model runs/demo_msra_crf \
        --input /tmp/predict/sentences.txt --batch-size 64
    python benchmarks/peers/predict_process_runner.py --what predict --model runs/demo_msra_crf \
        --input /tmp/predict/sentences.txt --runtime onnx
    python benchmarks/peers/predict_process_runner.py --what import-tensorflow

Runs the command in a child process and times it from start to exit: `python -m
tf_ner.cli predict --model M --input F --output O --format lines --runtime R` (what the
`tf-ner` console script runs), or `python -c "import tensorflow"`. Records the child's
wall and CPU seconds and its peak resident memory; for `predict`, also the entities
it wrote and their digest (the same as the in-process runner's when nothing differs).
"""

import argparse
import json
import pathlib
import resource
import subprocess
import sys
import tempfile

import prediction


def run_child(command):
    """`(wall seconds, CPU seconds, peak RSS MB)` of `command` in a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    _, seconds, _ = prediction.timed(lambda: subprocess.run(command, check=True))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return seconds, cpu, after.ru_maxrss / 1024  # Linux: kilobytes


def read_spans(path):
    records = [json.loads(line) for line in pathlib.Path(path).read_text("utf-8").splitlines()]
    return [[(e["start"], e["end"], e["type"]) for e in r["entities"]] for r in records]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--what", choices=("predict", "import-tensorflow"), required=True)
    p.add_argument("--model", help="a tf_ner NER model folder (predict)")
    p.add_argument("--input", help="one text per line (predict)")
    p.add_argument("--corpus", default="", help="the corpus's name, for the record")
    p.add_argument("--batch-size", type=int, default=None, help="--batch-size of tf-ner predict")
    p.add_argument("--runtime", default="tensorflow", help="--runtime of tf-ner predict")
    args = p.parse_args()
    if args.what == "import-tensorflow":
        seconds, cpu, rss = run_child([sys.executable, "-c", "import tensorflow"])
        prediction.emit(prediction.record("import-tensorflow", "", [], seconds, cpu_s=cpu,
                                          child_peak_rss_mb=rss))  # fmt: skip
        return
    if not (args.model and args.input):
        raise SystemExit("--what predict needs --model and --input")
    texts = prediction.read_texts(args.input)
    with tempfile.TemporaryDirectory() as folder:
        output = pathlib.Path(folder) / "predictions.jsonl"
        command = [sys.executable, "-m", "tf_ner.cli", "predict", "--model", args.model,
                   "--input", args.input, "--output", str(output), "--format", "lines",
                   "--runtime", args.runtime]  # fmt: skip
        if args.batch_size:
            command += ["--batch-size", str(args.batch_size)]
        seconds, cpu, rss = run_child(command)
        spans = read_spans(output)
    if len(spans) != len(texts):
        raise SystemExit(f"tf-ner predict wrote {len(spans)} records for {len(texts)} texts")
    prediction.emit(
        prediction.record(
            "tf-ner-predict",
            args.corpus,
            texts,
            seconds,
            batch=args.batch_size,
            cpu_s=cpu,
            child_peak_rss_mb=rss,
            entities=sum(map(len, spans)),
            spans_digest=prediction.spans_digest(spans),
        )
    )


if __name__ == "__main__":
    main()
