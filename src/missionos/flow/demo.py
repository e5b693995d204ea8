"""The flow context's part of the demo organization (demo.md): two value streams and their work items.

- `claims` (team Intake): analysis, build, review and release, with rework from review back to build.
- `change-approval` (team Platform): every production change waits for the weekly change advisory board
  (Thursdays 14:00 UTC), which comes out as the constraint.

Deterministic for the seed, idempotent (items are keyed `CLM-n` / `CHG-n` under source `demo`).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from missionos.demo.org import DemoOrg
from missionos.flow.records import StreamDefinition, StreamEntry, TransitionRecord, WorkItemRecord
from missionos.flow.service import apply_stream, upsert_work

SOURCE = "demo"
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)

CLAIMS = StreamDefinition(
    name="claims",
    team="Intake",
    description="From a claim-handling change filed to its release: analysis, build, review, release.",
    done=("Done",),
    entries=(
        StreamEntry("Analysis", ("Ready for Analysis",), "wait"),
        StreamEntry("Analysis", ("In Analysis",), "active"),
        StreamEntry("Build", ("Ready for Dev",), "wait"),
        StreamEntry("Build", ("In Progress",), "active"),
        StreamEntry("Review", ("In Review",), "active"),
        StreamEntry("Release", ("Ready to Release",), "wait"),
        StreamEntry("Release", ("Releasing",), "active"),
    ),
)

CHANGE_APPROVAL = StreamDefinition(
    name="change-approval",
    team="Platform",
    description="Every production change of the platform, through the weekly change advisory board (CAB).",
    done=("Deployed",),
    entries=(
        StreamEntry("Build", ("To Do",), "wait"),
        StreamEntry("Build", ("Building",), "active"),
        StreamEntry("Test", ("Ready for Test",), "wait"),
        StreamEntry("Test", ("Testing",), "active"),
        StreamEntry("CAB approval", ("Awaiting CAB",), "wait"),
        StreamEntry("CAB approval", ("CAB Review",), "active"),
        StreamEntry("Deploy", ("Scheduled",), "wait"),
        StreamEntry("Deploy", ("Deploying",), "active"),
    ),
)

TYPES = (("feature", 0.6), ("defect", 0.25), ("debt", 0.1), ("risk", 0.05))


def _type(rng: random.Random) -> str:
    return rng.choices([t for t, _ in TYPES], weights=[w for _, w in TYPES])[0]


def _hours(rng: random.Random, median: float, spread: float = 0.6) -> dt.timedelta:
    return dt.timedelta(hours=median * rng.lognormvariate(0, spread))


def _next_cab(moment: dt.datetime) -> dt.datetime:
    """The next Thursday 14:00 UTC board meeting after `moment`."""
    day = moment.date() + dt.timedelta(days=(3 - moment.weekday()) % 7)
    meeting = dt.datetime.combine(day, dt.time(14), dt.UTC)
    return meeting if meeting > moment else meeting + dt.timedelta(days=7)


Path = list[tuple[str, dt.timedelta]]


def _claim_path(rng: random.Random, _at: dt.datetime) -> Path:
    path: Path = [
        ("Ready for Analysis", _hours(rng, 30, 0.8)),
        ("In Analysis", _hours(rng, 5)),
        ("Ready for Dev", _hours(rng, 26, 0.7)),
        ("In Progress", _hours(rng, 20)),
        ("In Review", _hours(rng, 4)),
    ]
    while rng.random() < 0.22:  # review sends it back to build
        path += [("In Progress", _hours(rng, 8)), ("In Review", _hours(rng, 3))]
    path += [("Ready to Release", _hours(rng, 14, 0.7)), ("Releasing", _hours(rng, 1, 0.3)), ("Done", DAY)]
    return path


def _change_path(rng: random.Random, at: dt.datetime) -> Path:
    path: Path = [
        ("To Do", _hours(rng, 10, 0.7)),
        ("Building", _hours(rng, 9)),
        ("Ready for Test", _hours(rng, 6, 0.7)),
        ("Testing", _hours(rng, 5)),
    ]
    moment = at + sum((d for _, d in path), dt.timedelta())
    while True:
        meeting = _next_cab(moment)
        path.append(("Awaiting CAB", meeting - moment))
        review = _hours(rng, 1, 0.3)
        path.append(("CAB Review", review))
        moment = meeting + review
        if rng.random() >= 0.12:  # the board sends one change in eight back for rework
            break
        rework = _hours(rng, 6)
        path += [("Building", rework)]
        moment += rework
    path += [("Scheduled", _hours(rng, 8, 0.5)), ("Deploying", _hours(rng, 1, 0.3)), ("Deployed", DAY)]
    return path


def _generate(
    org: DemoOrg,
    prefix: str,
    team: str,
    backlog: str,
    per_day: float,
    route: Callable[[random.Random, dt.datetime], Path],
    titles: tuple[str, ...],
) -> tuple[list[WorkItemRecord], list[TransitionRecord]]:
    rng = random.Random(f"{org.seed}:flow:{prefix}")
    horizon = dt.datetime.combine(org.today, dt.time(), dt.UTC)
    day = dt.datetime.combine(org.start, dt.time(), dt.UTC)
    items: list[WorkItemRecord] = []
    moves: list[TransitionRecord] = []
    while day < horizon:
        arrivals = sum(1 for _ in range(8) if rng.random() < per_day / 8) if day.weekday() < 5 else 0
        for _ in range(arrivals):
            created = day + dt.timedelta(hours=8 + rng.random() * 9)
            key = f"{prefix}-{len(items) + 1}"
            title = f"{rng.choice(titles)} #{len(items) + 1}"
            items.append(WorkItemRecord(key, _type(rng), title, created, team, None, SOURCE))
            moves.append(TransitionRecord(key, None, backlog, created))
            moment = created + _hours(rng, 40, 0.9)  # time in the backlog
            previous = backlog
            for status, spent in route(rng, moment):
                if moment >= horizon:
                    break
                moves.append(TransitionRecord(key, previous, status, moment))
                previous, moment = status, moment + spent
        day += DAY
    return items, moves


CLAIM_TITLES = (
    "Let residents upload a pay stub",
    "Fix address validation",
    "Translate the claim form",
    "Show claim status",
    "Reduce duplicate claims",
    "Household size question",
    "Accessibility fixes on review page",
    "Document checklist",
)
CHANGE_TITLES = (
    "Rotate cluster certificates",
    "Upgrade ingress controller",
    "Tighten network policy",
    "Patch base images",
    "Raise pipeline runner quota",
    "New service template",
)


def load(org: DemoOrg) -> None:
    """Add the two value streams and their work items; idempotent for a given seed."""
    claims = _generate(org, "CLM", "Intake", "Filed", 2.4, _claim_path, CLAIM_TITLES)
    changes = _generate(org, "CHG", "Platform", "Requested", 1.3, _change_path, CHANGE_TITLES)
    with org.db.session() as session:
        apply_stream(session, CLAIMS)
        apply_stream(session, CHANGE_APPROVAL)
        upsert_work(session, claims[0] + changes[0], claims[1] + changes[1], source=SOURCE)
    org.notes.append(
        f"flow: streams claims ({len(claims[0])} items) and change-approval ({len(changes[0])} items); "
        "the weekly CAB is change-approval's constraint"
    )
