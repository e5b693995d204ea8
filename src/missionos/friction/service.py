"""The friction register: record blockers, price them from flow data, clear them and measure the effect.

The CLI, the pages and the API all go through these functions; every write records its audit entry in the
caller's transaction. Flow figures are read through the flow context's public service only. The façade: each
subject lives in its own module, and every public name is re-exported here.
- `document`: checking a blocker or a register document (YAML or JSON), every problem at once;
- `apply`: storing it: blockers added, updated and cleared, streams' values set, a register applied whole;
- `views`: the register as the pages and the API read it, each blocker priced by cost of delay.
The pricing arithmetic lives in `missionos.friction.pricing`.
"""

from __future__ import annotations

from missionos.friction.apply import add_blocker as add_blocker
from missionos.friction.apply import apply_register as apply_register
from missionos.friction.apply import clear_blocker as clear_blocker
from missionos.friction.apply import set_stream_value as set_stream_value
from missionos.friction.document import FIELDS as FIELDS
from missionos.friction.document import KEY as KEY
from missionos.friction.document import BlockerIn as BlockerIn
from missionos.friction.document import check_blocker as check_blocker
from missionos.friction.document import read_register_file as read_register_file
from missionos.friction.views import PRICE_WINDOW_DAYS as PRICE_WINDOW_DAYS
from missionos.friction.views import BlockerDetail as BlockerDetail
from missionos.friction.views import BlockerView as BlockerView
from missionos.friction.views import Effect as Effect
from missionos.friction.views import WhatIf as WhatIf
from missionos.friction.views import blocker_detail as blocker_detail
from missionos.friction.views import register as register
from missionos.friction.views import stream_values as stream_values

__all__ = [
    "PRICE_WINDOW_DAYS",
    "BlockerDetail",
    "BlockerIn",
    "BlockerView",
    "Effect",
    "WhatIf",
    "add_blocker",
    "apply_register",
    "blocker_detail",
    "check_blocker",
    "clear_blocker",
    "read_register_file",
    "register",
    "set_stream_value",
    "stream_values",
]
