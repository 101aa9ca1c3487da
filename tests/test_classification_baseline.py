"""benchmarks/classification_baseline.py on a tiny stand-in corpus (the real run: results/)."""

import importlib.util

from tests.helpers import REPO_ROOT


def load_baseline():
    path = REPO_ROOT / "benchmarks" / "classification_baseline.py"
    spec = importlib.util.spec_from_file_location("classification_baseline", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_baseline_scores_and_writes_its_table(tmp_path):
    negative, positive = tmp_path / "neg.txt", tmp_path / "pos.txt"
    negative.write_text("".join(f"差评{i}太吵很脏\n" for i in range(40)), encoding="utf-8")
    positive.write_text("".join(f"好评{i}干净安静\n" for i in range(40)), encoding="utf-8")
    output = tmp_path / "table.md"
    args = ["--corpus", str(negative), str(positive), "--c-grid", "1,4", "--output", str(output)]
    result = load_baseline().main(args)
    assert result["test"] == {"accuracy": 1.0, "macro_f1": 1.0}
    assert result["c"] == 1.0  # the first of equally good values
    text = output.read_text(encoding="utf-8")
    assert (
        "| TF-IDF char 1-3 + logistic regression (C=1) | 100.00 | 100.00 | 100.00 | 100.00 |"
        in text
    )
    assert "train 64 (negative 32, positive 32), dev 8" in text
    assert f"Command: `python benchmarks/classification_baseline.py {' '.join(args)}`" in text
