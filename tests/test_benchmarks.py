"""The benchmark scripts run: every runner on tiny shapes for 2 steps, each in a fresh process.

Speed is never asserted here (see benchmarks/); only that each runner prints its JSON
line with the fields the drivers read, and that those are positive.
"""

import importlib
import importlib.util
import itertools
import json
import random
import shutil
import subprocess
import sys

import numpy as np
import pytest

from tests.helpers import REPO_ROOT, run_python
from tests.tasks.test_folder import FOLDERS

PEERS = REPO_ROOT / "benchmarks" / "peers"
TINY = ["--size", "tiny", "--steps", "2", "--warmup", "1"]
FIXED_FIELDS = (
    "train_median_s",
    "train_tokens_per_s",
    "infer_median_s",
    "infer_tokens_per_s",
    "batch",
    "length",
)
EPOCH_FIELDS = (
    "real_tokens",
    "optimizer_steps",
    "padded_tokens",
    "padding_efficiency",
    "epoch_s",
    "real_tokens_per_s",
)
LEGACY_ENV = {"TF_USE_LEGACY_KERAS": "1", "TF_KERAS": "1"}
# The shape fields of a fixed-shape runner's record (mini), for the driver's tables.
MINI_SHAPE_RECORD = dict(
    size="mini", layers=4, hidden=256, heads=4, intermediate=1024, vocab=21128, batch=32,
    length=128, steps=10, warmup=3, load_before=1.0, load_after=1.0,
)  # fmt: skip


def records(result):
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no JSON line in the output:\n{result.stdout[-2000:]}"
    return [json.loads(line) for line in lines]


def assert_positive(record, fields):
    for field in fields:
        assert field in record, f"{record.get('runner')}: no {field!r} in {sorted(record)}"
        assert record[field] > 0, f"{record.get('runner')}: {field} = {record[field]!r}"


# Our runner's heads spread over its modes, each head once (two in one run: its loop).
@pytest.mark.slow
@pytest.mark.parametrize(
    "script, extra, env, runners",
    [
        (
            "ours_runner.py",
            ["--head", "crf,softmax"],
            None,
            ["ours-crf", "ours-softmax"],
        ),
        ("hf_runner.py", [], None, ["hf"]),
        (
            "ours_runner.py",
            ["--head", "dense", "--bf16"],
            None,
            ["ours-dense-bf16"],
        ),
        ("hf_runner.py", ["--bf16"], None, ["hf-bf16"]),
        (
            "ours_runner.py",
            ["--head", "globalpointer", "--dynamic-shapes"],
            None,
            ["ours-globalpointer-dynamic"],
        ),
        (
            "ours_runner.py",
            ["--head", "mlm,electra", "--modes", "train"],
            None,
            ["ours-mlm", "ours-electra"],
        ),
        ("hf_runner.py", ["--head", "mlm", "--modes", "train"], None, ["hf-mlm"]),
        (
            "hf_runner.py",
            ["--head", "mlm-gathered", "--modes", "train"],
            None,
            ["hf-mlm-gathered"],
        ),
        ("keras_hub_runner.py", [], None, ["keras-hub"]),
        (
            "bert4keras_runner.py",
            ["--head", "crf,globalpointer"],
            LEGACY_ENV,
            ["bert4keras-crf", "bert4keras-globalpointer"],
        ),
    ],
    ids=[
        "ours",
        "hf",
        "ours_bf16",
        "hf_bf16",
        "ours_dynamic_shapes",
        "ours_pretraining",
        "hf_pretraining",
        "hf_pretraining_gathered",
        "keras_hub",
        "bert4keras",
    ],
)
def test_fixed_shape_runner_prints_its_measurements(script, extra, env, runners):
    if script == "keras_hub_runner.py":
        pytest.importorskip("keras_hub")
    result = run_python([str(PEERS / script), *TINY, *extra], env=env, timeout=300)
    found = records(result)
    assert [r["runner"] for r in found] == runners
    modes = ["train"] if "--modes" in extra else ["train", "infer"]
    for record in found:
        assert_positive(
            record, [f for f in FIXED_FIELDS if f.split("_")[0] in modes + ["batch", "length"]]
        )
        for mode in ("train", "infer"):
            assert len(record.get(f"{mode}_step_s", [])) == (2 if mode in modes else 0)
        assert record["batch"] == 4 and record["length"] == 32
        if "--bf16" in extra:
            assert record["precision"] in ("mixed_bfloat16", "autocast bfloat16")


def write_char_bio(path, sentences=24):
    """A small corpus in the one-character-per-line BIO format MSRA-like files use."""
    chars = "我们在北京上海广州工作学习生活张三李四王五公司大学银行"
    lines = []
    for n in range(sentences):
        length = 6 + (n * 7) % 40  # 6..45 characters: several buckets, some windows split
        text = [chars[(n + 3 * k) % len(chars)] for k in range(length)]
        tags = ["O"] * length
        kind = ("PER", "LOC", "ORG")[n % 3]
        tags[1], tags[2] = f"B-{kind}", f"I-{kind}"
        lines += [f"{c} {t}" for c, t in zip(text, tags, strict=True)] + [""]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.slow
def test_epoch_runners_train_on_the_same_tokens(tmp_path):
    data = tmp_path / "train.txt"
    write_char_bio(data)
    prepared = tmp_path / "prepared"
    shape = ["--max-length", "32", "--stride", "8"]
    (info,) = records(
        run_python(
            [
                str(PEERS / "msra_prepare.py"),
                "--data",
                str(data),
                "--out",
                str(prepared),
                "--examples",
                "16",
                *shape,
            ],
            timeout=300,
        )
    )
    assert info["examples"] == 16 and info["real_tokens"] > 0
    common = ["--prepared", str(prepared), "--size", "tiny", "--batch", "4", "--warmup", "1"]
    common += ["--dropout", "0.25"]  # not the runners' default (0.1): it must reach the models
    heads = ["--head", "dense,crf", "--batch-tokens", "64"]
    ours = records(run_python([str(PEERS / "ours_epoch_runner.py"), *common, *heads], timeout=300))
    hf = records(
        run_python(
            [str(PEERS / "hf_epoch_runner.py"), *common, "--feed", "default,grouped"],
            timeout=300,
        )
    )
    hf += records(
        run_python(
            [
                str(PEERS / "hf_epoch_runner.py"),
                *common,
                "--feed",
                "grouped",
                "--attention",
                "eager",
            ],
            timeout=300,
        )
    )
    assert [r["runner"] for r in ours + hf] == [
        "ours-dense",
        "ours-crf",
        "hf-default",
        "hf-grouped",
        "hf-grouped-eager",
    ]
    assert [r["attention"] for r in hf] == ["sdpa", "sdpa", "eager"]  # read back from the model
    for record in ours + hf:
        assert_positive(record, (*EPOCH_FIELDS, "tokens_per_update"))
        assert record["dropout.hidden"] == record["dropout.attention"] == 0.25
        assert record["dropout.sites"]["attention"] == 2  # one a layer of the tiny shape
        assert record["real_tokens"] == info["real_tokens"]
        assert record["padding_efficiency"] <= 1
    assert [r.get("dropout.classifier") for r in ours + hf] == [None] + [0.25] * 4
    for record in ours:  # a budget of 64 tokens: every window once, no batch above it
        assert record["tokens_per_update"] * record["optimizer_steps"] == pytest.approx(
            info["real_tokens"]
        )
        assert record["padded_tokens"] <= 64 * record["optimizer_steps"]


def load_peer(name):
    """A module of benchmarks/peers (they import each other by bare name)."""
    if str(PEERS) not in sys.path:
        sys.path.insert(0, str(PEERS))
    return importlib.import_module(name)


def load_driver(name):
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rounds_take_turns_and_report_medians_and_per_round_ratios():
    rounds = load_driver("rounds")
    order = [rounds.round_order(["a", "b", "c"], k) for k in range(4)]
    assert order == [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"], ["a", "b", "c"]]
    ours = [{"runner": "x", "rate": r, "steps": 7} for r in (1800.0, 1000.0, None, 1200.0)]
    ours[2] = {"runner": "x", "error": "killed"}  # a failed round
    theirs = [{"runner": "y", "rate": r, "steps": 7} for r in (1000.0, 500.0, 900.0, 1500.0)]
    mine, reference = rounds.combine(ours), rounds.combine(theirs)
    assert mine["rate"] == 1200.0 and mine["rounds_ok"] == 3  # the median, not the best
    assert mine["rounds"]["rate"] == [1800.0, 1000.0, None, 1200.0]
    assert mine["steps"] == 7 and isinstance(mine["steps"], int)
    # Ratios round by round: 1.8, 2.0, (round 3 failed), 0.8 -> median 1.8, not the
    # ratio of the medians (1200 / 950) nor of the best rounds (1800 / 1500).
    found = rounds.ratios(mine, reference, "rate")
    assert (found["median"], found["min"], found["max"]) == (1.8, 0.8, 2.0)
    assert rounds.show(found, ".2f") == "1.80 (0.80–2.00)"
    assert rounds.combine([{"error": "a"}, {"error": "b"}]) == {"error": "b"}


def test_epoch_driver_tabulates_medians_of_rounds():
    driver = load_driver("epoch_throughput")
    rounds = load_driver("rounds")
    common = dict(feed="f", optimizer_steps=10, tokens_per_update=100.0, padding_efficiency=0.9,
                  cpu_s=5.0, peak_rss_mb=800.0, load_before=1.0, load_after=1.0, layers=4,
                  hidden=256, intermediate=1024)  # fmt: skip
    hf = [dict(common, runner="hf-grouped", head="softmax", epoch_s=e, real_tokens_per_s=t)
          for e, t in ((10.0, 1000.0), (20.0, 500.0), (12.0, 800.0))]  # fmt: skip
    ours = [dict(common, runner="ours-dense", head="dense", epoch_s=e, real_tokens_per_s=t)
            for e, t in ((9.0, 1100.0), (8.0, 1250.0), (11.0, 900.0))]  # fmt: skip
    records = [rounds.combine(hf), rounds.combine(ours)]
    text = driver.table(records, {"gflops": 100.0}, [10] * 5)
    row = next(line for line in text.splitlines() if line.startswith("| ours-dense"))
    cells = [c.strip() for c in row.split("|")]
    # Epoch times of every round; tokens/s median 1,100; x HF grouped: 1.1, 2.5, 1.125.
    assert cells[7:11] == ["9.0", "9.0, 8.0, 11.0", "1,100 (900–1,250)", "1.12 (1.10–2.50)"]
    read_back = [{"dropout.hidden": 0.0, "dropout.sites": {"hidden": 9}}, {"dropout.hidden": 0.1}]
    assert driver.dropout_line(read_back).endswith("by kind of site: hidden 0.0, 0.1.")


def test_torch_adamw_runner_times_both_update_paths_and_clipping():
    shape = ["--layers", "1", "--hidden", "8", "--intermediate", "16", "--vocab", "10"]
    found = records(
        run_python([str(PEERS / "torch_adamw_runner.py"), *shape, "--steps", "2"], timeout=300)
    )
    assert [r["runner"] for r in found] == [
        "torch AdamW (foreach)",
        "torch AdamW (per tensor)",
        "torch clip_grad_norm_",
    ]
    for record in found:
        assert_positive(record, ("median_s", "min_s"))
        assert record["min_s"] <= record["median_s"] and record["steps"] == 2


def test_masked_batch_masks_15_percent_inside_each_row_and_labels_only_those():
    harness = load_driver("peers/harness")
    shape = dict(harness.SHAPES["tiny"], length=40)
    batch = harness.masked_batch(shape, seed=3)
    original, masked = batch["original_ids"], batch["token_ids"]
    positions, labels = batch["masked_positions"], batch["masked_labels"]
    assert positions.shape == labels.shape == (4, 6)  # ceil(0.15 x 40)
    for row in range(4):
        chosen = set(positions[row].tolist())
        assert len(chosen) == 6 and min(chosen) >= 1 and max(chosen) <= 38
        assert list(positions[row]) == sorted(chosen)
        for position in range(40):
            if position in chosen:
                assert masked[row, position] == harness.MASK_ID
                assert batch["token_labels"][row, position] == original[row, position]
            else:
                assert masked[row, position] == original[row, position] != harness.MASK_ID
                assert batch["token_labels"][row, position] == -100
        assert list(labels[row]) == [original[row, p] for p in positions[row]]
    assert (original >= 2).all() and (original < shape["vocab"]).all()


def test_runner_heads_are_checked_by_the_shared_parser():
    harness = load_driver("peers/harness")
    several = harness.parser("x", heads=("crf", "softmax"))
    assert several.parse_args([]).head == ["crf"]
    assert several.parse_args(["--head", "softmax,crf"]).head == ["softmax", "crf"]
    one = harness.parser("x", heads=("softmax", "mlm"), several=False)
    assert one.parse_args(["--head", "mlm"]).head == "mlm"
    for p, text in ((several, "crf,typo"), (one, "typo"), (one, "softmax,mlm")):
        with pytest.raises(SystemExit):
            p.parse_args(["--head", text])


def test_throughput_driver_measures_pretraining_against_bert_for_masked_lm():
    driver = load_driver("throughput")
    args = driver.argparse.Namespace(
        heads="dense,mlm,electra", peers="hf-mlm-gathered,hf,hf-mlm", xla=False
    )
    commands = dict(driver.runner_commands(args))
    assert list(commands) == [
        "hf", "hf-mlm", "hf-mlm-gathered", "ours-dense", "ours-mlm", "ours-electra"
    ]  # fmt: skip
    assert commands["ours-mlm"][-2:] == ["--modes", "train"]
    assert commands["hf-mlm"][1:] == ["--head", "mlm", "--modes", "train"]
    assert "--modes" not in commands["ours-dense"]
    shape = MINI_SHAPE_RECORD
    rows = [
        dict(shape, runner="hf", head="softmax", train_tokens_per_s=1000.0, train_median_s=4.0),
        dict(shape, runner="hf-mlm", head="mlm", train_tokens_per_s=800.0, train_median_s=5.0),
        dict(shape, runner="ours-dense", head="dense", train_tokens_per_s=900.0,
             train_median_s=4.5),
        dict(shape, runner="ours-mlm", head="mlm", train_tokens_per_s=1200.0,
             train_median_s=3.4),
    ]  # fmt: skip
    text = driver.table(rows)
    # Against BertForMaskedLM (1.50), not the token classifier (1.20); no Dense floor.
    assert "| ours-mlm | 1,200 | 1.50 | – |" in text
    assert "| ours-dense | 900 | 0.90 | 1.00 |" in text
    # With the gathered Hugging Face model run, against it: the same work.
    gathered = dict(rows[1], runner="hf-mlm-gathered", head="mlm-gathered",
                    train_tokens_per_s=1000.0)  # fmt: skip
    text = driver.table([*rows, gathered])
    assert "| ours-mlm | 1,200 | 1.20 | – |" in text
    assert "| hf-mlm | 800 | 0.80 | – |" in text


def test_throughput_driver_orders_runners_and_tabulates_ratios():
    driver = load_driver("throughput")
    args = driver.argparse.Namespace(heads="crf", peers="hf,keras-hub", xla=True)
    names = [name for name, _ in driver.runner_commands(args)]
    assert names == ["hf", "ours-crf", "ours-crf-xla", "keras-hub", "keras-hub-xla"]
    args.dynamic_shapes = True
    commands = dict(driver.runner_commands(args))
    assert list(commands)[1:4] == ["ours-crf", "ours-crf-xla", "ours-crf-dynamic"]
    assert commands["ours-crf-dynamic"][-1] == "--dynamic-shapes"
    shape = MINI_SHAPE_RECORD
    rows = [
        dict(
            shape,
            runner="hf",
            train_tokens_per_s=1000.0,
            train_median_s=4.096,
            infer_tokens_per_s=4000.0,
            infer_median_s=1.024,
        ),
        dict(
            shape,
            runner="ours-crf",
            train_tokens_per_s=1500.0,
            train_median_s=2.7,
            infer_tokens_per_s=2000.0,
            infer_median_s=2.0,
        ),
        {"runner": "keras-hub", "size": "mini", "error": "boom"},
    ]
    text = driver.table(rows)
    assert "| ours-crf | 1,500 | 1.50 |" in text
    assert "| 2,000 | 0.50 |" in text
    assert "keras-hub | failed: boom" in text
    # 20.4 MFLOP per mini training token (the figure the issue quotes).
    assert driver.train_flops_per_token(shape) == pytest.approx(20.4e6, rel=0.01)
    dense = dict(rows[1], runner="ours-dense", train_tokens_per_s=1200.0, peak_rss_mb=900.0)
    dense["train_cpu_s_per_step"], rows[1]["train_cpu_s_per_step"] = 2.0, 2.5
    peak = {"gflops": 100.0}
    text = driver.table([rows[1], dense], peak)
    # 1,500 tokens/s x 20.4 MFLOP = 31 GFLOP/s, 31% of 100; 1.25 x dense; 0.80 x dense CPU.
    assert "| ours-crf | 1,500 | – | 1.25 | 2700 | 31 | 31% | 2500 | 0.80 |" in text
    assert "| 900 | default |" in text  # peak RSS
    # bfloat16 rows against the bfloat16 reference and floor; no fraction of float32's peak.
    args.bf16, args.dynamic_shapes, args.xla = True, False, False
    commands = dict(driver.runner_commands(args))
    assert list(commands) == ["hf", "hf-bf16", "ours-crf", "ours-crf-bf16", "keras-hub"]
    assert commands["hf-bf16"][-1] == commands["ours-crf-bf16"][-1] == "--bf16"
    bf16 = [dict(r, runner=r["runner"] + "-bf16", train_tokens_per_s=2 * r["train_tokens_per_s"])
            for r in (rows[0], rows[1], dense)]  # fmt: skip
    text = driver.table([rows[0], rows[1], dense, *bf16], peak)
    assert "| ours-crf-bf16 | 3,000 | 1.50 | 1.25 | 2700 | 61 | – |" in text
    assert "| ours-crf | 1,500 | 1.50 | 1.25 | 2700 | 31 | 31% |" in text
    # Three rounds of each: medians, and the median of the same round's ratios.
    rounds = load_driver("rounds")
    crf = rounds.combine([dict(rows[1], train_tokens_per_s=t) for t in (1800.0, 1000.0, 1200.0)])
    hf = rounds.combine([dict(rows[0], train_tokens_per_s=t) for t in (1000.0, 500.0, 1500.0)])
    assert "| ours-crf | 1,200 (1,000–1,800) | 1.80 (0.80–2.00) |" in driver.table([hf, crf])
    # An epoch of windows all 128 tokens long costs what 128-token fixed shapes cost.
    epoch = load_driver("epoch_throughput")
    lengths = [128] * 5
    assert epoch.epoch_train_flops(shape, lengths) == pytest.approx(
        5 * 128 * driver.train_flops_per_token(shape)
    )


def load_processes():
    spec = importlib.util.spec_from_file_location(
        "benchmark_processes", REPO_ROOT / "benchmarks" / "processes.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_matmul_peak_and_peak_memory_of_each_runner():
    processes = load_processes()
    (record,) = processes.run_script(
        "matmul_peak_runner.py", ["--framework", "torch", "--n", "256", "--repeats", "2"], 120
    )
    assert record["peak_gflops"] >= record["median_gflops"] > 0
    # The child's own peak: the PyTorch import alone is tens of megabytes.
    assert 20 < record["peak_rss_mb"] < 4096
    assert record["command"].startswith("python ")
    peak = {"gflops": 2 * record["peak_gflops"]}
    assert processes.peak_fraction(record["peak_gflops"], peak) == 0.5


def test_machine_names_the_widest_vector_instructions_of_the_first_cpu(tmp_path):
    processes = load_driver("processes")
    cpuinfo = tmp_path / "cpuinfo"
    for flags, vector in [
        ("fpu sse2 avx fma avx2", "AVX2"),
        ("avx avx2 avx512f avx512bw", "AVX-512"),
        ("fpu sse2", "none known"),
    ]:
        cpuinfo.write_text(
            f"processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: {flags}\n\n"
            "processor\t: 1\nmodel name\t: Other\nflags\t\t: avx512f\n"
        )
        found = processes.machine(cpuinfo)
        assert (found["cpu"], found["vector"]) == ("AMD EPYC", vector)
        assert processes.machine_line(found) == f"AMD EPYC ({found['cpus']} CPUs, {vector})"


def test_a_failing_runner_is_named_with_its_error(tmp_path):
    processes = load_processes()
    script = tmp_path / "broken_runner.py"
    script.write_text("import sys\nsys.exit('no model folder at /nowhere')\n")
    with pytest.raises(processes.RunnerFailed, match="no model folder at /nowhere"):
        processes.run_script(script, [], 60)
    script.write_text("import time\ntime.sleep(30)\n")
    with pytest.raises(processes.RunnerFailed, match="ran past 1 s"):
        processes.run_script(script, [], 1)


# ---------------------------------------------------------------- prediction end to end


def test_prediction_driver_counts_flops_and_tabulates_ratios():
    driver = load_driver("predict_throughput")
    config = {"hidden_size": 256, "intermediate_size": 1024, "num_hidden_layers": 4}
    # One batch of 2 rows x 10 tokens: per token 2 FLOPs x 4 layers x (4 H^2 + 2 H I + 2 n H).
    per_token = 2 * 4 * (4 * 256 * 256 + 2 * 256 * 1024 + 2 * 10 * 256)
    assert driver.forward_flops(config, [[2, 10]]) == 20 * per_token == 126_648_320
    assert driver.forward_flops(config, [[2, 10], [1, 10]]) == 30 * per_token
    common = dict(cpu_s=1.0, peak_rss_mb=500.0, characters_per_s=1.0, batch=32)
    records = [
        dict(
            common,
            name="hf-forward",
            texts_per_s=500.0,
            seconds=10.0,
            batch_shapes=[[2, 10]],
            cpu_s=3.0,
        ),
        dict(common, name="hf-pipeline-1", texts_per_s=100.0, seconds=50.0, batch=1),
        dict(common, name="hf-pipeline-8", texts_per_s=200.0, seconds=25.0, batch=8),
        dict(common, name="hf-onnx", texts_per_s=500.0, seconds=1.0),
        dict(common, name="hf-onnx-optimized", texts_per_s=600.0, seconds=1.0),
        dict(common, name="ours", texts_per_s=750.0, seconds=1.0, batch_shapes=[[2, 10]]),
        dict(common, name="tf-ner predict", texts_per_s=250.0, seconds=2.0, child_peak_rss_mb=9.0),
        dict(common, name="ours-onnx", texts_per_s=500.0, seconds=1.0, batch_shapes=[[1, 10]]),
        dict(common, name="tf-ner predict --runtime onnx", texts_per_s=250.0, seconds=2.0),
    ]
    peak = {"gflops": 0.5}
    rows = {
        line.split(" | ")[0][2:]: line.split(" | ")
        for line in driver.corpus_table(records, config, peak)
    }
    assert rows["hf-pipeline-8 (best)"][4:6] == ["1.00", "0.40"]
    # ours: 750 / 200 the best pipeline, 750 / 500 the forward, 750 / 500 Hugging Face's
    # plain ONNX export, 750 / 600 its optimized graph; 0.127 GFLOP/s = 25.3% of 0.5.
    assert rows["ours"][4:10] == ["3.75", "1.50", "1.50", "1.25", "0.1", "25.3%"]
    assert rows["ours"][12:14] == ["1.00", "3.00"]  # texts per CPU second: 3x the forward's
    # tf-ner predict runs the same batches as ours: half the rate in 2 s; its own peak RSS.
    assert rows["tf-ner predict"][8:11] == ["0.1", "12.7%", "9"]
    # With --runtime onnx, the batches of ours-onnx (half ours'), in the same 2 s.
    assert rows["tf-ner predict --runtime onnx"][8:10] == ["0.0", "6.3%"]
    assert rows["hf-pipeline-1"][8] == "–"  # no shapes recorded


def test_prediction_driver_runs_ours_on_onnx_at_each_batch_size_int8_at_the_first():
    driver = load_driver("predict_throughput")
    args = driver.parse(["--model", str(FOLDERS / "ner_crf"), "--no-peers"])
    plan = {name: arguments for name, _, arguments in driver.runner_plan(args, "P", "sentences")}
    assert list(plan) == ["ours", "ours-onnx", "ours-onnx, batch 64", "ours-onnx-int8",
                          "tf-ner predict", "tf-ner predict --runtime onnx"]  # fmt: skip
    batch = {name: args[args.index("--batch-size") + 1] for name, args in plan.items()}
    assert batch == {"ours": 64, "ours-onnx": 32, "ours-onnx, batch 64": 64,
                     "ours-onnx-int8": 32, "tf-ner predict": 64,
                     "tf-ner predict --runtime onnx": 32}  # fmt: skip
    assert "--runtime" not in plan["tf-ner predict"]
    onnx_command = plan["tf-ner predict --runtime onnx"]
    assert onnx_command[onnx_command.index("--runtime") + 1] == "onnx"
    startup = [name for name, _, _ in driver.startup_plan(args, "P")]
    assert startup == ["import tensorflow", "tf-ner predict, one text",
                       "tf-ner predict --runtime onnx, one text"]  # fmt: skip


def test_documents_join_every_text_once_in_order():
    prediction = load_peer("prediction")
    rng = random.Random(3)
    texts = ["".join(rng.choice("abc") for _ in range(rng.randint(5, 200))) for _ in range(400)]
    documents = prediction.join_documents(texts, shortest=1000, longest=3000, seed=1)
    assert "".join(documents) == "".join(texts)
    assert all(1000 <= len(d) <= 3000 for d in documents[:-1])
    assert 1000 <= len(documents[-1]) <= 3000 + 1000  # a short remainder joins the last one
    starts = {0}
    for d in documents:
        starts.add(max(starts) + len(d))
    boundaries = set(itertools.accumulate(len(t) for t in texts))
    assert starts - {0} <= boundaries, "paragraphs end where a text ends"


# Names the tiny folder learns, among characters that are never part of one.
TINY_NAMES = [("LOC", "北京"), ("LOC", "上海"), ("LOC", "南京"), ("ORG", "人民银行"),
              ("ORG", "长江大桥")]  # fmt: skip
TINY_FILLER = "天安门我爱中国的在是了和市"


def tiny_name_examples(count, seed=0):
    """`count` texts: one or two names among 2-13 filler characters."""
    from tf_ner.data.example import Example

    rng = random.Random(seed)
    examples = []
    for _ in range(count):
        text, entities = "", []
        for _ in range(rng.randint(1, 2)):
            text += "".join(rng.choice(TINY_FILLER) for _ in range(rng.randint(1, 6)))
            type_, name = rng.choice(TINY_NAMES)
            entities.append((len(text), len(text) + len(name), type_))
            text += name
        examples.append(Example(text + rng.choice(TINY_FILLER), entities))
    return examples


@pytest.fixture(scope="module")
def tiny_ner_folder(tmp_path_factory):
    """A CRF model folder on the tiny vocabulary, trained until it finds the names of
    `tiny_name_examples` (the runners must have entities to agree on: two runners that
    find none agree whatever they do)."""
    import keras

    from tests.data.tiny_vocab import write_tiny_vocab
    from tf_ner.bert.config import BertConfig
    from tf_ner.bert.tokenization import Tokenizer
    from tf_ner.ground.settings import Situation, resolved
    from tf_ner.tasks.folder import write_folder
    from tf_ner.tasks.ner.settings import NerSettings
    from tf_ner.tasks.ner.task import NerTask

    keras.utils.set_random_seed(0)
    folder = tmp_path_factory.mktemp("ner_folder")
    vocab = write_tiny_vocab(tmp_path_factory.mktemp("vocab"))
    settings = NerSettings(head="crf", types=["LOC", "ORG"], max_length=16, stride=4)
    task = NerTask(resolved(settings, Situation.SCRATCH))
    lines = vocab.read_text(encoding="utf-8").splitlines()
    config = BertConfig(
        vocab_size=len(lines),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
    )
    model = task.build_model(config)
    task.compile(model, keras.optimizers.Adam(1e-2))
    tokenizer = Tokenizer(vocab)
    data = task.labelled_data(tiny_name_examples(48), tokenizer, 8, shuffle=True, seed=1)
    model.fit(data.dataset, epochs=6, verbose=0)
    write_folder(task, model, folder, config, vocab)
    return folder


TINY_TEXTS = ["我爱北京天安门", "上海长江大桥", "中国人民银行在北京市南京路" * 3]


def test_prediction_runner_measures_predict_on_a_tiny_folder(tiny_ner_folder):
    runner = load_peer("predict_ours_runner")
    import tf_ner

    record = runner.measure(
        str(tiny_ner_folder), TINY_TEXTS, "sentences", 2, warmup=1, runtime="tensorflow"
    )
    assert record["texts"] == 3 and record["characters"] == sum(map(len, TINY_TEXTS))
    assert record["seconds"] > 0 and record["texts_per_s"] == 3 / record["seconds"]
    predicted = tf_ner.load(tiny_ner_folder).predict_spans(TINY_TEXTS)
    assert (2, 4, "LOC") in predicted[0]  # 北京: the folder finds the names it learnt
    assert record["entities"] == sum(map(len, predicted)) > len(TINY_TEXTS)
    prediction = load_peer("prediction")
    assert record["spans_digest"] == prediction.spans_digest(predicted)
    # the long text is split into windows of at most 14 tokens, a batch row each
    assert sum(rows for rows, _ in record["batch_shapes"]) > len(TINY_TEXTS)
    assert all(length <= 16 for _, length in record["batch_shapes"])


def test_prediction_runner_turns_sentence_cuts_off_for_the_overlapping_row(tiny_ner_folder):
    runner = load_peer("predict_ours_runner")
    texts = ["我爱北京天安门。" * 4]  # sentences of 8 tokens; windows hold 14
    cut, overlapping = (
        runner.measure(str(tiny_ner_folder), texts, "documents", 8, 1, "tensorflow", flag)
        for flag in (False, True)
    )
    assert cut["sentence_cuts"] and not overlapping["sentence_cuts"]
    assert cut["batch_shapes"] == [[4, 10]]  # a sentence a window, [CLS] and [SEP] added
    assert overlapping["batch_shapes"] == [[3, 16]]  # 0-14, 10-24, 18-32 (stride 4)


def test_document_gold_moves_each_sentence_entities_into_its_document():
    from tf_ner.data.example import Example

    prediction = load_peer("prediction")
    examples = [
        Example("我在北京", [(2, 4, "LOC")]),
        Example("张三好", [(0, 2, "PER")]),
        Example("上海", [(0, 2, "LOC")]),
    ]
    gold = prediction.document_gold(["我在北京张三好", "上海"], examples)
    assert gold == [[(2, 4, "LOC"), (4, 6, "PER")], [(0, 2, "LOC")]]
    with pytest.raises(SystemExit, match="document 0 is not the sentences joined in order"):
        prediction.document_gold(["张三好我在北京"], examples)


def test_window_quality_scores_both_windows_of_a_tiny_folder(tiny_ner_folder):
    from tf_ner.data.example import Example

    driver = load_driver("window_quality")
    examples = [Example("我爱北京天安门。", [(2, 4, "LOC")])] * 6  # 8 tokens each
    record = driver.measure(tiny_ner_folder, examples, ["我爱北京天安门。" * 6])
    own, overlapping = record["own windows"], record["overlapping windows"]
    assert own["sentence_cuts"] and not overlapping["sentence_cuts"]
    # windows of 14 tokens: a sentence each; or 0-14, 10-24, 20-34, 30-44, 34-48 (stride 4)
    assert (own["windows"], own["tokens"]) == (6, 60)
    assert (overlapping["windows"], overlapping["tokens"]) == (5, 80)
    assert own["support"] == overlapping["support"] == 6  # the entities moved along
    assert record["sentences"]["support"] == 6
    assert 0 < own["f1"] <= 1 and 0 < record["sentences"]["f1"] <= 1


def test_prediction_runner_measures_the_onnx_runtimes(tiny_ner_folder, tmp_path):
    """The float32 export predicts TensorFlow's spans; the int8 one is timed alike."""
    runner = load_peer("predict_ours_runner")
    from tf_ner.tasks.folder import export_onnx

    folder = tmp_path / "folder"
    shutil.copytree(tiny_ner_folder, folder)
    records = {}
    for runtime in ("tensorflow", "onnx", "onnx-int8"):
        if runtime != "tensorflow":
            export_onnx(folder, int8=runtime == "onnx-int8")
        records[runtime] = runner.measure(str(folder), TINY_TEXTS, "sentences", 2, 1, runtime)
    assert records["onnx"]["runner"] == "ours-onnx" and records["tensorflow"]["entities"] > 0
    assert records["onnx"]["spans_digest"] == records["tensorflow"]["spans_digest"]
    assert records["onnx-int8"]["runner"] == "ours-onnx-int8"
    assert "onnxruntime" in records["onnx-int8"]["framework_version"]


@pytest.mark.slow
def test_hugging_face_peers_run_our_model_on_a_tiny_folder(tiny_ner_folder, tmp_path):
    prepare = load_peer("predict_prepare")
    hf = load_peer("predict_hf_runner")
    hf_onnx = load_peer("hf_onnx")
    quality = load_peer("predict_onnx_quality")
    import transformers

    import tf_ner

    recognizer = tf_ner.load(tiny_ner_folder)
    prepare.write_hf_folder(recognizer, tiny_ner_folder, tmp_path)
    assert prepare.largest_score_difference(recognizer, tmp_path, TINY_TEXTS) < 1e-4
    tokenizer = transformers.AutoTokenizer.from_pretrained(tmp_path)
    shapes = []
    forward = hf.windows_call(tokenizer, hf.torch_forward(tmp_path), 2, 4, shapes)
    tags = forward(TINY_TEXTS)
    assert len(tags) == sum(rows for rows, _ in shapes) > len(TINY_TEXTS)  # windows
    assert all(len(t) <= 16 and t.max() < len(recognizer.task.labeler.tags) for t in tags)
    _, pipeline = hf.run_pipeline(str(tmp_path), batch_size=2, stride=4)
    found = pipeline(TINY_TEXTS)
    for text, spans in zip(TINY_TEXTS, found, strict=True):
        assert all(0 <= s < e <= len(text) and t in ("LOC", "ORG") for s, e, t in spans)
    # The names ours finds, in the texts of one window each, where this model's emissions
    # alone (their argmax) tag what the CRF's best path tags: [CLS] 我 爱 北 京 ...
    labels = recognizer.task.labeler.tags
    assert [labels[t] for t in tags[0][3:5]] == ["B-LOC", "I-LOC"]
    ours = recognizer.predict_spans(TINY_TEXTS[:2])
    assert found[:2] == ours == [[(2, 4, "LOC")], [(0, 2, "LOC"), (2, 6, "ORG")]]
    # ONNX: the float graphs score as PyTorch does; the optimizer fused the one layer's
    # attention; each float graph tags the windows as PyTorch does on these clear names,
    # and the quality runner reads its tags as the pipeline's spans.
    exported = hf_onnx.export_hf_onnx(tmp_path, prepare.padded_ids(recognizer, TINY_TEXTS))
    differences = exported["largest_score_difference"]
    assert differences["onnx"] < 1e-4 and differences["onnx-optimized"] < 1e-4
    assert exported["fused"]["Attention"] == 1
    for graph in ("onnx", "onnx-optimized"):
        call = hf.windows_call(tokenizer, hf.onnx_forward(tmp_path, graph), 2, 4, [])
        assert [t[3:5].tolist() for t in call(TINY_TEXTS[:1])] == [tags[0][3:5].tolist()]
        spans = quality.hf_spans(tmp_path, graph, TINY_TEXTS[:2], labels, batch_size=2, stride=4)
        assert spans == found[:2]
    # int8: close, not equal. How close depends on the CPU (0.03 of scores up to 5.4 on
    # an AVX-512 VNNI machine, 0.73 on a CI machine; without VNNI, uint8 x int8 products
    # add pairs into saturating int16, OpenVINO's "saturation issue"), enough to flip
    # this tiny model's closest tags (margins down to 0.16): its spans are checked for
    # shape, not against PyTorch's.
    assert 1e-4 < differences["onnx-int8"] < 0.25 * exported["largest_score"]
    spans = quality.hf_spans(tmp_path, "onnx-int8", TINY_TEXTS, labels, batch_size=2, stride=4)
    for text, found_spans in zip(TINY_TEXTS, spans, strict=True):
        assert all(0 <= s < e <= len(text) and t in ("LOC", "ORG") for s, e, t in found_spans)


@pytest.mark.slow
def test_onnx_rewrites_driver_times_sessions_that_compute_the_same(
    tiny_ner_folder, tmp_path, monkeypatch
):
    """tf_ner's session and ONNX Runtime's default one give the same outputs on the
    same batch (leaving a rewrite out changes the speed, not the numbers), the Hugging
    Face export runs the same ids, and the driver tabulates every session's rounds."""
    prepare = load_peer("predict_prepare")
    hf_onnx = load_peer("hf_onnx")
    prediction = load_peer("prediction")
    driver = load_driver("onnx_graph_rewrites")
    import tf_ner
    from tf_ner.tasks.folder import export_onnx

    folder = tmp_path / "folder"
    shutil.copytree(tiny_ner_folder, folder)
    export_onnx(folder)
    recognizer = tf_ner.load(folder)
    prepared = tmp_path / "prepared"
    prepare.write_hf_folder(recognizer, folder, prepared / prediction.HF_DIR)
    hf_onnx.export_hf_onnx(prepared / prediction.HF_DIR, prepare.padded_ids(recognizer, TINY_TEXTS))
    for corpus in prediction.CORPORA:
        prediction.write_texts(TINY_TEXTS, prediction.corpus_file(prepared, corpus))
    calls = driver.sessions(folder, prepared)
    ids = driver.corpus_batches(recognizer, prepared, "sentences")[-1]
    ours, every = calls[driver.OURS](ids), calls[driver.EVERY_REWRITE](ids)
    assert len(ours) == len(every) > 0
    for mine, theirs in zip(ours, every, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-5)
    tags = len(recognizer.task.labeler.tags)
    assert calls[driver.HF](ids).shape == (*ids.shape, tags)

    output = tmp_path / "rewrites"
    argv = ["--model", str(folder), "--prepared", str(prepared), "--rounds", "2"]
    monkeypatch.setattr(sys, "argv", ["onnx_graph_rewrites.py", *argv, "--output", str(output)])
    driver.main()
    results = json.loads(output.with_suffix(".json").read_text())
    for corpus in prediction.CORPORA:
        found = results["corpora"][corpus]
        assert set(found["seconds"]) == {driver.OURS, driver.EVERY_REWRITE, driver.HF}
        assert all(len(spread["values"]) == 2 for spread in found["seconds"].values())
        assert found["x_every_rewrite"][driver.EVERY_REWRITE]["median"] == 1.0
        assert sum(rows for rows, _ in found["batch_shapes"]) > len(TINY_TEXTS)  # windows


def test_bio_tags_read_as_character_spans():
    quality = load_peer("predict_onnx_quality")
    offsets = [(0, 1), (1, 2), (2, 5), (5, 6), (6, 7), (7, 8)]
    tags = ["B-PER", "I-PER", "I-PER", "I-LOC", "O", "B-ORG"]
    # An I- of another type starts an entity, as seqeval reads it.
    assert quality.bio_spans(offsets, tags) == [(0, 5, "PER"), (5, 6, "LOC"), (7, 8, "ORG")]
    assert quality.f1([[(0, 5, "PER")], []], [[(0, 5, "PER"), (5, 6, "LOC")], []]) == 2 / 3


def test_run_tf_ner_appends_the_commands_output_to_its_log_and_raises_on_failure(tmp_path):
    processes = load_driver("processes")
    log = tmp_path / "runs.log"
    processes.run_tf_ner(["pretrain", "--help"], log)
    assert "usage: tf-ner pretrain" in log.read_text()
    with pytest.raises(subprocess.CalledProcessError):
        processes.run_tf_ner(["train", "--train", tmp_path / "missing.txt", "--output-dir",
                              tmp_path / "out", "--bert-size", "tiny"], log)  # fmt: skip
    assert "missing.txt" in log.read_text().split("usage: tf-ner pretrain")[1]


def test_reference_finetune_reads_the_dev_and_test_scores_of_a_finished_run(tmp_path):
    driver = load_driver("reference_finetune")
    summary = {"steps": 1883, "training_seconds": 600.0, "resolved": {"learning_rate": 2e-4}}
    scores = {"test": {"overall": {"accuracy": 0.8283, "macro_f1": 0.8270}},
              "dev": {"overall": {"accuracy": 0.8399, "macro_f1": 0.8394}}}  # fmt: skip
    with_dev, without_dev = tmp_path / "with_dev", tmp_path / "without_dev"
    for folder, splits in ((with_dev, ("dev", "test")), (without_dev, ("test",))):
        folder.mkdir()
        (folder / "train_summary.json").write_text(json.dumps(summary))
        for split in splits:
            (folder / f"{split}_scores.json").write_text(json.dumps(scores[split]))
    # A folder with its test scores is read back, not trained again.
    found = driver.run(with_dev, ["--train", "never-read.jsonl"], tmp_path / "runs.log")
    assert not (tmp_path / "runs.log").exists()
    assert (driver.score_text(found["dev"]), driver.score_text(found["test"])) == (
        "accuracy 83.99",
        "accuracy 82.83",
    )
    assert (found["steps"], found["minutes"]) == (1883, 10.0)
    assert "dev" not in driver.run(without_dev, [], tmp_path / "runs.log")
    assert driver.score_text({"overall": {"f1": 0.85634, "precision": 0.9}}) == "F1 85.63"


def test_reference_finetune_reads_back_a_finished_adaptation_and_names_its_baselines(tmp_path):
    driver = load_driver("reference_finetune")
    folder = tmp_path / "encoder_adapted_20min"
    folder.mkdir()
    references = {"most frequent + copy": 0.1290, "bigram + copy": 0.3761}
    summary = {"steps": 1250, "training_seconds": 1200.6, "references": references}
    (folder / "train_summary.json").write_text(json.dumps(summary))
    (folder / "dev_scores.json").write_text(json.dumps({"accuracy": 0.4322, "loss": 3.1}))
    adapted = driver.adapt("checkpoints/enc", "reviews_train.jsonl", 20.0,
                           driver.CONTINUE_FLAGS, folder, tmp_path / "runs.log")  # fmt: skip
    assert not (tmp_path / "runs.log").exists()
    assert adapted["command"].split()[:6] == [
        "tf-ner", "pretrain", "--bert-dir", "checkpoints/enc", "--train", "reviews_train.jsonl"
    ]  # fmt: skip
    assert "--time-budget 20 " in adapted["command"] and "--warmup 0.1" in adapted["command"]
    text = driver.adapted_text("classification, pre-trained, adapted", adapted)
    assert "1250 steps" in text and "20.0 minutes" in text
    assert "accuracy 43.22% against most frequent + copy 12.90%, bigram + copy 37.61%" in text


def test_global_pointer_parts_xla_variants_compute_the_shipped_layers_logits():
    driver = load_driver("global_pointer_parts")
    steps = driver.variants(seed=0)
    shipped = np.asarray(steps["globalpointer head"]())
    assert shipped.shape == (32, 3, 128, 128)
    masked = shipped < -1e8  # padding rows and columns, and end before start
    assert masked.any() and not masked.all()
    for name in driver.XLA_VARIANTS:
        compiled = np.asarray(steps[name]())
        np.testing.assert_allclose(compiled, shipped, rtol=1e-5, atol=1e-4, err_msg=name)


def test_recipe_report_shows_each_rows_own_baselines_and_a_full_floor_row(tmp_path):
    driver = load_driver("pretraining_recipes")

    def recipe(accuracy, most_frequent, bigram):
        references = {"most frequent + copy": most_frequent, "bigram + copy": bigram}
        pretraining = {"steps": 1500, "rows_per_step": 32, "minutes": 20.0, "curve": [],
                       "held_out": {"accuracy": accuracy, "loss": 5.6}, "references": references,
                       "load_average_before_after": [1.3, 1.0]}  # fmt: skip
        f1 = {"mean": 0.36, "std": 0.01, "min": 0.35, "max": 0.37}
        return {"pretraining": pretraining, "downstream": {"f1": f1, "failed": 0}}

    results = {
        "batch32-hold-sinusoid": recipe(0.1508, 0.1320, 0.3501),
        "batch32-hold-sinusoid-wwm": recipe(0.1484, 0.1415, 0.1877),
    }
    floor = {"f1": {"mean": 0.4138, "std": 0.0076, "min": 0.4018, "max": 0.4222}, "failed": 0}
    args = driver.argparse.Namespace(minutes=20.0, bert_size="mini", seeds=5)
    driver.report(results, floor, args, {"file": "corpus.txt"}, tmp_path / "recipes")
    rows = [line for line in (tmp_path / "recipes.md").read_text().splitlines()
            if line.startswith("| ")]  # fmt: skip
    header, *body = (row.split(" | ") for row in rows)
    assert len(body) == 3 and all(len(row) == len(header) for row in body)
    baselines = [header.index("most frequent + copy"), header.index("bigram + copy")]
    assert [[row[i] for i in baselines] for row in body[:2]] == [
        ["13.20", "35.01"],
        ["14.15", "18.77"],
    ]
    assert body[2][header.index("test F1 mean")] == "41.38"


def test_results_commands_name_results_files_from_the_repository_root():
    results_file = load_driver("results_file")
    argv = ["--output", "/work/wt/x/benchmarks/results/same_recipe_amd", "--reference",
            "/work/main/benchmarks/results/same.json", "--workdir", "/work/runs/x",
            "--label", "not/benchmarks/results/a path"]  # fmt: skip
    assert results_file.command_text("benchmarks/same_recipe.py", argv) == (
        "python benchmarks/same_recipe.py --output benchmarks/results/same_recipe_amd "
        "--reference benchmarks/results/same.json --workdir /work/runs/x "
        "--label 'not/benchmarks/results/a path'"
    )
