"""Plain records of the flow context (metrics.md §2): work items, status transitions and value streams.

Importers produce these, the service stores them, and the metric functions in `missionos.flow.metrics`
compute over them. They hold no database state.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

WORK_TYPES = ("feature", "defect", "risk", "debt")
STEP_KINDS = ("active", "wait")


@dataclass(frozen=True, slots=True)
class WorkItemRecord:
    """A work item: `id` is the tracker's key (natural key with `source`); `type` is one of WORK_TYPES."""

    id: str
    type: str
    title: str
    created_at: dt.datetime
    team: str | None = None
    parent: str | None = None
    source: str = "csv"


@dataclass(frozen=True, slots=True)
class TransitionRecord:
    """A status change of work item `item` at `at` (UTC); `from_status` is None for an item's first status."""

    item: str
    from_status: str | None
    to_status: str
    at: dt.datetime


@dataclass(frozen=True)
class StreamEntry:
    """One line of a stream's steps: tracker `statuses` belonging to step `name`, `active` or `wait`."""

    name: str
    statuses: tuple[str, ...]
    kind: str


@dataclass(frozen=True)
class StreamDefinition:
    """A value stream: ordered entries (a wait entry precedes the active step it feeds) and done statuses.

    Every status the stream does not name is backlog.
    """

    name: str
    team: str | None
    done: tuple[str, ...]
    entries: tuple[StreamEntry, ...]
    description: str = ""

    @property
    def steps(self) -> tuple[str, ...]:
        """The step names, in order, each once."""
        seen: list[str] = []
        for entry in self.entries:
            if entry.name not in seen:
                seen.append(entry.name)
        return tuple(seen)

    def statuses(self) -> tuple[str, ...]:
        """Every status the stream names, in stream order, done statuses last."""
        out = [s for e in self.entries for s in e.statuses]
        return (*out, *self.done)

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "team": self.team,
            "description": self.description,
            "done": list(self.done),
            "steps": [{"name": e.name, "statuses": list(e.statuses), "kind": e.kind} for e in self.entries],
        }


@dataclass(frozen=True)
class ImportSummary:
    """What an import did: counts of items created, updated and unchanged, and transitions added."""

    source: str
    items_created: int = 0
    items_updated: int = 0
    items_unchanged: int = 0
    transitions_added: int = 0
    transitions_present: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __add__(self, other: ImportSummary) -> ImportSummary:
        return ImportSummary(
            source=self.source,
            items_created=self.items_created + other.items_created,
            items_updated=self.items_updated + other.items_updated,
            items_unchanged=self.items_unchanged + other.items_unchanged,
            transitions_added=self.transitions_added + other.transitions_added,
            transitions_present=self.transitions_present + other.transitions_present,
            notes=self.notes + other.notes,
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "items_created": self.items_created,
            "items_updated": self.items_updated,
            "items_unchanged": self.items_unchanged,
            "transitions_added": self.transitions_added,
            "transitions_present": self.transitions_present,
            "notes": list(self.notes),
        }
