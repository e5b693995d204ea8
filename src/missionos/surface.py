"""A context package's public surface, loaded lazily (PEP 562).

Each context's `__init__.py` lists its public names with the module that defines each (`homes`) and its
public submodules, and takes its module `__getattr__` and `__dir__` from `lazy_surface`: importing the
package costs nothing, and a name's module is imported on first use. Nothing is cached on the package, so a
name always reads its home's current value.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_surface(
    package: str, homes: Mapping[str, str], submodules: frozenset[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The `__getattr__` and `__dir__` of `package`, whose names live in `homes` (name -> module under it)."""

    def getattr_(name: str) -> Any:
        if name in submodules:
            return importlib.import_module(f"{package}.{name}")
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{home}"), name)

    def dir_() -> list[str]:
        names = vars(sys.modules[package])
        return sorted(set(names) | set(names.get("__all__", ())))

    return getattr_, dir_
