"""DESIGN.md's import layering: imports only point downwards, no module imports one that
imports it back; optional packages stay lazy; no module outside `tasks/` names a head or
a head's setting."""

import ast
import pathlib

from tests.helpers import run_python

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "tf_ner"

# Lower rank = lower layer. Modules of one rank may not import each other's packages
# (layers/losses/metrics know nothing of files; data knows nothing of Keras models).
RANKS = {
    "ground": 0,
    "optimization": 1,
    "bert": 2,
    "layers": 3,
    "losses": 3,
    "metrics": 3,
    "data": 3,
    "tasks": 4,
    "reports": 5,
    "train": 6,
    "studies": 7,
    "cli": 8,
    "demo": 8,
    "keras_objects": 9,
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


def module_imports():
    """`{module: modules of the package it imports}`, imports inside functions included
    (`from package import module` counts as importing the module)."""
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                inner = {f"{node.module}.{alias.name}" for alias in node.names}
                found |= (inner & modules.keys()) or {node.module}
        graph[name] = (found & modules.keys()) - {name}
    return graph


def test_no_module_imports_one_that_imports_it_back():
    graph = module_imports()
    circles = []
    for start in sorted(graph):
        seen, todo = set(), list(graph[start])
        while todo:
            module = todo.pop()
            if module == start:
                circles.append(start)
                break
            if module not in seen:
                seen.add(module)
                todo.extend(graph[module])
    assert circles == []


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


# What only `tasks/` may name: the heads and the settings of the heads (besides the
# heads' own Keras layers, in `layers/`, which know nothing of heads or settings).
HEAD_NAMES = {"crf", "softmax", "globalpointer", "efficient_globalpointer"}
HEAD_SETTINGS = {"head_settings", "crf_lr_multiplier"}


def named_heads(source):
    """String constants naming a head (docstrings aside) and names of heads' settings."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }  # fmt: skip
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and id(node) not in docstrings:
            if node.value in HEAD_NAMES or node.value in HEAD_SETTINGS:
                yield repr(node.value)
        elif isinstance(node, ast.Attribute) and node.attr in HEAD_SETTINGS:
            yield node.attr
        elif isinstance(node, ast.Name) and node.id in HEAD_SETTINGS:
            yield node.id
        elif isinstance(node, ast.keyword) and node.arg in HEAD_SETTINGS:
            yield node.arg


def test_no_module_outside_tasks_names_a_head_or_its_settings():
    from tf_ner.tasks.ner.heads import HEADS

    assert set(HEADS.builtin) == HEAD_NAMES
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if part_of(path) in ("tasks", "layers"):  # layers: a CRFModel's sublayer is "crf"
            continue
        names = sorted(set(named_heads(path.read_text(encoding="utf-8"))))
        if names:
            found.append(f"{path.relative_to(PACKAGE)}: {', '.join(names)}")
    assert found == []
