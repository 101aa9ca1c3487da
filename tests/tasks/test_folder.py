"""Model folders written before the settings were split still load and predict the same."""

import json
import pathlib

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
