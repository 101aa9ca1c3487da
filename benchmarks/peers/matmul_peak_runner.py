"""The machine's float32 matrix-multiply rate in one framework: the roofline of a run.

    python benchmarks/peers/matmul_peak_runner.py --framework tensorflow --threads 0

Multiplies two random `n x n` float32 matrices (`--n`, default 2048: 2 n^3 = 17.2
GFLOP per product) `--repeats` times after a warm-up and prints one JSON line:
the best and median GFLOP/s. The best is the peak the other runners are measured
against (the encoder's matmuls can at most reach it); threads as in the runners
(`--threads 0`: the framework's default).
"""

import argparse
import json
import os
import statistics
import time

import numpy as np


def time_products(multiply, repeats):
    multiply()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        multiply()
        times.append(time.perf_counter() - start)
    return times


def tensorflow_products(n, threads):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    rng = np.random.default_rng(0)
    a = tf.constant(rng.standard_normal((n, n), dtype=np.float32))
    b = tf.constant(rng.standard_normal((n, n), dtype=np.float32))
    product = tf.function(lambda: tf.reduce_sum(tf.matmul(a, b)))
    return lambda: float(product()), tf.__version__


def torch_products(n, threads):
    import torch

    if threads:
        torch.set_num_threads(threads)
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=generator)
    b = torch.randn(n, n, generator=generator)

    def multiply():
        with torch.inference_mode():
            return float(torch.mm(a, b).sum())

    return multiply, torch.__version__


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--framework", choices=("tensorflow", "torch"), required=True)
    p.add_argument("--n", type=int, default=2048, help="matrix size")
    p.add_argument("--repeats", type=int, default=10, help="timed products")
    p.add_argument("--threads", type=int, default=0, help="intra-op threads (0: default)")
    args = p.parse_args()
    make = tensorflow_products if args.framework == "tensorflow" else torch_products
    multiply, version = make(args.n, args.threads)
    times = time_products(multiply, args.repeats)
    flops = 2 * args.n**3
    print(
        json.dumps(
            {
                "runner": f"matmul-{args.framework}",
                "framework_version": version,
                "n": args.n,
                "threads": args.threads,
                "peak_gflops": flops / min(times) / 1e9,
                "median_gflops": flops / statistics.median(times) / 1e9,
                "load_average": os.getloadavg(),
            }
        )
    )


if __name__ == "__main__":
    main()
