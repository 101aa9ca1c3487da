import dataclasses

import pytest

from tests.ground.variants import Shared, Top, Wide
from tf_ner.ground.errors import SettingsError
from tf_ner.ground.settings import Situation, differences, flag_fields, from_dict, resolved


def test_a_chosen_variants_settings_are_its_defaults_read_or_refused():
    assert Top().kind_settings == Shared()
    assert Top(kind="wide", kind_settings={"width": 3}).kind_settings == Wide(width=3)
    with pytest.raises(SettingsError, match="kind 'flat': expected one of tall, wide"):
        Top(kind="flat")
    with pytest.raises(SettingsError, match="kind_settings: Shared given, but the kind 'wide'"):
        Top(kind="wide", kind_settings=Shared())
    with pytest.raises(SettingsError, match=r"kind_settings of the kind wide: unknown setting"):
        Top(kind="wide", kind_settings={"height": 3})
    assert [f.name for f in flag_fields(Top)] == ["kind", "rate"]  # `label` is no flag


def test_reading_refuses_unknown_keys_naming_them():
    assert from_dict(Top, {"rate": 0.2}, "top.json") == Top(rate=0.2)
    with pytest.raises(SettingsError, match=r"top.json: unknown setting\(s\) \['speed'\]"):
        from_dict(Top, {"speed": 1}, "top.json")


def test_situational_defaults_resolve_the_variants_too():
    top = Top(kind="wide")
    assert resolved(top, Situation.SCRATCH) == Top(kind="wide", rate=0.5,
                                                   kind_settings=Wide(width=1))  # fmt: skip
    assert resolved(top, Situation.PRETRAINED) == Top(kind="wide", rate=0.1,
                                                      kind_settings=Wide(width=8))  # fmt: skip
    # A triple has a compact default; a pair gives compact the pre-trained one.
    assert resolved(top, Situation.COMPACT) == Top(kind="wide", rate=0.3,
                                                   kind_settings=Wide(width=8))  # fmt: skip
    given = Top(kind="wide", rate=0.2, kind_settings=Wide(width=2))
    assert resolved(given, Situation.COMPACT) == given


def test_the_situation_is_compact_below_bert_bases_width():
    of = Situation.of_checkpoint
    assert of(768) == of(1024) == Situation.PRETRAINED
    assert of(767) == of(256) == Situation.COMPACT


def test_differences_name_nested_settings():
    a = Top(kind="wide", kind_settings=Wide(width=2))
    b = dataclasses.replace(a, kind_settings=Wide(width=3), rate=0.1)
    assert differences(a, b) == [("kind_settings.width", 2, 3), ("rate", None, 0.1)]
    assert differences(a, a) == []
