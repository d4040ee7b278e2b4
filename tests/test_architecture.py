"""The package's shape: no import circles (imports inside functions count), layers kept."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "som_mc"

#: Layers in data-flow order; a module may import only from its own layer or lower ones.
LAYERS = [
    {"_version", "errors", "types", "_io"},
    {"distributions", "_validation"},
    {"sampling"},
    {"catalog"},
    {"case"},
    {"model"},
    {"engine"},
    {"results"},
    {"stats"},
    {"run"},
    {"sensitivity"},
    {"present"},
    {"cli", "golden"},
]


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Every som_mc module `path` imports, at any depth (functions included)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        out |= {n for n in names if n in modules}
    return out


@functools.cache
def _graph() -> dict[str, set[str]]:
    modules = _modules()
    names = set(modules)
    return {m: _imports(p, names) - {m} for m, p in modules.items()}


def test_no_import_circles():
    graph = _graph()
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                cycles.append([*stack[stack.index(n) :], n])
            elif n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert not cycles, "import circles: " + "; ".join(" -> ".join(c) for c in cycles)


def _layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else ""
    for i, layer in enumerate(LAYERS):
        if top in layer:
            return i
    raise AssertionError(f"{module}: not in any layer; add it to LAYERS")


@pytest.mark.parametrize("module", sorted(m for m in _modules() if m != "som_mc"))
def test_imports_follow_the_data_flow(module):
    graph = _graph()
    upward = [n for n in graph[module] if n != "som_mc" and _layer(n) > _layer(module)]
    assert not upward, f"{module} imports from a later layer: {upward}"


def test_presentation_is_only_imported_at_the_top():
    graph = _graph()
    for module, deps in graph.items():
        if module != "som_mc" and _layer(module) < _layer("som_mc.present"):
            assert not [d for d in deps if d.startswith("som_mc.present")], module
