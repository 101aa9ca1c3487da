"""Hugging Face `BertForTokenClassification` (PyTorch) on fixed shapes, the reference peer.

One training step: `model(..., labels=...)` (token cross-entropy), `loss.backward()`,
`torch.optim.AdamW.step()`, `zero_grad`. One inference step: the forward pass under
`torch.inference_mode()` in eval mode, logits read back as numpy. Random init, the
library's default attention implementation, PyTorch's default threads.

    python benchmarks/peers/hf_runner.py --size mini
"""

import os

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import harness  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402


def build(shape, seed):
    torch.manual_seed(seed)
    config = transformers.BertConfig(
        **harness.bert_config_fields(shape), num_labels=harness.NUM_TAGS
    )
    return transformers.BertForTokenClassification(config)


def main():
    args = harness.parser(__doc__.splitlines()[0]).parse_args()
    shape = harness.resolve(args)
    if args.threads:
        torch.set_num_threads(args.threads)
    data = harness.random_batch(shape, args.seed)
    input_ids = torch.from_numpy(data["token_ids"]).long()
    token_type_ids = torch.from_numpy(data["segment_ids"]).long()
    attention_mask = torch.ones_like(input_ids)
    labels = torch.from_numpy(data["tags"]).long()
    model = build(shape, args.seed)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=harness.LEARNING_RATE, weight_decay=harness.WEIGHT_DECAY
    )

    def train_step():
        model.train()
        loss = model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            labels=labels,
        ).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        loss.item()

    def infer_step():
        model.eval()
        with torch.inference_mode():
            model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).logits.numpy()

    record = harness.base_record(
        "hf",
        shape,
        framework="Hugging Face transformers (PyTorch)",
        head="softmax",
        optimizer="torch.optim.AdamW",
        params=harness.count_parameters(model.parameters()),
        attention=getattr(model.config, "_attn_implementation", None),
        versions={"torch": torch.__version__, "transformers": transformers.__version__},
        threads={"intra_op": torch.get_num_threads()},
    )
    record.update(harness.measure(shape, train_step, infer_step))
    harness.emit(record)


if __name__ == "__main__":
    main()
