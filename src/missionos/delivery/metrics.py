"""The DORA metrics of METRICS.md §1 as pure functions over plain records.

Nothing here touches a database: `missionos.delivery.queries` loads the records with SQL, and these functions
do the arithmetic. Deployments are identified by (service, id); all times are timezone-aware UTC.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, NamedTuple

import numpy as np

from missionos.delivery import levels
from missionos.delivery.records import DeploymentRecord, IncidentRecord
from missionos.measures import Window

PRODUCTION = re.compile(r"^(prod|production)$", re.IGNORECASE)
REMEDIATION_KINDS = ("hotfix", "rollback")
KIND_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("rollback", re.compile(r"rollback|revert", re.IGNORECASE)),
    ("hotfix", re.compile(r"hotfix", re.IGNORECASE)),
)
ATTRIBUTION_WINDOW = dt.timedelta(days=7)
HOUR = 3600.0

DeploymentKey = tuple[str, str]  # (service, deployment id)


class DeployedChange(NamedTuple):
    """A change with the deployment that first carried it, and its pull request's times when known."""

    sha: str
    service: str
    deployment_id: str
    start: dt.datetime
    deployed_at: dt.datetime
    pr_created_at: dt.datetime | None = None
    first_review_at: dt.datetime | None = None
    merged_at: dt.datetime | None = None


def key(deployment: DeploymentRecord) -> DeploymentKey:
    return (deployment.service, deployment.id)


def is_production_environment(environment: str, configured: Iterable[str] = ()) -> bool:
    """Production is `^(prod|production)$` (case-insensitive), or the service's configured names."""
    names = {c.strip().lower() for c in configured if c.strip()}
    if names:
        return environment.lower() in names
    return PRODUCTION.match(environment) is not None


def is_production_deployment(deployment: DeploymentRecord, configured: Iterable[str] = ()) -> bool:
    """A success to production; a failure never reached production (METRICS.md §1)."""
    return deployment.status == "success" and is_production_environment(deployment.environment, configured)


def kind_from_texts(kind: str, texts: Iterable[str], *, remediation: bool = False) -> str:
    """A deployment's kind: its record's, else rollback/hotfix when a change message or PR label matches,
    else hotfix when an incident names it as its remediation (`remediation`)."""
    if kind != "planned":
        return kind
    found = "planned"
    for text in texts:
        for name, pattern in KIND_PATTERNS:
            if pattern.search(text):
                if name == "rollback":
                    return "rollback"
                found = name
    if found == "planned" and remediation:
        return "hotfix"
    return found


_FINISH_ORDER = attrgetter("finished_at", "service", "id")


def by_finish(deployments: Iterable[DeploymentRecord]) -> list[DeploymentRecord]:
    return sorted(deployments, key=_FINISH_ORDER)


def remediations(
    production: Sequence[DeploymentRecord],
    incident_targets: Mapping[DeploymentKey, Sequence[DeploymentKey]] | None = None,
) -> dict[DeploymentKey, DeploymentRecord]:
    """For each remediated production deployment, the first later hotfix or rollback that remediates it.

    A hotfix or rollback names what it remediates; naming nothing, it remediates the deployments that the
    incidents naming it as their remediation are attributed to (`incident_targets`, see `incident_targets`),
    and without those the production deployment of its service just before it.
    """
    incident_targets = incident_targets or {}
    found: dict[DeploymentKey, DeploymentRecord] = {}
    previous: dict[str, DeploymentRecord] = {}
    for d in by_finish(production):
        if d.kind in REMEDIATION_KINDS:
            targets = [(d.service, t) for t in d.remediates] if d.remediates else []
            if not targets:
                targets = list(incident_targets.get(key(d), ()))
            if not targets and d.service in previous:
                targets = [key(previous[d.service])]
            for target in targets:
                found.setdefault(target, d)
        previous[d.service] = d
    return found


def attribute_incidents(
    incidents: Iterable[IncidentRecord],
    production: Sequence[DeploymentRecord],
    *,
    commit_deployments: Mapping[tuple[str, str], str] | None = None,
    window: dt.timedelta = ATTRIBUTION_WINDOW,
) -> dict[tuple[str, str], DeploymentKey | None]:
    """Each incident's deployment (METRICS.md §1, incident attribution), or None when unattributed.

    A cause decides: a deployment id names that production deployment; a commit sha names the first production
    deployment that carried it (`commit_deployments[(service, sha)]`). Without a cause, the latest production
    deployment of the service that finished before the incident started, within `window`.
    """
    commit_deployments = commit_deployments or {}
    incidents = list(incidents)
    per_service: dict[str, list[DeploymentRecord]] = defaultdict(list)
    for d in by_finish(production):
        per_service[d.service].append(d)
    finishes = {s: [d.finished_at for d in ds] for s, ds in per_service.items()}
    causes = {i.cause for i in incidents if i.cause}
    ids = {key(d) for d in production if d.id in causes}
    result: dict[tuple[str, str], DeploymentKey | None] = {}
    for incident in incidents:
        target: DeploymentKey | None = None
        if incident.cause:
            if (incident.service, incident.cause) in ids:
                target = (incident.service, incident.cause)
            else:
                dep = commit_deployments.get((incident.service, incident.cause))
                target = (incident.service, dep) if dep is not None else None
        else:
            deps = per_service.get(incident.service, [])
            i = bisect.bisect_left(finishes.get(incident.service, []), incident.started_at) - 1
            if i >= 0 and incident.started_at - deps[i].finished_at <= window:
                target = key(deps[i])
        result[(incident.service, incident.id)] = target
    return result


def incident_targets(
    incidents: Iterable[IncidentRecord],
    production: Sequence[DeploymentRecord],
    attribution: Mapping[tuple[str, str], DeploymentKey | None],
) -> dict[DeploymentKey, list[DeploymentKey]]:
    """For each production deployment named as an incident's remediation, the deployments those incidents
    are attributed to that finished before it (a deployment never remediates itself or a later one)."""
    order = {key(d): _FINISH_ORDER(d) for d in production}
    result: dict[DeploymentKey, list[DeploymentKey]] = defaultdict(list)
    for incident in incidents:
        if not incident.remediation:
            continue
        fix = (incident.service, incident.remediation)
        target = attribution.get((incident.service, incident.id))
        if fix not in order or target is None or target not in order:
            continue
        if order[target] < order[fix] and target not in result[fix]:
            result[fix].append(target)
    return dict(result)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The linearly interpolated percentile (numpy's default); None for no values."""
    if len(values) == 0:
        return None
    return float(np.percentile(np.asarray(values, dtype=float), q))


def _hours(later: dt.datetime, earlier: dt.datetime) -> float:
    return (later - earlier).total_seconds() / HOUR


# --- the metrics ----------------------------------------------------------------------------------------


def _calendar_days(window: Window) -> list[dt.date]:
    first = window.since.date()
    last = (window.until - dt.timedelta(microseconds=1)).date()
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)] if last >= first else []


def frequency_category(finished: Sequence[dt.datetime], window: Window) -> str:
    """The fourkeys deployment-frequency rule (METRICS.md §1) over every calendar day of the window.

    Weeks start on Monday; a week or month cut by the window's edge counts with the days it has in the window.
    """
    days = _calendar_days(window)
    if not days:
        return "monthly or less"
    per_day: dict[dt.date, int] = defaultdict(int)
    for moment in finished:
        per_day[moment.date()] += 1
    weeks: dict[dt.date, list[int]] = defaultdict(list)
    months: dict[tuple[int, int], int] = defaultdict(int)
    for day in days:
        weeks[day - dt.timedelta(days=day.weekday())].append(per_day.get(day, 0))
        months[(day.year, day.month)] += per_day.get(day, 0)
    distinct_days = [sum(1 for n in w if n) for w in weeks.values()]
    week_counts = [sum(w) for w in weeks.values()]
    if float(np.median(distinct_days)) >= 3:
        return "on demand"
    if float(np.median(week_counts)) >= 1:
        return "daily-to-weekly"
    if float(np.median(list(months.values()))) >= 1:
        return "weekly-to-monthly"
    return "monthly or less"


def deployment_frequency(production: Sequence[DeploymentRecord], window: Window) -> dict[str, Any]:
    """Production deployments finished in the window, per day and per week, with the fourkeys level."""
    finished = [d.finished_at for d in production if d.finished_at in window]
    days = (window.until - window.since).total_seconds() / 86400
    category = frequency_category(finished, window)
    return {
        "count": len(finished),
        "per_day": len(finished) / days if days else 0.0,
        "per_week": len(finished) / days * 7 if days else 0.0,
        "category": category,
        "level": levels.frequency_level(category),
    }


@dataclass(frozen=True)
class ChangeSpans:
    """Deployed changes as columns: when each was deployed (epoch seconds) and its spans in hours.

    `lead` is deployed − start; the parts are nan where the change has no pull request (or the pull request
    lacks the time). Columns keep the lead-time arithmetic vectorised for millions of changes.
    """

    deployed: Any
    lead: Any
    coding: Any
    pickup: Any
    review: Any
    deploy: Any

    @classmethod
    def from_epochs(cls, rows: Any) -> ChangeSpans:
        """From rows of (deployed, start, pr_created, first_review, merged), epoch seconds (nan: unknown)."""
        table = np.asarray(rows, dtype=float).reshape(-1, 5)
        d, s, c, f, m = (table[:, i] for i in range(5))
        return cls(d, (d - s) / HOUR, (c - s) / HOUR, (f - c) / HOUR, (m - f) / HOUR, (d - m) / HOUR)

    @classmethod
    def of(cls, changes: Iterable[DeployedChange]) -> ChangeSpans:
        def ts(moment: dt.datetime | None) -> float:
            return float("nan") if moment is None else moment.timestamp()

        return cls.from_epochs(
            [
                (ts(c.deployed_at), ts(c.start), ts(c.pr_created_at), ts(c.first_review_at), ts(c.merged_at))
                for c in changes
            ]
        )

    def take(self, index: Any) -> ChangeSpans:
        """The changes at `index` (an index array, a mask or a slice)."""
        return ChangeSpans(
            self.deployed[index],
            self.lead[index],
            self.coding[index],
            self.pickup[index],
            self.review[index],
            self.deploy[index],
        )

    def by_deployment_time(self) -> ChangeSpans:
        return self.take(np.argsort(self.deployed, kind="stable"))


def _median(values: Any) -> float | None:
    present = values[~np.isnan(values)]
    return float(np.percentile(present, 50)) if present.size else None


def lead_time(
    changes: ChangeSpans | Iterable[DeployedChange], window: Window, *, year: int = levels.DEFAULT_YEAR
) -> dict[str, Any]:
    """Lead time for changes deployed in the window: deployed − start; spans ≤ 0 are skipped."""
    spans = changes if isinstance(changes, ChangeSpans) else ChangeSpans.of(changes)
    inside = (spans.deployed >= window.since.timestamp()) & (spans.deployed < window.until.timestamp())
    lead = spans.lead[inside]
    positive = lead > 0
    valid = lead[positive]
    median = float(np.percentile(valid, 50)) if valid.size else None
    return {
        "median_hours": median,
        "p90_hours": float(np.percentile(valid, 90)) if valid.size else None,
        "count": int(valid.size),
        "skipped": int(lead.size - valid.size),
        "parts": {
            "coding_hours": _median(spans.coding[inside][positive]),
            "pickup_hours": _median(spans.pickup[inside][positive]),
            "review_hours": _median(spans.review[inside][positive]),
            "deploy_hours": _median(spans.deploy[inside][positive]),
        },
        "level": levels.level("lead_time", median, year=year),
    }


@dataclass(frozen=True)
class Failures:
    """Which production deployments failed, why, and when they recovered."""

    failed: frozenset[DeploymentKey]
    incidents_of: Mapping[DeploymentKey, tuple[IncidentRecord, ...]]
    remediated_by: Mapping[DeploymentKey, DeploymentRecord]
    attribution: Mapping[tuple[str, str], DeploymentKey | None]


def failures(
    production: Sequence[DeploymentRecord],
    incidents: Sequence[IncidentRecord],
    *,
    commit_deployments: Mapping[tuple[str, str], str] | None = None,
    window: dt.timedelta = ATTRIBUTION_WINDOW,
) -> Failures:
    """A production deployment failed if an incident is attributed to it or a later hotfix/rollback
    remediates it (METRICS.md §1)."""
    attribution = attribute_incidents(
        incidents, production, commit_deployments=commit_deployments, window=window
    )
    incidents_of: dict[DeploymentKey, list[IncidentRecord]] = defaultdict(list)
    for incident in incidents:
        target = attribution[(incident.service, incident.id)]
        if target is not None:
            incidents_of[target].append(incident)
    remediated = remediations(production, incident_targets(incidents, production, attribution))
    failed = frozenset(incidents_of) | frozenset(remediated)
    return Failures(
        failed=failed,
        incidents_of={k: tuple(v) for k, v in incidents_of.items()},
        remediated_by=remediated,
        attribution=attribution,
    )


def change_failure_rate(
    production: Sequence[DeploymentRecord],
    found: Failures,
    window: Window,
    *,
    year: int = levels.DEFAULT_YEAR,
) -> dict[str, Any]:
    """The share of production deployments finished in the window that failed; null with none."""
    inside = [d for d in production if d.finished_at in window]
    failed = sum(1 for d in inside if key(d) in found.failed)
    rate = failed / len(inside) if inside else None
    return {
        "rate": rate,
        "failed": failed,
        "total": len(inside),
        "level": levels.level("change_failure_rate", rate, year=year),
    }


def recovery_moment(deployment: DeploymentRecord, found: Failures) -> dt.datetime | None:
    """When a failed deployment recovered: the latest resolution of its incidents (None while one is open),
    or without incidents the finish of the first deployment that remediates it."""
    incidents = found.incidents_of.get(key(deployment), ())
    if incidents:
        if any(i.resolved_at is None for i in incidents):
            return None
        return max(i.resolved_at for i in incidents if i.resolved_at is not None)
    fix = found.remediated_by.get(key(deployment))
    return fix.finished_at if fix is not None else None


def recovery_time(
    production: Sequence[DeploymentRecord],
    found: Failures,
    window: Window,
    *,
    year: int = levels.DEFAULT_YEAR,
) -> dict[str, Any]:
    """Failed deployment recovery time for failed production deployments finished in the window."""
    spans: list[float] = []
    still_open = 0
    for d in production:
        if d.finished_at not in window or key(d) not in found.failed:
            continue
        moment = recovery_moment(d, found)
        if moment is None:
            still_open += 1
        else:
            spans.append(max(0.0, _hours(moment, d.finished_at)))
    median = percentile(spans, 50)
    return {
        "median_hours": median,
        "p90_hours": percentile(spans, 90),
        "count": len(spans),
        "open": still_open,
        "level": levels.level("recovery_time", median, year=year),
    }


def rework_rate(production: Sequence[DeploymentRecord], window: Window) -> dict[str, Any]:
    """The share of production deployments finished in the window whose kind is hotfix or rollback."""
    inside = [d for d in production if d.finished_at in window]
    rework = sum(1 for d in inside if d.kind in REMEDIATION_KINDS)
    return {"rate": rework / len(inside) if inside else None, "count": rework, "total": len(inside)}


def incident_counts(found: Failures, incidents: Iterable[IncidentRecord], window: Window) -> dict[str, int]:
    """Incidents started in the window, attributed or not (unattributed ones are counted, never dropped)."""
    attributed = unattributed = 0
    for i in incidents:
        if i.started_at in window:
            if found.attribution.get((i.service, i.id)) is None:
                unattributed += 1
            else:
                attributed += 1
    return {"attributed": attributed, "unattributed": unattributed}


def summary(
    production: Sequence[DeploymentRecord],
    changes: ChangeSpans | Iterable[DeployedChange],
    incidents: Sequence[IncidentRecord],
    window: Window,
    *,
    commit_deployments: Mapping[tuple[str, str], str] | None = None,
    year: int = levels.DEFAULT_YEAR,
    found: Failures | None = None,
) -> dict[str, Any]:
    """Every figure of `missionos delivery metrics` over one window (the `--format json` body, less scope).

    `found`: the failures, when already decided over these records or over the records of more services
    (attribution and remediation never cross services, so a service's failures are the same either way)."""
    if found is None:
        found = failures(production, incidents, commit_deployments=commit_deployments)
    return {
        "deployment_frequency": deployment_frequency(production, window),
        "lead_time": lead_time(changes, window, year=year),
        "change_failure_rate": change_failure_rate(production, found, window, year=year),
        "recovery_time": recovery_time(production, found, window, year=year),
        "rework_rate": rework_rate(production, window),
        "incidents": incident_counts(found, incidents, window),
        "levels_source": levels.SOURCES[year],
    }


def weeks(window: Window) -> list[Window]:
    """The window cut into Monday-started weeks (the first and last may be partial)."""
    start = dt.datetime.combine(
        window.since.date() - dt.timedelta(days=window.since.weekday()), dt.time(), dt.UTC
    )
    result = []
    while start < window.until:
        end = start + dt.timedelta(days=7)
        result.append(Window(max(start, window.since), min(end, window.until)))
        start = end
    return result


# --- path to production ---------------------------------------------------------------------------------


def readiness(
    first_commit_at: dt.datetime | None,
    production_finishes: Sequence[dt.datetime],
    now: dt.datetime,
    *,
    shipping_days: int = 30,
) -> dict[str, Any]:
    """Shipping, stalled or never shipped, with the time to first production deployment."""
    if not production_finishes:
        return {
            "status": "never shipped",
            "first_deployment": None,
            "last_deployment": None,
            "time_to_first_deployment_days": None,
        }
    first, last = min(production_finishes), max(production_finishes)
    status = "shipping" if now - last <= dt.timedelta(days=shipping_days) else "stalled"
    days = (first - first_commit_at).total_seconds() / 86400 if first_commit_at else None
    return {
        "status": status,
        "first_deployment": first,
        "last_deployment": last,
        "time_to_first_deployment_days": days,
    }
