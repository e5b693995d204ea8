"""The import graph of `missionos`, read from the source with `ast` (DEVELOPERS.md "Architecture rules").

Every `import missionos...` and `from missionos... import ...` (absolute or relative) counts, at module level
(including under `if TYPE_CHECKING:`) and inside functions; each resolves to the deepest `missionos` module it
names (`from missionos.compliance import oscal` is an import of `missionos.compliance.oscal`).

- No cycle counting module-level imports, anywhere in the package.
- Counting imports inside functions too, the only cycles are the ones `KNOWN_LAZY_CYCLES` lists: a fixed one
  must leave the list, and a new one fails.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

# Cycles that close only through an import inside a function, each to be broken in its turn (none left).
KNOWN_LAZY_CYCLES: set[frozenset[str]] = set()


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported missionos module
    line: int
    lazy: bool  # inside a function


def modules(src: Path) -> dict[str, Path]:
    """Every module of the `missionos` package under `src`, by dotted name (a package by its `__init__`)."""
    found: dict[str, Path] = {}
    for path in sorted((src / "missionos").rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _resolve(name: str, known: Mapping[str, Path]) -> str | None:
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str, known: Mapping[str, Path]) -> Iterator[Import]:
    path = known[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def visit(node: ast.AST, lazy: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                names = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    stem = ".".join(base + ([child.module] if child.module else []))
                else:
                    stem = child.module or ""
                names = [f"{stem}.{a.name}" for a in child.names]
            else:
                inner = lazy or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
                yield from visit(child, inner)
                continue
            for name in names:
                target = _resolve(name, known) if name.split(".")[0] == "missionos" else None
                if target and target != module:
                    yield Import(module, target, child.lineno, lazy)

    yield from visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), False)


@cache
def graph(src: Path = SRC) -> tuple[Import, ...]:
    known = modules(src)
    return tuple(i for m in known for i in imports_of(m, known))


def cycles(imports: Iterable[Import]) -> set[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    edges: dict[str, set[str]] = {}
    for i in imports:
        edges.setdefault(i.source, set()).add(i.target)
        edges.setdefault(i.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: set[frozenset[str]] = set()

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(edges[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.add(frozenset(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for v in sorted(edges):
            if v not in index:
                connect(v)
    finally:
        sys.setrecursionlimit(limit)
    return found


def describe(found: Iterable[frozenset[str]], imports: Iterable[Import]) -> str:
    lines = []
    pool = list(imports)
    for cycle in sorted(found, key=sorted):
        lines.append(" <-> ".join(sorted(cycle)))
        for i in pool:
            if i.source in cycle and i.target in cycle:
                where = "in a function" if i.lazy else "at module level"
                lines.append(f"    {i.source} line {i.line} imports {i.target} {where}")
    return "\n".join(lines)


def test_no_cycle_among_module_level_imports() -> None:
    eager = [i for i in graph() if not i.lazy]
    found = cycles(eager)
    assert not found, "import cycles at module level:\n" + describe(found, eager)


def test_cycles_through_imports_in_functions_are_only_the_known_ones() -> None:
    found = cycles(graph())
    assert found - KNOWN_LAZY_CYCLES == set(), "new import cycles:\n" + describe(
        found - KNOWN_LAZY_CYCLES, graph()
    )
    assert KNOWN_LAZY_CYCLES - found == set(), "broken cycles still listed in KNOWN_LAZY_CYCLES"


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("missionos.compliance.pack", "missionos.compliance.pack_oscal"),
        ("missionos.compliance.pack", "missionos.compliance.oscal"),
        ("missionos.compliance.pack", "missionos.compliance.assess"),
        ("missionos.web.deps", "missionos.web.security"),
        ("missionos.strategy.goals", "missionos.strategy.plan"),
        ("missionos.strategy.loop", "missionos.strategy.service"),
    ],
)
def test_broken_cycles_stay_broken(one: str, other: str) -> None:
    assert not [c for c in cycles(graph()) if {one, other} <= c]


def test_the_graph_sees_imports_in_functions_and_relative_imports(tmp_path: Path) -> None:
    package = tmp_path / "missionos" / "ctx"
    package.mkdir(parents=True)
    (tmp_path / "missionos" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text("def late():\n    from missionos.ctx.a import x\n")
    (package / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import y\n"
    )
    imports = set(graph(tmp_path))
    assert imports == {
        Import("missionos.ctx.a", "missionos.ctx.b", 1, False),
        Import("missionos.ctx.b", "missionos.ctx.a", 2, True),
        Import("missionos.ctx.c", "missionos.ctx.a", 3, False),
    }
    assert cycles(i for i in imports if not i.lazy) == set()
    assert cycles(imports) == {frozenset({"missionos.ctx.a", "missionos.ctx.b"})}
