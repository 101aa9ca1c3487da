import argparse

import pytest

from tests.ground.variants import KINDS, Shared, Top, Wide
from tf_ner.ground.errors import SettingsError
from tf_ner.ground.flags import add_flags, flag_values, owned_fields, settings_from_flags


def parser_of(settings_type=Top, **options):
    parser = argparse.ArgumentParser(prog="p")
    add_flags(parser, settings_type, **options)
    return parser


def parse(argv):
    parser = parser_of()
    args = parser.parse_args(argv)
    defaults = {name: parser.get_default(name) for name in vars(args)}
    return settings_from_flags(Top, vars(args), defaults)


def test_a_flag_declared_by_several_variants_is_one_flag_in_a_group_naming_them():
    owned = owned_fields(Top)
    assert list(owned) == ["kind", "rate", "depth", "width"]
    assert owned["depth"].owners == [(KINDS, "tall"), (KINDS, "wide")]
    groups = {g.title: [a.dest for a in g._group_actions] for g in parser_of()._action_groups}
    assert groups["--kind tall, wide"] == ["depth"] and groups["--kind wide"] == ["width"]
    text = " ".join(parser_of().format_help().split())
    assert "how deep (default 2)" in text and "--kind {tall,wide}" in text


def test_the_flags_build_the_nested_settings_and_refuse_another_variants_flag():
    assert parse([]) == Top()
    assert parse(["--kind", "wide", "--width", "4", "--depth", "3"]) == Top(
        kind="wide", kind_settings=Wide(depth=3, width=4)
    )
    assert parse(["--depth", "5"]) == Top(kind_settings=Shared(depth=5))
    with pytest.raises(SettingsError, match="--width is a setting of --kind wide, not of this "
                       r"run \(--kind tall\)"):  # fmt: skip
        parse(["--width", "4"])


def test_defaults_given_replace_the_declared_ones_and_round_trip():
    chosen = Top(kind="wide", rate=0.2, kind_settings=Wide(width=6))
    assert flag_values(chosen) == {"kind": "wide", "rate": 0.2, "depth": 2, "width": 6}
    parser = parser_of(defaults=flag_values(chosen))
    args = parser.parse_args([])
    defaults = {name: parser.get_default(name) for name in vars(args)}
    assert settings_from_flags(Top, vars(args), defaults) == chosen
    assert "--width" not in parser_of(hidden=("width",)).format_help()
    assert "--depth" in parser_of(only={"kind": "tall"}).format_help()
    assert "--width" not in parser_of(only={"kind": "tall"}).format_help()


def test_two_different_declarations_of_one_name_are_refused():
    import dataclasses

    from tf_ner.ground.registry import Registry
    from tf_ner.ground.settings import check, setting

    @dataclasses.dataclass(frozen=True)
    class Other:
        depth: int = setting(9, "something else")

    clash = Registry("kind", "tests.ground.none", {"a": ("x", Shared), "b": ("y", Other)}, "K")

    @dataclasses.dataclass(frozen=True)
    class Clashing:
        kind: str = setting("a", "the kind", variants=clash)
        kind_settings: object = None

        def __post_init__(self):
            check(self)

    with pytest.raises(SettingsError, match="depth is declared differently by --kind a and "
                       "--kind b"):  # fmt: skip
        owned_fields(Clashing)
