"""Strategic maps: Wardley maps (OWM text) and domain maps (bounded contexts), versioned beside the plans.

Its public surface is `__all__`: the names below, each loaded from its subject module on first use (so
importing the package costs nothing), and the public submodules `__all__` lists. Other contexts and the
shells import only these (tests/test_public_surface.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from missionos.surface import lazy_surface

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

__getattr__, __dir__ = lazy_surface(__name__, _HOMES, _SUBMODULES)
