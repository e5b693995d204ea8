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
    from missionos.flow.streams import apply_stream as apply_stream
    from missionos.flow.streams import get_stream as get_stream
    from missionos.flow.streams import list_streams as list_streams
    from missionos.flow.streams import parse_stream as parse_stream
    from missionos.flow.streams import read_stream_file as read_stream_file
    from missionos.flow.streams import require_stream as require_stream
    from missionos.flow.streams import visible_streams as visible_streams
    from missionos.flow.typemap import TypeMap as TypeMap
    from missionos.flow.views import StreamView as StreamView
    from missionos.flow.views import item_detail as item_detail
    from missionos.flow.views import stream_glance as stream_glance
    from missionos.flow.views import stream_items as stream_items
    from missionos.flow.views import stream_metrics as stream_metrics
    from missionos.flow.views import stream_view as stream_view
    from missionos.flow.vsm import duration as duration
    from missionos.flow.vsm import percent as percent
    from missionos.flow.work import upsert_work as upsert_work

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
    "StreamView": "views",
    "Transition": "models",
    "TransitionRecord": "records",
    "TypeMap": "typemap",
    "WorkItem": "models",
    "WorkItemRecord": "records",
    "apply_stream": "streams",
    "count_lines": "importers.csvfiles",
    "duration": "vsm",
    "get_stream": "streams",
    "import_csv": "importers.csvfiles",
    "item_detail": "views",
    "list_streams": "streams",
    "parse_stream": "streams",
    "percent": "vsm",
    "percentile": "metrics",
    "read_stream_file": "streams",
    "require_stream": "streams",
    "stream_glance": "views",
    "stream_items": "views",
    "stream_metrics": "views",
    "stream_view": "views",
    "upsert_work": "work",
    "visible_streams": "streams",
    "zone": "importers.times",
}
_SUBMODULES: frozenset[str] = frozenset(["glance", "hooks", "importers", "metrics", "vsm"])

__getattr__, __dir__ = lazy_surface(__name__, _HOMES, _SUBMODULES)
