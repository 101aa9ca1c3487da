"""`python -m tf_ner.demo` writes what it prints to its results file (a tiny corpus in
place of MSRA, a tiny checkpoint, a budget of about a second)."""

from tests.train.corpus import tiny_examples
from tf_ner import demo
from tf_ner.bert.tiny import write_random_checkpoint
from tf_ner.data import write_dataset


def test_the_demo_writes_its_report_to_the_results_file(tmp_path, monkeypatch, capsys):
    train, test = tmp_path / "msra_train.txt", tmp_path / "msra_test.txt"
    write_dataset(tiny_examples(16, seed=0), train, format="char_bio")
    write_dataset(tiny_examples(4, seed=1), test, format="char_bio")
    monkeypatch.setattr(demo, "msra_files", lambda: (train, test))
    characters = sorted({c for e in tiny_examples(16, seed=0) for c in e.text})
    write_random_checkpoint(tmp_path / "bert", tokens=characters)
    results = tmp_path / "results" / "demo.txt"
    argv = ["--minutes", "0.02", "--bert-dir", str(tmp_path / "bert"),
            "--output-dir", str(tmp_path / "model"), "--results", str(results)]  # fmt: skip
    demo.main(argv)
    printed = capsys.readouterr().out
    report = results.read_text(encoding="utf-8")
    # The file is what the run printed, but for the line that names the file.
    assert printed == report + f"\nthis report: {results}\n"
    lines = report.splitlines()
    assert lines[0] == "python -m tf_ner.demo " + " ".join(argv)
    expected = [
        "training: 16 examples",  # the start-up line
        "epoch 1: ",
        "stopped: time budget of 0.02",
        f"test ({test}):",
        "overall ",
        "entities found in sample sentences:",
    ]
    for start in expected:
        assert any(line.startswith(start) for line in lines), start
    for sample in demo.SAMPLES:
        at = lines.index(f"  {sample}")
        assert lines[at + 1].startswith("    -> ")
