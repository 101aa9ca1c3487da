"""PyTorch's AdamW update and gradient clipping on a BERT encoder's parameter shapes.

Times `torch.optim.AdamW.step()` (its default multi-tensor `foreach` path, then one
tensor at a time) and `torch.nn.utils.clip_grad_norm_` over parameters shaped as
`harness.bert_variable_shapes`, each with a fixed random gradient; prints one JSON line
per measurement (median and minimum seconds over `--steps` calls, after two untimed).
`benchmarks/optimizer_step.py --torch` runs it beside tf_ner's optimizers.

    python benchmarks/peers/torch_adamw_runner.py --layers 4 --hidden 256 \\
        --intermediate 1024 --vocab 5305 --steps 20
"""

import argparse
import json

import harness
import torch


def timed(call, steps):
    """`harness.time_steps` after two untimed calls, with the least time beside the median."""
    found = harness.time_steps(call, steps, warmup=2)
    return {"median_s": found["median_s"], "min_s": min(found["step_s"]), "steps": steps}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--layers", type=int, default=12, help="encoder layers")
    p.add_argument("--hidden", type=int, default=768, help="hidden size")
    p.add_argument("--intermediate", type=int, default=3072, help="feed-forward size")
    p.add_argument("--vocab", type=int, default=21128, help="vocabulary")
    p.add_argument("--steps", type=int, default=10, help="timed calls per measurement")
    args = p.parse_args()
    shapes = harness.bert_variable_shapes(
        args.layers, args.hidden, args.intermediate, args.vocab, 512
    )
    generator = torch.Generator().manual_seed(0)
    parameters = []
    for shape in shapes.values():
        parameter = torch.nn.Parameter(torch.randn(shape, generator=generator) * 0.02)
        parameter.grad = torch.randn(shape, generator=generator) * 1e-3
        parameters.append(parameter)
    for name, foreach in (("torch AdamW (foreach)", True), ("torch AdamW (per tensor)", False)):
        optimizer = torch.optim.AdamW(parameters, lr=2e-5, weight_decay=0.01, foreach=foreach)
        record = timed(optimizer.step, args.steps)
        print(json.dumps({"runner": name, "torch": torch.__version__, **record}), flush=True)
    record = timed(lambda: torch.nn.utils.clip_grad_norm_(parameters, 1.0), args.steps)
    print(json.dumps({"runner": "torch clip_grad_norm_", **record}), flush=True)


if __name__ == "__main__":
    main()
