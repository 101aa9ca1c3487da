"""benchmarks/same_recipe.py and its two runners: the settings both sides train with are
read back and compared, and what the comparison calls equal is equal.

The slow tests run both runners for a few seconds on a tiny corpus (the real runs:
benchmarks/results/same_recipe_*).
"""

import json

import pytest

from tests.helpers import REPO_ROOT, run_python
from tests.test_benchmarks import PEERS, load_driver, load_peer, records, write_char_bio

TINY = ["--bert-size", "tiny", "--batch-size", "4", "--max-length", "32", "--warmup", "2"]
LAYERS, HIDDEN = 2, 128  # BERT_SIZES["tiny"]


def test_the_runners_rate_is_tf_ners_time_budget_schedule():
    from tf_ner.train.schedules import TimeBudgetSchedule

    recipe = load_peer("recipe")
    # By hand: half-way through a 300-step warmup at half the budget, a quarter of the peak.
    assert recipe.budget_rate(1e-3, 150, 300, 0.5) == pytest.approx(2.5e-4)
    assert recipe.budget_rate(1e-3, 0, 300, 0.0) == 0.0  # step 0-based: warmup starts at 0
    assert recipe.budget_rate(1e-3, 5, 0, 1.2) == 0.0  # past the budget
    for warmup in (0, 10, 300):
        schedule = TimeBudgetSchedule(5e-4, warmup_steps=warmup)
        for step, progress in ((0, 0.0), (3, 0.01), (150, 0.2), (300, 0.5), (2000, 0.97)):
            schedule.progress.assign(progress)
            expected = float(schedule(step))
            assert recipe.budget_rate(5e-4, step, warmup, progress) == pytest.approx(expected)


def test_differences_name_each_setting_and_what_a_row_allows():
    recipe = load_peer("recipe")
    ours = {"feed": "buckets", "optimizer.epsilon": 1e-6, "dropout.hidden": 0.1, "seed": 1}
    theirs = {"feed": "grouped", "optimizer.epsilon": 1e-8, "dropout.hidden": 0.100000001}
    found = recipe.differences(ours, theirs)
    assert [name for name, *_ in found] == ["feed", "optimizer.epsilon", "seed"]
    assert ("seed", 1, None) in found  # a setting one side lacks is a difference
    assert [d[0] for d in recipe.unexpected(found)] == ["optimizer.epsilon", "seed"]
    assert [d[0] for d in recipe.unexpected(found, ("optimizer.*",))] == ["seed"]


def test_a_pair_that_differs_where_the_row_says_equal_is_refused():
    driver = load_driver("same_recipe")
    ours = {"model.initializer": "truncated normal", "optimizer.epsilon": 1e-6, "head": "crf"}
    theirs = {"model.initializer": "normal", "optimizer.epsilon": 1e-8, "head": "softmax"}
    kept = driver.check_pair(ours, theirs, allowed=("optimizer.epsilon", "head"))
    assert [d[0] for d in kept] == ["head", "optimizer.epsilon"]  # construction's not shown
    with pytest.raises(driver.SettingsDiffer, match="head: tf_ner 'crf'"):
        driver.check_pair(ours, theirs, allowed=("optimizer.epsilon",))
    with pytest.raises(driver.SettingsDiffer, match="model.initializer"):
        driver.check_pair(ours, theirs, ("optimizer.epsilon", "head"), ("model.initializer",))


def test_row_digest_ignores_order_and_sees_one_label():
    recipe = load_peer("recipe")
    rows = [([2, 5, 3], [-100, 1, -100]), ([2, 7, 3], [-100, 0, -100]), ([2, 3], 1)]
    assert recipe.rows_digest(rows) == recipe.rows_digest(rows[::-1])
    changed = [rows[0], ([2, 7, 3], [-100, 2, -100]), rows[2]]
    assert recipe.rows_digest(changed) != recipe.rows_digest(rows)


def test_dropout_sites_of_both_namings():
    recipe = load_peer("recipe")
    keras_sites = [
        ("emission_model/bert/embeddings/dropout", 0.1),
        ("emission_model/bert/encoder/layer_0/attention/self/dropout", 0.1),
        ("emission_model/bert/encoder/layer_0/output/dropout", 0.1),
        ("emissions/dropout", 0.2),
    ]
    torch_sites = [
        ("bert.embeddings.dropout", 0.1),
        ("bert.encoder.layer.0.attention.self.dropout", 0.1),
        ("bert.encoder.layer.0.output.dropout", 0.1),
        ("dropout", 0.2),
    ]
    expected = {
        "dropout.hidden": 0.1,
        "dropout.attention": 0.1,
        "dropout.classifier": 0.2,
        "dropout.sites": {"attention": 1, "classifier": 1, "hidden": 2},
    }
    assert recipe.dropout_settings(keras_sites) == expected
    assert recipe.dropout_settings(torch_sites) == expected


def test_seeds_take_turns_and_the_grid_keeps_each_sides_best_dev_cell():
    driver = load_driver("same_recipe")
    jobs = driver.interleaved([1, 2, 3], lambda seed, side: (side, seed))
    assert jobs == [("ours", 1), ("hf", 1), ("ours", 2), ("hf", 2), ("ours", 3), ("hf", 3)]
    args = driver.parse(["--rows", "grid"])
    cells = driver.grid_cells(args)
    assert len(cells) == 8 and len(set(cells)) == 8
    assert {c[0] for c in cells} == {5e-4, 1e-3} and {c[2] for c in cells} == {0.0, 0.1}
    runs = [
        {"row": "grid", "side": "ours", "cell": (5e-4, 0, 0.0), "record": {"f1": 0.6}},
        {"row": "grid", "side": "ours", "cell": (1e-3, 300, 0.1), "record": {"f1": 0.7}},
        {"row": "grid", "side": "hf", "cell": (1e-3, 300, 0.1), "record": {"f1": 0.5}},
        {"row": "grid", "side": "hf", "cell": (5e-4, 0, 0.1), "record": {"f1": 0.8}},
        {"row": "same", "side": "hf", "cell": (), "record": {"f1": 0.9}},
    ]
    assert driver.best_cell(runs, "ours", "f1") == (1e-3, 300, 0.1)
    assert driver.best_cell(runs, "hf", "f1") == (5e-4, 0, 0.1)


def test_each_row_reports_mean_sample_sd_min_and_max():
    report = load_driver("same_recipe_report")
    runs = [
        {"row": "same", "label": "x", "side": "ours", "split": "test", "seed": seed,
         "differs": [], "record": {"f1": f1, "steps": 10, "tokens_per_s": 100.0}}
        for seed, f1 in ((1, 0.5), (2, 0.7), (3, 0.6))
    ]  # fmt: skip
    (entry,) = report.summarise(runs, "ner")
    assert entry["seeds"] == [1, 2, 3]
    f1 = entry["f1"]
    assert (f1["runs"], f1["min"], f1["max"]) == (3, 0.5, 0.7)
    assert f1["mean"] == pytest.approx(0.6) and f1["std"] == pytest.approx(0.1)


def test_rows_paired_with_the_same_row_need_its_results(tmp_path):
    driver = load_driver("same_recipe")
    with pytest.raises(SystemExit):
        driver.parse(["--rows", "suspects", "--reference", str(tmp_path / "none.json")])
    with pytest.raises(SystemExit):
        driver.parse(["--rows", "same", "--suspects", "epsilon,typo"])
    with pytest.raises(SystemExit):
        driver.parse(["--task", "classification", "--rows", "heads"])


def test_length_grouped_batches_start_with_the_longest_and_pad_to_their_longest():
    runner = load_peer("hf_recipe_runner")
    lengths = [5, 40, 12, 7, 33, 9, 18, 21, 6, 14, 27, 11]
    rows = [{"input_ids": list(range(1, n + 1)), "labels": [1] * n} for n in lengths]
    batches = list(runner.make_loader(rows, "grouped", 4, runner.collate("ner"), seed=3))
    assert sum(len(b["input_ids"]) for b in batches) == len(rows)  # every row once
    assert max(lengths) in batches[0]["attention_mask"].sum(1).tolist()
    for batch in batches:
        real = batch["attention_mask"].sum(1)
        assert batch["input_ids"].shape[1] == int(real.max())  # padded to its longest
        padding = batch["input_ids"] == 0
        assert bool((batch["labels"][padding] == -100).all())
        assert not bool((batch["labels"][~padding] == -100).any())


@pytest.fixture(scope="module")
def tiny_same_row(tmp_path_factory):
    """The driver's same row on a tiny corpus: one seed, both sides, 3 s of training."""
    folder = tmp_path_factory.mktemp("same_recipe")
    write_char_bio(folder / "train.txt", 40)
    write_char_bio(folder / "test.txt", 12)
    data = ["--train", str(folder / "train.txt"), "--test", str(folder / "test.txt")]
    common = [*data, *TINY, "--stride", "8", "--minutes", "0.05", "--seeds", "1"]
    driver = str(REPO_ROOT / "benchmarks" / "same_recipe.py")
    run_python([driver, *common, "--output", str(folder / "same")], timeout=600)
    return folder, common, json.loads((folder / "same.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_both_runners_train_with_the_settings_the_comparison_calls_equal(tiny_same_row):
    _, _, results = tiny_same_row
    ours, theirs = (run["record"] for run in results["runs"])
    assert (ours["side"], theirs["side"]) == ("ours", "hf")
    a, b = ours["settings"], theirs["settings"]
    assert set(a) == set(b)
    construction = {"framework", "execution", "feed", "optimizer.epsilon_placement",
                    "model.initializer", "optimizer.epsilon"}  # fmt: skip
    for name in sorted(set(a) - construction):
        assert a[name] == pytest.approx(b[name]), name
    # Each side's own epsilon, read back from its optimizer.
    assert (a["optimizer.epsilon"], b["optimizer.epsilon"]) == (1e-6, 1e-8)
    # Not decayed, counted from the shape: per layer the biases of query, key, value and
    # the two output layers (5 H), the intermediate bias (4 H) and two LayerNorms (4 H);
    # the embeddings' LayerNorm (2 H); the tags' biases.
    tags = len(a["data.labels"])
    assert a["data.labels"][0] == "O" and tags == 7  # BIO over LOC, ORG, PER
    per_layer = 5 * HIDDEN + 4 * HIDDEN + 4 * HIDDEN
    assert a["optimizer.undecayed_parameters"] == LAYERS * per_layer + 2 * HIDDEN + tags
    assert (
        a["optimizer.decayed_parameters"] + a["optimizer.undecayed_parameters"]
        == a["model.parameters"]
    )
    assert a["dropout.sites"] == {"hidden": 1 + 2 * LAYERS, "attention": LAYERS, "classifier": 1}
    assert (a["model.layers"], a["model.hidden"], a["dropout.hidden"]) == (LAYERS, HIDDEN, 0.1)
    assert a["data.train_rows"] > 40  # some of the 40 texts are split into windows
    for record in (ours, theirs):
        assert record["steps"] > 0 and record["real_tokens"] > 0
        assert record["tokens_per_s"] == pytest.approx(
            record["real_tokens"] / record["training_seconds"]
        )
    assert ours["train_config"]["adam_epsilon"] == 1e-6 and ours["train_config"]["dropout"] == 0.1
    assert results["runs"][1]["differs"] == [["optimizer.epsilon", 1e-6, 1e-8]]


@pytest.mark.slow
def test_a_deliberately_different_setting_is_caught(tiny_same_row, tmp_path):
    folder, common, results = tiny_same_row
    driver = load_driver("same_recipe")
    ours = results["runs"][0]["record"]["settings"]
    arguments = [
        str(PEERS / "hf_recipe_runner.py"), "--train", str(folder / "train.txt"),
        "--test", str(folder / "test.txt"), "--output-dir", str(tmp_path), *TINY,
        "--stride", "8", "--repair", "--minutes", "0.05", "--seed", "1", "--dropout", "0.05",
    ]  # fmt: skip
    (other,) = records(run_python(arguments, timeout=300))
    with pytest.raises(driver.SettingsDiffer) as caught:
        driver.check_pair(ours, other["settings"], allowed=("optimizer.epsilon",))
    named = {line.split(":")[0].strip() for line in str(caught.value).splitlines()[1:]}
    assert named == {"dropout.hidden", "dropout.attention", "dropout.classifier"}


@pytest.mark.slow
def test_suspect_rows_pair_with_the_same_rows_runs(tiny_same_row):
    folder, common, same = tiny_same_row
    driver = str(REPO_ROOT / "benchmarks" / "same_recipe.py")
    output = folder / "suspects"
    run_python(
        [driver, *common, "--rows", "suspects", "--suspects", "epsilon,init,hf-epsilon,feed",
         "--reference", str(folder / "same.json"), "--output", str(output)],
        timeout=600,
    )  # fmt: skip
    runs = json.loads(output.with_suffix(".json").read_text(encoding="utf-8"))["runs"]
    assert [(r["side"], r["label"].split(":")[0]) for r in runs] == [
        ("ours", "epsilon"),
        ("hf", "init"),
        ("hf", "hf-epsilon"),
        ("hf", "feed"),
    ]
    epsilon, init, hf_epsilon, feed = (r["record"]["settings"] for r in runs)
    assert epsilon["optimizer.epsilon"] == 1e-8 and runs[0]["differs"] == []
    assert init["model.initializer"] == "truncated normal, stddev 0.02"
    assert runs[1]["differs"] == [["optimizer.epsilon", 1e-6, 1e-8]]
    # Read back from Hugging Face's optimizer: the two sides' epsilons now equal.
    assert hf_epsilon["optimizer.epsilon"] == 1e-6 and runs[2]["differs"] == []
    assert "RandomSampler" in feed["feed"] and runs[3]["differs"] == [
        ["optimizer.epsilon", 1e-6, 1e-8]
    ]
    # Each run keeps the other side's same-row run it is compared with, and the file
    # says where those runs come from.
    by_side = {run["side"]: run["record"] for run in same["runs"]}
    for run, other in zip(runs, ("hf", "ours", "ours", "ours"), strict=True):
        assert run["paired"]["side"] == other and run["paired"]["row"] == "same"
        assert run["paired"]["f1"] == by_side[other]["f1"]
        assert run["paired"]["steps"] == by_side[other]["steps"] > 0
    text = output.with_suffix(".md").read_text(encoding="utf-8")
    assert f"from `{(folder / 'same.json').resolve()}`, written {same['written']}" in text
    assert f"same hf seed 1: f1 {100 * by_side['hf']['f1']:.2f}" in text


def test_resume_keeps_the_runs_of_its_jobs_and_refuses_another_recipe(tmp_path, capsys):
    driver = load_driver("same_recipe")
    data = ["--train", str(tmp_path / "train.txt"), "--test", str(tmp_path / "test.txt")]
    argv = [*data, *TINY, "--seeds", "1", "--output", str(tmp_path / "same"), "--resume"]
    args = driver.parse(argv)
    jobs = driver.interleaved(
        [1], lambda seed, side: driver.Job("same", "at the recipe", side, seed)
    )
    record = {"settings": {}, "steps": 7, "f1": 0.5, "tokens_per_s": 9.0, "training_seconds": 1}
    more = {"record": record, "differs": [], "load_before": [1, 1, 1], "load_after": [1, 1, 1]}
    runs = [json.loads(json.dumps(driver.dataclasses.asdict(job) | more)) for job in jobs]
    assert [driver.job_key(r) for r in runs] == [driver.job_key(j) for j in jobs]
    results = {"task": "ner", "minutes": args.minutes, "recipe": driver.recipe_text(args),
               "machine": driver.processes.machine(), "runs": runs}  # fmt: skip
    (tmp_path / "same.json").write_text(json.dumps(results), encoding="utf-8")
    driver.main(argv)  # both runs kept: nothing trains (no data files exist to train on)
    assert capsys.readouterr().out.count("kept from") == 2
    # Runs that no job of a resumed invocation matches (here: another seed) stay in the file.
    other = driver.parse(
        [*argv[: argv.index("--seeds")], "--seeds", "2", *argv[argv.index("--output") :]]
    )
    resumed = driver.Driver(
        other,
        {"description": "x"},
        tmp_path,
        None,
        driver.earlier_runs(tmp_path / "same.json", other),
    )
    resumed.write()
    kept = json.loads((tmp_path / "same.json").read_text(encoding="utf-8"))["runs"]
    assert [(r["side"], r["seed"]) for r in kept] == [("ours", 1), ("hf", 1)]
    with pytest.raises(SystemExit, match="cannot resume, recipe: .*warmup 2 steps"):
        driver.main([*argv, "--warmup", "5"])
    results["machine"]["cpu"] = "another CPU"
    (tmp_path / "same.json").write_text(json.dumps(results), encoding="utf-8")
    with pytest.raises(SystemExit, match="cannot resume, cpu: 'another CPU' there"):
        driver.main(argv)
