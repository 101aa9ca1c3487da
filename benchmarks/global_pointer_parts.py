"""Where GlobalPointer's inference time goes, and what compiling its tail with XLA buys.

One process, the mini shape of `throughput.py` (32 rows x 128 tokens, hidden 256; 3
types, head size 64, mask with a tenth of the positions off). Each variant is timed in
turn, the order rotated every round; the figures are medians over the rounds with the
least and the most (`benchmarks/rounds.py`). Every output is read back to numpy, as
`predict_on_batch` does.

- `encoder + dense`: the Dense floor of `throughput.py` (`peers/ours_runner.py`, head
  `dense`), `predict_on_batch`: the step the heads are measured against;
- `dense head`: that floor's head alone, a `Dense` of 7 tags on the encoder's output;
- `globalpointer head`: `tf_ner.layers.GlobalPointer` as shipped (projection, RoPE,
  scores, masks, each a TensorFlow op);
- `projection`: its `Dense` of 3 types x 2 x 64 alone;
- `globalpointer head, tail under XLA`: the shipped projection, then RoPE, scores and
  masks in one `tf.function(jit_compile=True)`;
- `globalpointer head, all under XLA`: the whole head in one.

The implied ratio of a GlobalPointer variant is the floor's step over the floor's step
with its head swapped: `floor / (floor - dense head + variant)`.

    python benchmarks/global_pointer_parts.py --rounds 5
"""

import argparse
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks" / "peers"))

import harness  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import ours_runner  # noqa: E402
import tensorflow as tf  # noqa: E402

from benchmarks import rounds  # noqa: E402
from benchmarks.results_file import RESULTS, write_results  # noqa: E402
from tf_ner.layers import GlobalPointer  # noqa: E402

FLOOR = "encoder + dense"
XLA_VARIANTS = ("globalpointer head, tail under XLA", "globalpointer head, all under XLA")


def variants(seed):
    """`{name: step}`, each step a callable returning what it computed."""
    shape = harness.SHAPES["mini"]
    features, _ = ours_runner.batch_for(shape, "dense", seed)
    floor = ours_runner.build(shape, "dense", xla=False, seed=seed, compile_update=True)
    hidden = keras.random.normal((shape["batch"], shape["length"], shape["hidden"]), seed=seed)
    mask = tf.cast(keras.random.uniform(hidden.shape[:2], seed=seed) < 0.9, tf.int32)
    dense = keras.layers.Dense(harness.NUM_TAGS)
    pointer = GlobalPointer(harness.NUM_TYPES)
    dense(hidden), pointer(hidden, mask=mask)

    def tail(projected):
        return pointer._mask_scores(pointer._scores_of_projection(projected), mask)

    compiled_tail = tf.function(tail, jit_compile=True)
    return {
        FLOOR: lambda: floor.predict_on_batch(features),
        "dense head": tf.function(lambda: dense(hidden)),
        "globalpointer head": tf.function(lambda: pointer(hidden, mask=mask)),
        "projection": tf.function(lambda: pointer.query_key_dense(hidden)),
        "globalpointer head, tail under XLA": tf.function(
            lambda: compiled_tail(pointer.query_key_dense(hidden))
        ),
        "globalpointer head, all under XLA": tf.function(
            lambda: tail(pointer.query_key_dense(hidden)), jit_compile=True
        ),
    }


def milliseconds(step, repeats):
    """Median ms of `repeats` calls of `step`, its output read back each time."""
    return 1e3 * harness.time_steps(lambda: np.asarray(step()), repeats, warmup=0)["median_s"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=rounds.DEFAULT_ROUNDS)
    parser.add_argument("--repeats", type=int, default=40, help="timed calls a round")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=str(RESULTS / "global_pointer_parts"))
    args = parser.parse_args()
    steps = variants(args.seed)
    shipped = np.asarray(steps["globalpointer head"]())
    difference = max(
        float(np.max(np.abs(np.asarray(steps[name]()) - shipped))) for name in XLA_VARIANTS
    )
    for step in steps.values():  # traced, compiled and warm before any timing
        for _ in range(3):
            np.asarray(step())
    measured = {name: [] for name in steps}
    for index in range(args.rounds):
        for name in rounds.round_order(list(steps), index):
            measured[name].append(milliseconds(steps[name], args.repeats))
    results = {name: rounds.spread(values) for name, values in measured.items()}
    floor, dense_head = results[FLOOR]["median"], results["dense head"]["median"]
    lines = [
        f"GlobalPointer's inference time by part, mini shape (32 x 128, hidden 256), "
        f"{args.rounds} interleaved rounds of {args.repeats} calls, ms a step: median "
        f"(min-max); {os.cpu_count()} CPU cores. The XLA variants' logits differ from the "
        f"shipped layer's by at most {difference:.1e}.",
        "",
        "| part | ms a step | implied ratio to the Dense floor |",
        "|---|--:|--:|",
    ]
    for name, spread in results.items():
        ratio = ""
        if name.startswith("globalpointer head"):
            ratio = f"{floor / (floor - dense_head + spread['median']):.3f}"
        lines.append(
            f"| {name} | {spread['median']:.2f} ({spread['min']:.2f}-{spread['max']:.2f}) "
            f"| {ratio} |"
        )
    results["max_abs_difference_xla"] = difference
    write_results(lines, results, "benchmarks/global_pointer_parts.py", args.output)


if __name__ == "__main__":
    main()
