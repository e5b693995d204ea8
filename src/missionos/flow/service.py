"""Public service functions of the flow context: store work items, define streams, compute their figures.

The web pages, the CLI, the measures and the webhook receivers call these. The façade: each subject lives in
its own module, and every public name is re-exported here.
- `work`: validating and writing work items and their transitions (`WorkWriter`, `upsert_work`);
- `streams`: value-stream definitions, parsed, stored and read back, and limited to a principal's teams;
- `loading`: the stored items and their transitions, and the per-item flows of a stream, read as plain rows;
- `views`: what the pages and the API read (a stream's figures, its page, its items, one item's detail).
They hold the SQL, and the arithmetic lives in `missionos.flow.metrics`.
"""

from __future__ import annotations

from missionos.flow.loading import LoadedItem as LoadedItem
from missionos.flow.loading import gc_paused as gc_paused
from missionos.flow.loading import load_items as load_items
from missionos.flow.loading import stream_flows as stream_flows
from missionos.flow.streams import apply_stream as apply_stream
from missionos.flow.streams import get_stream as get_stream
from missionos.flow.streams import list_streams as list_streams
from missionos.flow.streams import parse_stream as parse_stream
from missionos.flow.streams import read_stream_file as read_stream_file
from missionos.flow.streams import require_stream as require_stream
from missionos.flow.streams import streams_of_team as streams_of_team
from missionos.flow.streams import visible_streams as visible_streams
from missionos.flow.views import ItemDetail as ItemDetail
from missionos.flow.views import ItemRow as ItemRow
from missionos.flow.views import StreamView as StreamView
from missionos.flow.views import item_detail as item_detail
from missionos.flow.views import stream_glance as stream_glance
from missionos.flow.views import stream_items as stream_items
from missionos.flow.views import stream_metrics as stream_metrics
from missionos.flow.views import stream_view as stream_view
from missionos.flow.work import CHUNK as CHUNK
from missionos.flow.work import TRANSITIONS as TRANSITIONS
from missionos.flow.work import WorkWriter as WorkWriter
from missionos.flow.work import upsert_work as upsert_work
from missionos.flow.work import validate_work as validate_work
