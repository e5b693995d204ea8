"""Strategic maps: Wardley maps (OWM text) and domain maps (bounded contexts), versioned beside the plans.

Its public surface is `__all__`: the names below, each loaded from its subject module on first use (so
importing the package costs nothing), and the public submodules `__all__` lists. Other contexts and the
shells import only these (tests/test_public_surface.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from missionos.maps.service import get as get
    from missionos.maps.service import kind_of as kind_of
    from missionos.maps.service import list_maps as list_maps
    from missionos.maps.service import read_file as read_file
    from missionos.maps.service import save as save

__all__ = [
    "get",
    "kind_of",
    "list_maps",
    "read_file",
    "save",
]

# Where each public name lives (the module, under this package).
_HOMES = {
    "get": "service",
    "kind_of": "service",
    "list_maps": "service",
    "read_file": "service",
    "save": "service",
}
_SUBMODULES: frozenset[str] = frozenset([])


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
