"""A tiny corpus in three splits, written as char BIO files."""

import random

import pytest

PEOPLE = ["李鹏", "王小明", "张三", "赵四"]
PLACES = ["北京", "上海", "中国", "南京路"]
ORGS = ["新华社", "复旦大学", "人民日报"]


def sentence(rng):
    parts = [
        ("今天", None),
        (rng.choice(PEOPLE), "PER"),
        ("在", None),
        (rng.choice(PLACES), "LOC"),
        ("访问了", None),
        (rng.choice(ORGS), "ORG"),
        ("。", None),
    ]
    lines = []
    for text, type_ in parts:
        for i, char in enumerate(text):
            lines.append(f"{char} {'O' if type_ is None else ('B-' if i == 0 else 'I-') + type_}")
    return "\n".join(lines)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    rng = random.Random(0)
    sentences = [sentence(rng) for _ in range(48)]
    for name, part in (
        ("train", sentences[:32]),
        ("dev", sentences[32:40]),
        ("test", sentences[40:]),
    ):
        (folder / f"{name}.txt").write_text("\n\n".join(part) + "\n", encoding="utf-8")
    return folder
