"""DESIGN.md's import layering: imports only point downwards; optional packages stay lazy."""

import ast
import pathlib

from tests.helpers import run_python

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "tf_ner"

# Lower rank = lower layer. Modules of one rank may not import each other's packages
# (layers/losses/metrics know nothing of files; data knows nothing of Keras models).
RANKS = {
    "files": 0,
    "lazy": 0,
    "masking": 0,
    "quiet": 0,
    "span_cells": 0,
    "optimization": 0,
    "bert": 1,
    "layers": 2,
    "losses": 2,
    "metrics": 2,
    "data": 2,
    "tasks": 3,
    "train": 4,
    "cli": 5,
    "demo": 5,
    "registration": 6,
}
SIBLINGS_ALLOWED = {
    ("layers", "losses"),
    ("losses", "layers"),
    ("metrics", "layers"),
    ("metrics", "losses"),
}


def part_of(module_path):
    relative = module_path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def imported_parts(source):
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            pieces = name.split(".")
            if pieces[0] == "tf_ner" and len(pieces) > 1:
                yield pieces[1]


def test_imports_point_downwards():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "__init__.py" and path.parent == PACKAGE:
            continue
        own = part_of(path)
        for other in set(imported_parts(path.read_text(encoding="utf-8"))):
            if other == own or (own, other) in SIBLINGS_ALLOWED:
                continue
            if RANKS[other] >= RANKS[own]:
                wrong.append(f"{path.relative_to(PACKAGE)} imports tf_ner.{other}")
    assert wrong == []


def test_optional_packages_are_not_imported_with_the_package():
    code = """
import sys
import tf_ner, tf_ner.bert, tf_ner.data, tf_ner.layers, tf_ner.losses, tf_ner.metrics
import tf_ner.optimization, tf_ner.tasks.ner, tf_ner.train.loop, tf_ner.cli
tf_ner.cli.build_parser()
# (matplotlib is not checked: TensorFlow 2.21 itself imports it.)
loaded = sorted(m for m in ("torch", "transformers", "tf_keras", "bert4keras")
                if m in sys.modules)
print(loaded)
"""
    assert run_python(code).stdout.strip().splitlines()[-1] == "[]"
