"""The `flow` bounded context (see DESIGN.md).

Its public surface is `__all__`: the names below, each loaded from its subject module on first use (so
importing the package costs nothing), and the public submodules `__all__` lists. Other contexts and the
shells import only these (tests/test_public_surface.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from missionos.surface import lazy_surface

if TYPE_CHECKING:
    from missionos.flow import glance as glance
    from missionos.flow import hooks as hooks
    from missionos.flow import importers as importers
    from missionos.flow import metrics as metrics
    from missionos.flow import vsm as vsm
    from missionos.flow.importers.csvfiles import count_lines as count_lines
    from missionos.flow.importers.csvfiles import import_csv as import_csv
    from missionos.flow.importers.times import zone as zone
    from missionos.flow.metrics import DAY as DAY
    from missionos.flow.metrics import StreamFigures as StreamFigures
    from missionos.flow.metrics import percentile as percentile
    from missionos.flow.models import Transition as Transition
    from missionos.flow.models import WorkItem as WorkItem
    from missionos.flow.records import ImportSummary as ImportSummary
    from missionos.flow.records import StreamDefinition as StreamDefinition
    from missionos.flow.records import TransitionRecord as TransitionRecord
    from missionos.flow.records import WorkItemRecord as WorkItemRecord
    from missionos.flow.service import StreamView as StreamView
    from missionos.flow.service import apply_stream as apply_stream
    from missionos.flow.service import get_stream as get_stream
    from missionos.flow.service import item_detail as item_detail
    from missionos.flow.service import list_streams as list_streams
    from missionos.flow.service import parse_stream as parse_stream
    from missionos.flow.service import read_stream_file as read_stream_file
    from missionos.flow.service import require_stream as require_stream
    from missionos.flow.service import stream_glance as stream_glance
    from missionos.flow.service import stream_items as stream_items
    from missionos.flow.service import stream_metrics as stream_metrics
    from missionos.flow.service import stream_view as stream_view
    from missionos.flow.service import upsert_work as upsert_work
    from missionos.flow.service import visible_streams as visible_streams
    from missionos.flow.typemap import TypeMap as TypeMap
    from missionos.flow.vsm import duration as duration
    from missionos.flow.vsm import percent as percent

__all__ = [
    "DAY",
    "ImportSummary",
    "StreamDefinition",
    "StreamFigures",
    "StreamView",
    "Transition",
    "TransitionRecord",
    "TypeMap",
    "WorkItem",
    "WorkItemRecord",
    "apply_stream",
    "count_lines",
    "duration",
    "get_stream",
    "glance",
    "hooks",
    "import_csv",
    "importers",
    "item_detail",
    "list_streams",
    "metrics",
    "parse_stream",
    "percent",
    "percentile",
    "read_stream_file",
    "require_stream",
    "stream_glance",
    "stream_items",
    "stream_metrics",
    "stream_view",
    "upsert_work",
    "visible_streams",
    "vsm",
    "zone",
]

# Where each public name lives (the module, under this package).
_HOMES = {
    "DAY": "metrics",
    "ImportSummary": "records",
    "StreamDefinition": "records",
    "StreamFigures": "metrics",
    "StreamView": "service",
    "Transition": "models",
    "TransitionRecord": "records",
    "TypeMap": "typemap",
    "WorkItem": "models",
    "WorkItemRecord": "records",
    "apply_stream": "service",
    "count_lines": "importers.csvfiles",
    "duration": "vsm",
    "get_stream": "service",
    "import_csv": "importers.csvfiles",
    "item_detail": "service",
    "list_streams": "service",
    "parse_stream": "service",
    "percent": "vsm",
    "percentile": "metrics",
    "read_stream_file": "service",
    "require_stream": "service",
    "stream_glance": "service",
    "stream_items": "service",
    "stream_metrics": "service",
    "stream_view": "service",
    "upsert_work": "service",
    "visible_streams": "service",
    "zone": "importers.times",
}
_SUBMODULES: frozenset[str] = frozenset(["glance", "hooks", "importers", "metrics", "vsm"])

__getattr__, __dir__ = lazy_surface(__name__, _HOMES, _SUBMODULES)
