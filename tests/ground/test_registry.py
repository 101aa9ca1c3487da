import dataclasses
import sys

import pytest

from tests.ground.variants import KINDS, Shared, Wide
from tf_ner.ground.errors import SettingsError
from tf_ner.ground.registry import Registry


def test_builtin_settings_types_are_read_without_importing_the_variant():
    assert KINDS.names() == ("tall", "wide")
    assert KINDS.settings_type("wide") is Wide
    assert "nowhere" not in sys.modules
    with pytest.raises(ModuleNotFoundError):
        KINDS.get("tall")
    with pytest.raises(SettingsError, match="unknown kind 'deep'; expected one of tall, wide"):
        KINDS.get("deep")


def test_a_variant_registered_by_code_wins_and_needs_a_name_and_settings():
    registry = Registry("kind", "tests.ground.none", {"tall": ("nowhere.tall", Shared)}, "KIND")
    tall = type("Tall", (), {"name": "tall", "settings_type": Wide})()
    assert registry.register(tall) is tall
    assert registry.get("tall") is tall and registry.settings_type("tall") is Wide
    with pytest.raises(SettingsError, match="needs a non-empty str `name`"):
        registry.register(object())
    with pytest.raises(SettingsError, match="has no `settings_type`"):
        registry.register(type("Bare", (), {"name": "bare", "settings_type": None})())


PLUGIN = '''
import dataclasses


@dataclasses.dataclass(frozen=True)
class RoundSettings:
    radius: int = 1


class Round:
    name = "round"
    settings_type = RoundSettings


KIND = Round()
WRONG = Round()
'''


def test_a_variant_of_another_package_is_found_through_its_entry_point(tmp_path, monkeypatch):
    (tmp_path / "round_kind.py").write_text(PLUGIN, encoding="utf-8")
    info = tmp_path / "round_kind-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: round-kind\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[tests.ground.round]\nround = round_kind:KIND\noval = round_kind:WRONG\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry("kind", "tests.ground.round", {"tall": ("nowhere.tall", Shared)}, "KIND")
    assert registry.names() == ("tall", "round", "oval")
    assert "round_kind" not in sys.modules  # listed without importing it
    assert dataclasses.fields(registry.settings_type("round"))[0].name == "radius"
    assert registry.get("round") is sys.modules["round_kind"].KIND
    with pytest.raises(SettingsError, match="oval = round_kind:WRONG .* whose `name` is 'round'"):
        registry.get("oval")
