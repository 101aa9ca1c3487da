"""Model folders written before the settings were split still load and predict the same."""

import json
import pathlib
import shutil

import pytest

from tests.helpers import run_python

FOLDERS = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "folders_0_1"
EXPECTED = json.loads((FOLDERS / "expected.json").read_text(encoding="utf-8"))

PREDICT = """
import json, sys
import tf_ner
folder, texts = sys.argv[1], json.loads(sys.argv[2])
print(json.dumps(tf_ner.load(folder).predict(texts), ensure_ascii=False))
"""


def close(found, expected):
    """Equal, but for the last digit of rounded scores and probabilities."""
    if isinstance(expected, dict):
        return found.keys() == expected.keys() and all(
            close(found[k], expected[k]) for k in expected
        )
    if isinstance(expected, list):
        return len(found) == len(expected) and all(map(close, found, expected))
    if isinstance(expected, float):
        return abs(found - expected) <= 2e-4
    return found == expected


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_an_old_folder_predicts_as_it_did_in_a_new_process(name):
    expected = EXPECTED[name]
    output = run_python(
        ["-c", PREDICT, str(FOLDERS / name), json.dumps(expected["texts"], ensure_ascii=False)]
    ).stdout
    found = json.loads(output.splitlines()[-1])
    assert close(found, expected["predictions"]), (found, expected["predictions"])


def test_task_json_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    from tf_ner.tasks.folder import read_task, write_task
    from tf_ner.tasks.ner.settings import NerSettings
    from tf_ner.tasks.ner.task import NerTask

    write_task(NerTask(NerSettings(types=["PER"])), tmp_path)
    before = (tmp_path / "task.json").read_text(encoding="utf-8")
    original = pathlib.Path.write_text

    def interrupted(self, text, *args, **kwargs):
        original(self, text[: len(text) // 2], *args, **kwargs)
        raise OSError("no space left on device")

    monkeypatch.setattr(pathlib.Path, "write_text", interrupted)
    with pytest.raises(OSError, match="no space left"):
        write_task(NerTask(NerSettings(types=["LOC"])), tmp_path)
    monkeypatch.undo()
    assert (tmp_path / "task.json").read_text(encoding="utf-8") == before
    assert [p.name for p in tmp_path.iterdir()] == ["task.json"]
    assert read_task(tmp_path).settings.types == ("PER",)


def test_a_new_process_folds_punctuation_as_the_folder_says(tmp_path):
    """`fold_width` travels in task.json: a folder that records it reads ',' as '，' (in
    its vocabulary) in a new process; a folder written before it, without the key, reads
    ',' as [UNK] as it did."""
    folder = tmp_path / "ner_crf"
    shutil.copytree(FOLDERS / "ner_crf", folder)
    vocab = (folder / "vocab.txt").read_text(encoding="utf-8").splitlines()
    vocab[vocab.index("七")] = "，"  # no test text holds 七; the vocabulary keeps its size
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    ids = "import sys, tf_ner; print(tf_ner.load(sys.argv[1]).tokenizer.tokenize('五,').ids)"

    def comma_id():
        return json.loads(run_python(["-c", ids, str(folder)]).stdout.splitlines()[-1])[1]

    assert comma_id() == vocab.index("[UNK]")
    task = json.loads((folder / "task.json").read_text(encoding="utf-8"))
    task["settings"]["fold_width"] = True
    (folder / "task.json").write_text(json.dumps(task), encoding="utf-8")
    assert comma_id() == vocab.index("，")
