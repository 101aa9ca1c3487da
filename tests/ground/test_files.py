import pathlib

import pytest

from tf_ner.ground.files import atomic_dir, atomic_path, atomic_write_text


def test_a_file_appears_whole_or_not_at_all(tmp_path):
    path = tmp_path / "deep" / "model.weights.h5"
    with atomic_path(path) as temporary:
        assert temporary.endswith(".weights.h5") and not path.exists()
        pathlib.Path(temporary).write_text("new")
    assert path.read_text() == "new"
    with pytest.raises(RuntimeError), atomic_path(path) as temporary:
        pathlib.Path(temporary).write_text("half")
        raise RuntimeError("killed")
    assert path.read_text() == "new" and sorted(p.name for p in path.parent.iterdir()) == [
        "model.weights.h5"
    ]
    atomic_write_text(tmp_path / "a.json", "{}\n")
    assert (tmp_path / "a.json").read_text(encoding="utf-8") == "{}\n"


def test_a_folder_is_replaced_only_on_success(tmp_path):
    folder = tmp_path / "saved_model"
    with atomic_dir(folder) as temporary:
        (pathlib.Path(temporary) / "a").write_text("1")
    with pytest.raises(RuntimeError), atomic_dir(folder) as temporary:
        (pathlib.Path(temporary) / "b").write_text("2")
        raise RuntimeError("killed")
    assert sorted(p.name for p in folder.iterdir()) == ["a"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["saved_model"]
