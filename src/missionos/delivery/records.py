"""Plain records of the delivery context (metrics.md §1): what importers produce and the metrics consume.

They are frozen dataclasses with no database attached, so importers, webhooks and the metric arithmetic can
all be tested without a database. Times are timezone-aware UTC.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

KINDS = ("planned", "hotfix", "rollback")
STATUSES = ("success", "failure")


@dataclass(frozen=True)
class DeploymentRecord:
    """A deployment of `service` to `environment`; `remediates` names the deployment ids it repairs.

    `kind_explicit`: the source said the kind (even `planned`), so no kind is inferred from its changes."""

    id: str
    service: str
    environment: str
    status: str
    started_at: dt.datetime | None
    finished_at: dt.datetime
    revision: str
    kind: str = "planned"
    remediates: tuple[str, ...] = ()
    kind_explicit: bool = False


@dataclass(frozen=True)
class IncidentRecord:
    """An incident of `service`; `cause` is a deployment id or a commit sha, when known; `remediation` is the
    id of the deployment of the same service that remediated it, when known."""

    id: str
    service: str
    started_at: dt.datetime
    resolved_at: dt.datetime | None = None
    severity: str = ""
    cause: str | None = None
    remediation: str | None = None


@dataclass(frozen=True)
class ReviewRecord:
    """A review or review comment on a pull request."""

    author: str
    submitted_at: dt.datetime
    state: str = "commented"


@dataclass(frozen=True)
class PullRequestRecord:
    """A pull (merge) request of `service`.

    `commit_shas` are the PR's own commits (which a squash merge leaves out of the branch);
    `first_commit_at` is the earliest authored_at among them when the source reports it.
    """

    number: int
    service: str
    title: str
    author: str
    created_at: dt.datetime
    merged_at: dt.datetime | None = None
    merge_commit_sha: str | None = None
    commit_shas: tuple[str, ...] = ()
    reviews: tuple[ReviewRecord, ...] = ()
    labels: tuple[str, ...] = ()
    first_commit_at: dt.datetime | None = None

    @property
    def first_review_at(self) -> dt.datetime | None:
        """The earliest review or comment by someone other than the author (metrics.md §1)."""
        times = [r.submitted_at for r in self.reviews if r.author != self.author]
        return min(times) if times else None


@dataclass(frozen=True)
class CommitRecord:
    """A commit as read from git; `files` are the paths it touches (none for a merge)."""

    sha: str
    parents: tuple[str, ...]
    author: str
    author_email: str
    authored_at: dt.datetime
    author_offset: int
    committed_at: dt.datetime
    committer_offset: int
    message: str
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportSummary:
    """What an import did: records read, inserted, updated and left as they were."""

    source: str
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "read": self.read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }
