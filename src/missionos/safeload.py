"""The one way Mission OS reads YAML (strategy plans, compliance packs, friction and map files, org and
sources files, experiment definitions, evidence) and deeply nested JSON: bounded before anything is built.

A YAML alias repeats a whole subtree without repeating its text, so a few hundred bytes can stand for
millions of values ("billion laughs"). `load` composes the node graph (which shares aliased subtrees, so it
stays as small as the text), then refuses, naming the line, a document with more than `MAX_ALIASES` aliases,
one that would expand to more than `MAX_NODES` values, or one nested deeper than `MAX_DEPTH`; and any text
over `MAX_BYTES`. Only then is the data constructed. `check_json_depth` refuses JSON nested deeper than
`MAX_DEPTH` before `json.loads` recurses into it.

Limits (environment, read on each call): `MISSIONOS_YAML_MAX_BYTES` (default 5 MiB),
`MISSIONOS_YAML_MAX_ALIASES` (100), `MISSIONOS_YAML_MAX_NODES` (1,000,000).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from missionos.errors import InputError, TooLargeError

MAX_DEPTH = 200
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def max_bytes() -> int:
    return int(os.environ.get("MISSIONOS_YAML_MAX_BYTES", 5 * 1024 * 1024))


def max_aliases() -> int:
    return int(os.environ.get("MISSIONOS_YAML_MAX_ALIASES", 100))


def max_nodes() -> int:
    return int(os.environ.get("MISSIONOS_YAML_MAX_NODES", 1_000_000))


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def check_nodes(root: yaml.Node | None, *, source: str) -> None:
    """Refuse a composed document that expands too far, uses too many aliases, or nests too deeply."""
    if root is None:
        return
    # A node seen again is an alias (PyYAML composes an alias as the very node its anchor names).
    seen: set[int] = set()
    aliases = 0
    expanded: dict[int, int] = {}  # a node's size once its aliases are expanded
    limit_nodes, limit_aliases = max_nodes(), max_aliases()
    # Iterative post-order walk: (node, depth, children done?)
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        if depth > MAX_DEPTH:
            raise InputError(f"YAML nested deeper than {MAX_DEPTH} levels", source=source, line=_line(node))
        children: list[yaml.Node]
        if isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        else:
            children = []
        if not done:
            if id(node) in seen:
                if id(node) not in expanded:  # an alias of a node that contains it
                    raise InputError(
                        "YAML with an alias inside its own anchor", source=source, line=_line(node)
                    )
                aliases += 1
                if aliases > limit_aliases:
                    raise InputError(
                        f"YAML with more than {limit_aliases} aliases (a document that repeats itself "
                        "this much is refused)",
                        source=source,
                        line=_line(node),
                    )
                continue  # its size is counted where it is used, below
            seen.add(id(node))
            stack.append((node, depth, True))
            stack.extend((child, depth + 1, False) for child in children)
            continue
        size = 1 + sum(expanded.get(id(child), 1) for child in children)
        if size > limit_nodes:
            raise InputError(
                f"YAML that expands to more than {limit_nodes:,} values through its aliases",
                source=source,
                line=_line(node),
            )
        expanded[id(node)] = size


def line_of(node: yaml.Node | None, path: Sequence[str | int]) -> int | None:
    """The 1-based line of the YAML node at `path` (keys and list positions), or of its deepest part that
    exists; None without a node (a document that did not come from YAML text)."""
    if node is None:
        return None
    current = node
    for part in path:
        child: yaml.Node | None = None
        if isinstance(current, yaml.MappingNode) and isinstance(part, str):
            child = next((v for k, v in current.value if getattr(k, "value", None) == part), None)
        elif (
            isinstance(current, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(current.value)
        ):
            child = current.value[part]
        if child is None:
            break
        current = child
    return int(current.start_mark.line) + 1


def read_text(path: Path, *, what: str, limit: int | None = None) -> str:
    """The UTF-8 text of the file a user named, or an `InputError` naming it and saying what was expected
    (`what`, e.g. "a platform file (YAML or JSON)"): missing, a directory, unreadable, over `limit` bytes
    (default: `MISSIONOS_YAML_MAX_BYTES`) or not UTF-8."""
    limit = max_bytes() if limit is None else limit
    try:
        if not path.is_file():
            raise InputError(f"expected {what}; no such file", source=str(path))
        size = path.stat().st_size
        if size > limit:
            raise TooLargeError(f"expected {what} of at most {limit:,} bytes ({size:,})", source=str(path))
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"expected {what} in UTF-8 text", source=str(path)) from None
    except OSError as exc:
        raise InputError(
            f"expected {what}; cannot read it ({exc.strerror or exc})", source=str(path)
        ) from None


def load_document(text: str | bytes, *, source: str, expected: str = "YAML") -> tuple[Any, yaml.Node | None]:
    """`load_with_node` for a user's document, its errors worded "expected {expected} (...)"."""
    try:
        return load_with_node(text, source=source)
    except TooLargeError:
        raise
    except InputError as exc:
        problem = exc.message.removeprefix("not valid YAML: ")
        raise InputError(f"expected {expected} ({problem})", source=source, line=exc.line) from None


def _check_size(text: str | bytes, source: str) -> None:
    size = len(text.encode("utf-8")) if isinstance(text, str) else len(text)
    limit = max_bytes()
    if size > limit:
        raise TooLargeError(f"YAML of {size:,} bytes is over the limit of {limit:,} bytes", source=source)


def compose(text: str | bytes, *, source: str) -> yaml.Node | None:
    """The checked node graph of one YAML document (None when it is empty); YAML errors name the line."""
    _check_size(text, source)
    try:
        loader = _Loader(text)
        try:
            node: yaml.Node | None = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise InputError(
            f"not valid YAML: {exc.problem or exc}", source=source, line=mark.line + 1 if mark else None
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", source=source) from None
    except RecursionError:
        raise InputError(f"YAML nested deeper than {MAX_DEPTH} levels", source=source) from None
    check_nodes(node, source=source)
    return node


def construct(node: yaml.Node | None, *, source: str) -> Any:
    """The data of a node graph `compose` returned."""
    if node is None:
        return None
    loader = _Loader("")
    try:
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            f"not valid YAML: {getattr(exc, 'problem', None) or exc}",
            source=source,
            line=mark.line + 1 if mark else None,
        ) from None
    finally:
        loader.dispose()


def load(text: str | bytes, *, source: str = "YAML") -> Any:
    """The data of one YAML document, bounded as this module says; `InputError` names the source and line."""
    return construct(compose(text, source=source), source=source)


def load_with_node(text: str | bytes, *, source: str = "YAML") -> tuple[Any, yaml.Node | None]:
    """The data and its node graph (for line numbers of later problems)."""
    node = compose(text, source=source)
    return construct(node, source=source), node


_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


def check_json_depth(text: str | bytes, *, source: str, limit: int = MAX_DEPTH, first_line: int = 1) -> None:
    """Refuse JSON nested deeper than `limit` (before `json.loads` recurses into it), naming the line."""
    raw = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return
    import numpy as np

    # Strings may hold brackets; JSON strings hold no raw newline, so lines survive their removal.
    bare = _STRING.sub(b"", raw)
    codes = np.frombuffer(bare, dtype=np.uint8)
    steps = ((codes == 0x5B) | (codes == 0x7B)).astype(np.int32) - ((codes == 0x5D) | (codes == 0x7D))
    depth = np.cumsum(steps)
    if depth.size and int(depth.max()) > limit:
        at = int(np.argmax(depth > limit))
        line = bare.count(b"\n", 0, at) + first_line
        raise InputError(f"JSON nested deeper than {limit} levels", source=source, line=line)


def loads_json(text: str | bytes, *, source: str, first_line: int = 1) -> Any:
    """`json.loads`, refusing JSON nested too deeply with an `InputError` (naming the line, counted from
    `first_line`) instead of a crash. Bad JSON still raises `json.JSONDecodeError`."""
    check_json_depth(text, source=source, first_line=first_line)
    try:
        return json.loads(text)
    except RecursionError:
        raise InputError(
            f"JSON nested deeper than {MAX_DEPTH} levels", source=source, line=first_line
        ) from None


def json_object_line(text: str | bytes, *, source: str, line: int) -> dict[str, Any]:
    """One line of a JSON Lines file, which must hold a JSON object; `InputError` names the file and line."""
    try:
        value = loads_json(text, source=source, first_line=line)
    except json.JSONDecodeError as exc:
        raise InputError(f"expected one JSON object per line ({exc.msg})", source=source, line=line) from None
    if not isinstance(value, dict):
        raise InputError("expected a JSON object", source=source, line=line)
    return value
