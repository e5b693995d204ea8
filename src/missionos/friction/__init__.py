"""The friction register: blockers and red tape that slow a value stream, priced by cost of delay.

Its public surface is `missionos.friction.service`; it reads flow figures through the flow context's service.

Its public surface is `__all__`: the names below, each loaded from its subject module on first use (so
importing the package costs nothing), and the public submodules `__all__` lists. Other contexts and the
shells import only these (tests/test_public_surface.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from missionos.surface import lazy_surface

if TYPE_CHECKING:
    from missionos.friction.service import add_blocker as add_blocker
    from missionos.friction.service import apply_register as apply_register
    from missionos.friction.service import blocker_detail as blocker_detail
    from missionos.friction.service import clear_blocker as clear_blocker
    from missionos.friction.service import read_register_file as read_register_file
    from missionos.friction.service import register as register
    from missionos.friction.service import set_stream_value as set_stream_value
    from missionos.friction.service import stream_values as stream_values

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
    "add_blocker": "service",
    "apply_register": "service",
    "blocker_detail": "service",
    "clear_blocker": "service",
    "read_register_file": "service",
    "register": "service",
    "set_stream_value": "service",
    "stream_values": "service",
}
_SUBMODULES: frozenset[str] = frozenset([])

__getattr__, __dir__ = lazy_surface(__name__, _HOMES, _SUBMODULES)
