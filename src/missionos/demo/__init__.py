"""`missionos demo`: one believable organization that every context adds its part to (demo.md).

The core (teams, services, git repositories) comes first; then each context's `demo.load(org)` adds its
records. Every step is deterministic for a seed and idempotent, so running the demo twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from pathlib import Path

from missionos.contexts import demo_steps, named
from missionos.demo.org import DemoOrg
from missionos.demo.repos import ensure_repositories
from missionos.store import Database

# Each context's demo step, in the order the story needs them (`missionos.contexts`): delivery first (services
# and deployments), strategy late (the plan binds the others' measures).
STEPS = demo_steps()


def load_demo(
    db: Database,
    *,
    seed: int,
    home: Path,
    today: dt.date | None = None,
    progress: Callable[[str], None] = lambda _step: None,
) -> DemoOrg:
    """Build (or refresh) the demo organization in `db`, with its repositories under `home`."""
    org = DemoOrg(db=db, seed=seed, home=home, today=today or dt.datetime.now(dt.UTC).date())
    progress("repositories")
    ensure_repositories(org)
    for step in STEPS:
        progress(step)
        importlib.import_module(named(step).demo).load(org)
    return org


__all__ = ["STEPS", "DemoOrg", "load_demo"]
