"""Hugging Face `BertForTokenClassification` (PyTorch) on fixed shapes, the reference peer.

One training step: `model(..., labels=...)` (token cross-entropy), `loss.backward()`,
`torch.optim.AdamW.step()`, `zero_grad`. One inference step: the forward pass under
`torch.inference_mode()` in eval mode, logits read back as numpy. Random init, the
library's default attention implementation, PyTorch's default threads.

`--head mlm`: `BertForMaskedLM` on `harness.masked_batch`, labels -100 where nothing is
masked (as `DataCollatorForLanguageModeling` writes them): the model projects every
position onto the vocabulary and its loss reads the masked ones, as users run it.
`--head mlm-gathered`: the same model with the masked positions' states gathered before
its MLM head (`model.cls`), as Google's BERT and tf_ner do: the same work as ours.

`--bf16`: forward and loss under `torch.autocast("cpu", dtype=torch.bfloat16)` (float32
weights and optimizer, bfloat16 matmuls), PyTorch's mixed precision on CPU.

    python benchmarks/peers/hf_runner.py --size mini [--head mlm|mlm-gathered] [--bf16]
"""

import os

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import harness  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402

HEADS = ("softmax", "mlm", "mlm-gathered")


def build(shape, head, seed):
    torch.manual_seed(seed)
    config = transformers.BertConfig(
        **harness.bert_config_fields(shape), num_labels=harness.NUM_TAGS
    )
    if head.startswith("mlm"):
        return transformers.BertForMaskedLM(config)
    return transformers.BertForTokenClassification(config)


def main():
    p = harness.parser(__doc__.splitlines()[0], heads=HEADS, several=False)
    p.add_argument("--bf16", action="store_true", help="forward under torch.autocast bfloat16")
    args = p.parse_args()
    precision = torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16)
    shape = harness.resolve(args)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.head.startswith("mlm"):
        data = harness.masked_batch(shape, args.seed)
        labels = torch.from_numpy(data["token_labels"]).long()
        masked = labels != -100
    else:
        data = harness.random_batch(shape, args.seed)
        labels = torch.from_numpy(data["tags"]).long()
    input_ids = torch.from_numpy(data["token_ids"]).long()
    token_type_ids = torch.from_numpy(data["segment_ids"]).long()
    attention_mask = torch.ones_like(input_ids)
    model = build(shape, args.head, args.seed)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=harness.LEARNING_RATE, weight_decay=harness.WEIGHT_DECAY
    )

    inputs = dict(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)

    def gathered_loss():
        states = model.bert(**inputs).last_hidden_state
        logits = model.cls(states[masked])
        return torch.nn.functional.cross_entropy(logits, labels[masked])

    def train_step():
        model.train()
        with precision:
            if args.head == "mlm-gathered":
                loss = gathered_loss()
            else:
                loss = model(**inputs, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        loss.item()

    def infer_step():
        model.eval()
        with torch.inference_mode(), precision:
            model(**inputs).logits.float().numpy()

    record = harness.base_record(
        ("hf" if args.head == "softmax" else f"hf-{args.head}") + ("-bf16" if args.bf16 else ""),
        shape,
        framework="Hugging Face transformers (PyTorch)",
        head=args.head,
        optimizer="torch.optim.AdamW",
        precision="autocast bfloat16" if args.bf16 else "float32",
        params=harness.count_parameters(model.parameters()),
        attention=getattr(model.config, "_attn_implementation", None),
        versions={"torch": torch.__version__, "transformers": transformers.__version__},
        threads={"intra_op": torch.get_num_threads()},
    )
    record.update(harness.measure(shape, train_step, infer_step))
    harness.emit(record)


if __name__ == "__main__":
    main()
