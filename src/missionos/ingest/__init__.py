"""The `ingest` room: everything that reads from outside on a schedule or a push.

Scheduled sync (`sync`), the webhook inbox (`inbox`) and its processor (`processor`, `batches`), the DevLake
import (`devlake`), and what every reader of a configured source shares (`http`, the client that keeps
credentials at home; `payload`, the field readers). Each forge's payload mapping lives with the context
that owns the records (`delivery.hooks`, `flow.hooks`).

Its public surface is `__all__`: the names below, each loaded from its subject module on first use (so
importing the package costs nothing), and the public submodules `__all__` lists. Other contexts and the
shells import only these (tests/test_public_surface.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from missionos.surface import lazy_surface

if TYPE_CHECKING:
    from missionos.ingest import http as http
    from missionos.ingest import inbox as inbox
    from missionos.ingest import payload as payload
    from missionos.ingest import processor as processor
    from missionos.ingest import sync as sync
    from missionos.ingest.devlake import import_devlake as import_devlake
    from missionos.ingest.devlake import read_devlake as read_devlake
    from missionos.ingest.processor import Processor as Processor
    from missionos.ingest.sync import read_config as read_config

__all__ = [
    "Processor",
    "http",
    "import_devlake",
    "inbox",
    "payload",
    "processor",
    "read_config",
    "read_devlake",
    "sync",
]

# Where each public name lives (the module, under this package).
_HOMES = {
    "Processor": "processor",
    "import_devlake": "devlake",
    "read_config": "sync",
    "read_devlake": "devlake",
}
_SUBMODULES: frozenset[str] = frozenset(["http", "inbox", "payload", "processor", "sync"])

__getattr__, __dir__ = lazy_surface(__name__, _HOMES, _SUBMODULES)
