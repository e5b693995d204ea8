"""Verified platform capabilities: what a platform advertises, what teams need, and which offers a real
production deployment has used.

 It reads deployments through the delivery context's
service and SBOM purls and evidence kinds through the compliance context's service.

Its public surface is `__all__`: the names below, each loaded from its subject module on first use (so
importing the package costs nothing), and the public submodules `__all__` lists. Other contexts and the
shells import only these (tests/test_public_surface.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from missionos.surface import lazy_surface

if TYPE_CHECKING:
    from missionos.platform.apply import advertise as advertise
    from missionos.platform.apply import apply_document as apply_document
    from missionos.platform.apply import check as check
    from missionos.platform.apply import declare_needs as declare_needs
    from missionos.platform.apply import record_binding as record_binding
    from missionos.platform.apply import withdraw as withdraw
    from missionos.platform.document import SECTIONS as SECTIONS
    from missionos.platform.document import read_platform_file as read_platform_file
    from missionos.platform.overviews import overview as overview
    from missionos.platform.overviews import team as team

__all__ = [
    "SECTIONS",
    "advertise",
    "apply_document",
    "check",
    "declare_needs",
    "overview",
    "read_platform_file",
    "record_binding",
    "team",
    "withdraw",
]

# Where each public name lives (the module, under this package).
_HOMES = {
    "SECTIONS": "document",
    "advertise": "apply",
    "apply_document": "apply",
    "check": "apply",
    "declare_needs": "apply",
    "overview": "overviews",
    "read_platform_file": "document",
    "record_binding": "apply",
    "team": "overviews",
    "withdraw": "apply",
}
_SUBMODULES: frozenset[str] = frozenset([])

__getattr__, __dir__ = lazy_surface(__name__, _HOMES, _SUBMODULES)
