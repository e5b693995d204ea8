"""The friction register: blockers and red tape that slow a value stream, priced by cost of delay.

It reads flow figures through the flow context's public surface.

Its public surface is `__all__`: the names below, each loaded from its subject module on first use (so
importing the package costs nothing), and the public submodules `__all__` lists. Other contexts and the
shells import only these (tests/test_public_surface.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from missionos.surface import lazy_surface

if TYPE_CHECKING:
    from missionos.friction.apply import add_blocker as add_blocker
    from missionos.friction.apply import apply_register as apply_register
    from missionos.friction.apply import clear_blocker as clear_blocker
    from missionos.friction.apply import set_stream_value as set_stream_value
    from missionos.friction.document import read_register_file as read_register_file
    from missionos.friction.views import blocker_detail as blocker_detail
    from missionos.friction.views import register as register
    from missionos.friction.views import stream_values as stream_values

__all__ = [
    "add_blocker",
    "apply_register",
    "blocker_detail",
    "clear_blocker",
    "read_register_file",
    "register",
    "set_stream_value",
    "stream_values",
]

# Where each public name lives (the module, under this package).
_HOMES = {
    "add_blocker": "apply",
    "apply_register": "apply",
    "blocker_detail": "views",
    "clear_blocker": "apply",
    "read_register_file": "document",
    "register": "views",
    "set_stream_value": "apply",
    "stream_values": "views",
}
_SUBMODULES: frozenset[str] = frozenset([])

__getattr__, __dir__ = lazy_surface(__name__, _HOMES, _SUBMODULES)
