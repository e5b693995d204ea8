"""The DORA metrics of metrics.md §1 as pure functions over plain records.

Nothing here touches a database: `missionos.delivery.queries` loads the records with SQL, and these functions
do the arithmetic. Deployments are identified by (service, id); all times are timezone-aware UTC.

Production deployments are counted as columns (`Deployments`: numpy arrays in finish order, times in whole
microseconds) so that a page over tens of thousands of them builds no Python object per deployment; every
function also takes a sequence of `DeploymentRecord`s, which it turns into columns.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from missionos.delivery import levels
from missionos.delivery.records import KINDS, DeploymentRecord, IncidentRecord
from missionos.measures import Window

PRODUCTION = re.compile(r"^(prod|production)$", re.IGNORECASE)
REMEDIATION_KINDS = ("hotfix", "rollback")
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


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)
DAY_US = 86_400_000_000


def micros(moment: dt.datetime) -> int:
    """A timezone-aware time as whole microseconds since the epoch (exact, unlike a float timestamp)."""
    return (moment - EPOCH) // _MICROSECOND


def from_micros(us: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=int(us))


def micros_array(moments: Iterable[dt.datetime]) -> Any:
    """Timezone-aware times as an int64 array of microseconds since the epoch."""
    return np.array([micros(m) for m in moments], dtype=np.int64)


def counts_per_bucket(starts: Any, moments: Any) -> dict[int, int]:
    """How many of `moments` fall in each bucket that has any, by bucket index: a moment falls in the last
    bucket starting at or before it (`starts` ascending, both in microseconds since the epoch; every moment at
    or after the first start)."""
    buckets = np.searchsorted(starts, moments, side="right") - 1
    counts = np.bincount(buckets, minlength=len(starts))
    return {int(b): int(counts[b]) for b in np.flatnonzero(counts)}


class DeploymentRef(NamedTuple):
    """A production deployment named by a failure (the one that remediates another), with its finish."""

    service: str
    id: str
    finished_at: dt.datetime


@dataclass(frozen=True)
class Deployments:
    """Production deployments as columns, in finish order (finished_at, then service, then id).

    `service` holds each deployment's index into `services`; `finished` its finish in whole microseconds since
    the epoch; `remediates` the ids it names, space-separated. Columns let a page's figures over thousands of
    deployments be counted with numpy rather than one Python object per deployment.
    """

    services: tuple[str, ...]
    service: Any
    id: Any
    finished: Any
    kind: Any
    remediates: Any

    @classmethod
    def ordered(
        cls, services: Sequence[str], service: Any, ids: Any, finished: Any, kind: Any, remediates: Any
    ) -> Deployments:
        """The columns put in finish order; `services` are the names the codes in `service` index, sorted."""
        codes = np.asarray(service, dtype=np.intp)
        finishes = np.asarray(finished, dtype=np.int64)
        ids = np.asarray(ids, dtype=object)
        order = np.lexsort((codes, finishes))  # by finish, then by service (codes follow the names' order)
        same = np.flatnonzero(
            (finishes[order][1:] == finishes[order][:-1]) & (codes[order][1:] == codes[order][:-1])
        )
        if same.size:  # then by id, among the (rare) deployments of one service finished at the same time
            breaks = np.diff(same) > 1
            firsts = same[np.concatenate(([True], breaks))]
            lasts = same[np.concatenate((breaks, [True]))] + 2
            for a, b in zip(firsts.tolist(), lasts.tolist(), strict=True):
                order[a:b] = sorted(order[a:b].tolist(), key=lambda i: ids[i])
        return cls(
            tuple(services),
            codes[order],
            ids[order],
            finishes[order],
            np.asarray(kind, dtype=object)[order],
            np.asarray(remediates, dtype=object)[order],
        )

    @classmethod
    def of(cls, deployments: Iterable[DeploymentRecord]) -> Deployments:
        records = list(deployments)
        services = sorted({d.service for d in records})
        code = {name: i for i, name in enumerate(services)}
        return cls.ordered(
            services,
            [code[d.service] for d in records],
            [d.id for d in records],
            [micros(d.finished_at) for d in records],
            [d.kind for d in records],
            [" ".join(d.remediates) for d in records],
        )

    def __len__(self) -> int:
        return len(self.id)

    def take(self, index: Any) -> Deployments:
        """The deployments at `index` (a mask or an ascending index array keeps the finish order)."""
        return Deployments(
            self.services,
            self.service[index],
            self.id[index],
            self.finished[index],
            self.kind[index],
            self.remediates[index],
        )

    def only(self, names: Collection[str]) -> Deployments:
        """The deployments of the services `names`."""
        wanted = [i for i, name in enumerate(self.services) if name in set(names)]
        return self.take(np.isin(self.service, wanted))

    def within(self, window: Window) -> Any:
        """A mask of the deployments finished in `window`."""
        return (self.finished >= micros(window.since)) & (self.finished < micros(window.until))

    def key(self, row: int) -> DeploymentKey:
        return (self.services[self.service[row]], str(self.id[row]))

    def ref(self, row: int) -> DeploymentRef:
        return DeploymentRef(*self.key(row), from_micros(self.finished[row]))

    def of_service(self, name: str) -> Any:
        """The rows of service `name`, in finish order."""
        if name not in self.services:
            return np.zeros(0, dtype=np.intp)
        return np.flatnonzero(self.service == self.services.index(name))

    def rows(self, keys: Iterable[DeploymentKey]) -> dict[DeploymentKey, int]:
        """The row of each of `keys` that is among these deployments."""
        wanted = set(keys)
        if not wanted or not len(self):
            return {}
        ids = {k[1] for k in wanted}
        found: dict[DeploymentKey, int] = {}
        for row, did in enumerate(self.id.tolist()):
            if did in ids:
                k = self.key(row)
                if k in wanted:
                    found[k] = row
        return found

    def mask(self, keys: Iterable[DeploymentKey]) -> Any:
        """A mask of the deployments among `keys`."""
        marked = np.zeros(len(self), dtype=bool)
        marked[list(self.rows(keys).values())] = True
        return marked

    def rework(self) -> Any:
        """A mask of the hotfixes and rollbacks."""
        return np.isin(self.kind, REMEDIATION_KINDS)


def _columns(production: Deployments | Iterable[DeploymentRecord]) -> Deployments:
    return production if isinstance(production, Deployments) else Deployments.of(production)


def is_production_environment(environment: str, configured: Iterable[str] = ()) -> bool:
    """Production is `^(prod|production)$` (case-insensitive), or the service's configured names."""
    names = {c.strip().lower() for c in configured if c.strip()}
    if names:
        return environment.lower() in names
    return PRODUCTION.match(environment) is not None


def is_production_deployment(deployment: DeploymentRecord, configured: Iterable[str] = ()) -> bool:
    """A success to production; a failure never reached production (metrics.md §1)."""
    return deployment.status == "success" and is_production_environment(deployment.environment, configured)


# A change says its own kind with a `Change-Kind:` line (a git trailer), which no pattern overrides.
CHANGE_KIND = re.compile(r"^[ \t]*change-kind[ \t]*:[ \t]*(\w+)[ \t]*$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class KindRules:
    """How a deployment's kind is inferred from its changes: whether at all, and the patterns (searched
    case-insensitively) that make a change message or pull-request label a rollback or a hotfix."""

    rollback: str = r"rollback|revert"
    hotfix: str = r"hotfix"
    infer: bool = True

    @classmethod
    def of(cls, rollback: str, hotfix: str, *, infer: bool = True) -> KindRules:
        return cls(rollback, hotfix, infer)

    def patterns(self) -> tuple[tuple[str, re.Pattern[str]], ...]:
        if not self.infer:
            return ()
        return _compiled(self.rollback, self.hotfix)


_PATTERNS: dict[tuple[str, str], tuple[tuple[str, re.Pattern[str]], ...]] = {}


def _compiled(rollback: str, hotfix: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    found = _PATTERNS.get((rollback, hotfix))
    if found is None:
        found = (
            ("rollback", re.compile(rollback, re.IGNORECASE)),
            ("hotfix", re.compile(hotfix, re.IGNORECASE)),
        )
        _PATTERNS[(rollback, hotfix)] = found
    return found


DEFAULT_RULES = KindRules()


def change_kind(text: str, rules: KindRules = DEFAULT_RULES) -> str:
    """One change's kind: its `Change-Kind:` trailer when it names planned, hotfix or rollback, else the
    first of rollback/hotfix whose pattern matches (when inference is on), else planned."""
    said = [str(k).lower() for k in CHANGE_KIND.findall(text)]
    explicit = [k for k in said if k in KINDS]
    if explicit:
        return str(explicit[-1])
    for name, pattern in rules.patterns():
        if pattern.search(text):
            return name
    return "planned"


def kind_from_texts(
    kind: str,
    texts: Iterable[str],
    *,
    remediation: bool = False,
    explicit: bool = False,
    rules: KindRules = DEFAULT_RULES,
) -> str:
    """A deployment's kind: its record's when the record says it (`explicit`, or any kind but planned);
    else rollback when one of its changes is a rollback, hotfix when one is a hotfix (`change_kind` of each
    change message and pull-request label); else hotfix when an incident names it as its remediation
    (`remediation`)."""
    if explicit or kind != "planned":
        return kind
    found = "planned"
    for text in texts:
        name = change_kind(text, rules)
        if name == "rollback":
            return "rollback"
        if name == "hotfix":
            found = name
    if found == "planned" and remediation:
        return "hotfix"
    return found


class _ServiceRows:
    """Each service's rows of some deployments, in finish order, found when first asked for."""

    def __init__(self, production: Deployments) -> None:
        self.production = production
        self.found: dict[str, Any] = {}

    def __call__(self, service: str) -> Any:
        if service not in self.found:
            self.found[service] = self.production.of_service(service)
        return self.found[service]


def remediations(
    production: Deployments | Sequence[DeploymentRecord],
    incident_targets: Mapping[DeploymentKey, Sequence[DeploymentKey]] | None = None,
) -> dict[DeploymentKey, DeploymentRef]:
    """For each remediated production deployment, the first later hotfix or rollback that remediates it.

    A hotfix or rollback names what it remediates; naming nothing, it remediates the deployments that the
    incidents naming it as their remediation are attributed to (`incident_targets`, see `incident_targets`),
    and without those the production deployment of its service just before it.
    """
    columns = _columns(production)
    incident_targets = incident_targets or {}
    found: dict[DeploymentKey, DeploymentRef] = {}
    of_service = _ServiceRows(columns)
    for row in np.flatnonzero(columns.rework()).tolist():
        service, did = columns.key(row)
        named = str(columns.remediates[row] or "").split()
        targets = [(service, t) for t in named]
        if not targets:
            targets = list(incident_targets.get((service, did), ()))
        if not targets:
            rows = of_service(service)
            before = int(np.searchsorted(rows, row))
            if before > 0:
                targets = [columns.key(int(rows[before - 1]))]
        fix = columns.ref(row)
        for target in targets:
            found.setdefault(target, fix)
    return found


def attribute_incidents(
    incidents: Iterable[IncidentRecord],
    production: Deployments | Sequence[DeploymentRecord],
    *,
    commit_deployments: Mapping[tuple[str, str], str] | None = None,
    window: dt.timedelta = ATTRIBUTION_WINDOW,
) -> dict[tuple[str, str], DeploymentKey | None]:
    """Each incident's deployment (metrics.md §1, incident attribution), or None when unattributed.

    A cause decides: a deployment id names that production deployment; a commit sha names the first production
    deployment that carried it (`commit_deployments[(service, sha)]`). Without a cause, the latest production
    deployment of the service that finished before the incident started, within `window`.
    """
    columns = _columns(production)
    commit_deployments = commit_deployments or {}
    incidents = list(incidents)
    named = columns.rows((i.service, i.cause) for i in incidents if i.cause)
    of_service = _ServiceRows(columns)
    within = window // _MICROSECOND
    result: dict[tuple[str, str], DeploymentKey | None] = {}
    for incident in incidents:
        target: DeploymentKey | None = None
        if incident.cause:
            if (incident.service, incident.cause) in named:
                target = (incident.service, incident.cause)
            else:
                dep = commit_deployments.get((incident.service, incident.cause))
                target = (incident.service, dep) if dep is not None else None
        else:
            rows = of_service(incident.service)
            started = micros(incident.started_at)
            i = int(np.searchsorted(columns.finished[rows], started, side="left")) - 1
            if i >= 0 and started - int(columns.finished[rows[i]]) <= within:
                target = columns.key(int(rows[i]))
        result[(incident.service, incident.id)] = target
    return result


def incident_targets(
    incidents: Iterable[IncidentRecord],
    production: Deployments | Sequence[DeploymentRecord],
    attribution: Mapping[tuple[str, str], DeploymentKey | None],
) -> dict[DeploymentKey, list[DeploymentKey]]:
    """For each production deployment named as an incident's remediation, the deployments those incidents
    are attributed to that finished before it (a deployment never remediates itself or a later one)."""
    columns = _columns(production)
    pairs = []
    for incident in incidents:
        if incident.remediation:
            pairs.append(
                ((incident.service, incident.remediation), attribution.get((incident.service, incident.id)))
            )
    # rows are in finish order, so comparing rows compares (finished_at, service, id)
    order = columns.rows([fix for fix, _ in pairs] + [t for _, t in pairs if t is not None])
    result: dict[DeploymentKey, list[DeploymentKey]] = defaultdict(list)
    for fix, target in pairs:
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


def frequency_category(finished: Sequence[dt.datetime] | Any, window: Window) -> str:
    """The fourkeys deployment-frequency rule (metrics.md §1) over every calendar day of the window.

    `finished`: the finish times (UTC), or an array of them in microseconds since the epoch. Weeks start on
    Monday; a week or month cut by the window's edge counts with the days it has in the window.
    """
    days = _calendar_days(window)
    if not days:
        return "monthly or less"
    if not isinstance(finished, np.ndarray):
        finished = np.array([micros(m) for m in finished], dtype=np.int64)
    offsets = finished // DAY_US - (days[0] - EPOCH.date()).days
    offsets = offsets[(offsets >= 0) & (offsets < len(days))]
    per_day = np.bincount(offsets, minlength=len(days)).tolist()
    weeks: dict[dt.date, list[int]] = defaultdict(list)
    months: dict[tuple[int, int], int] = defaultdict(int)
    for day, count in zip(days, per_day, strict=True):
        weeks[day - dt.timedelta(days=day.weekday())].append(count)
        months[(day.year, day.month)] += count
    distinct_days = [sum(1 for n in w if n) for w in weeks.values()]
    week_counts = [sum(w) for w in weeks.values()]
    if float(np.median(distinct_days)) >= 3:
        return "on demand"
    if float(np.median(week_counts)) >= 1:
        return "daily-to-weekly"
    if float(np.median(list(months.values()))) >= 1:
        return "weekly-to-monthly"
    return "monthly or less"


def deployment_frequency(
    production: Deployments | Sequence[DeploymentRecord], window: Window
) -> dict[str, Any]:
    """Production deployments finished in the window, per day and per week, with the fourkeys level."""
    columns = _columns(production)
    finished = columns.finished[columns.within(window)]
    count = len(finished)
    days = (window.until - window.since).total_seconds() / 86400
    category = frequency_category(finished, window)
    return {
        "count": count,
        "per_day": count / days if days else 0.0,
        "per_week": count / days * 7 if days else 0.0,
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
    remediated_by: Mapping[DeploymentKey, DeploymentRef]
    attribution: Mapping[tuple[str, str], DeploymentKey | None]


def failures(
    production: Deployments | Sequence[DeploymentRecord],
    incidents: Sequence[IncidentRecord],
    *,
    commit_deployments: Mapping[tuple[str, str], str] | None = None,
    window: dt.timedelta = ATTRIBUTION_WINDOW,
) -> Failures:
    """A production deployment failed if an incident is attributed to it or a later hotfix/rollback
    remediates it (metrics.md §1)."""
    columns = _columns(production)
    attribution = attribute_incidents(
        incidents, columns, commit_deployments=commit_deployments, window=window
    )
    incidents_of: dict[DeploymentKey, list[IncidentRecord]] = defaultdict(list)
    for incident in incidents:
        target = attribution[(incident.service, incident.id)]
        if target is not None:
            incidents_of[target].append(incident)
    remediated = remediations(columns, incident_targets(incidents, columns, attribution))
    failed = frozenset(incidents_of) | frozenset(remediated)
    return Failures(
        failed=failed,
        incidents_of={k: tuple(v) for k, v in incidents_of.items()},
        remediated_by=remediated,
        attribution=attribution,
    )


def change_failure_rate(
    production: Deployments | Sequence[DeploymentRecord],
    found: Failures,
    window: Window,
    *,
    year: int = levels.DEFAULT_YEAR,
) -> dict[str, Any]:
    """The share of production deployments finished in the window that failed; null with none."""
    columns = _columns(production)
    inside = columns.within(window)
    total = int(np.count_nonzero(inside))
    failed = int(np.count_nonzero(inside & columns.mask(found.failed)))
    rate = failed / total if total else None
    return {
        "rate": rate,
        "failed": failed,
        "total": total,
        "level": levels.level("change_failure_rate", rate, year=year),
    }


def recovered_at(deployment: DeploymentKey, found: Failures) -> dt.datetime | None:
    """When a failed deployment recovered: the latest resolution of its incidents (None while one is open),
    or without incidents the finish of the first deployment that remediates it."""
    incidents = found.incidents_of.get(deployment, ())
    if incidents:
        if any(i.resolved_at is None for i in incidents):
            return None
        return max(i.resolved_at for i in incidents if i.resolved_at is not None)
    fix = found.remediated_by.get(deployment)
    return fix.finished_at if fix is not None else None


def recovery_moment(deployment: DeploymentRecord, found: Failures) -> dt.datetime | None:
    """`recovered_at` of a deployment record."""
    return recovered_at(key(deployment), found)


def recovery_spans(columns: Deployments, found: Failures, index: Any) -> tuple[list[float | None], Any]:
    """For the failed deployments among rows `index`: the hours each took to recover (None while open), and
    their rows, in finish order."""
    rows = np.asarray(index)
    if rows.dtype == bool:
        rows = np.flatnonzero(rows)
    rows = rows[columns.mask(found.failed)[rows]]
    spans: list[float | None] = []
    for row in rows.tolist():
        moment = recovered_at(columns.key(row), found)
        spans.append(None if moment is None else max(0.0, _hours(moment, from_micros(columns.finished[row]))))
    return spans, rows


def recovery_time(
    production: Deployments | Sequence[DeploymentRecord],
    found: Failures,
    window: Window,
    *,
    year: int = levels.DEFAULT_YEAR,
) -> dict[str, Any]:
    """Failed deployment recovery time for failed production deployments finished in the window."""
    columns = _columns(production)
    found_spans, _ = recovery_spans(columns, found, columns.within(window))
    spans = [s for s in found_spans if s is not None]
    median = percentile(spans, 50)
    return {
        "median_hours": median,
        "p90_hours": percentile(spans, 90),
        "count": len(spans),
        "open": len(found_spans) - len(spans),
        "level": levels.level("recovery_time", median, year=year),
    }


def rework_rate(production: Deployments | Sequence[DeploymentRecord], window: Window) -> dict[str, Any]:
    """The share of production deployments finished in the window whose kind is hotfix or rollback."""
    columns = _columns(production)
    inside = columns.within(window)
    total = int(np.count_nonzero(inside))
    rework = int(np.count_nonzero(inside & columns.rework()))
    return {"rate": rework / total if total else None, "count": rework, "total": total}


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
    production: Deployments | Sequence[DeploymentRecord],
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
    columns = _columns(production)
    if found is None:
        found = failures(columns, incidents, commit_deployments=commit_deployments)
    return {
        "deployment_frequency": deployment_frequency(columns, window),
        "lead_time": lead_time(changes, window, year=year),
        "change_failure_rate": change_failure_rate(columns, found, window, year=year),
        "recovery_time": recovery_time(columns, found, window, year=year),
        "rework_rate": rework_rate(columns, window),
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


def weekly(
    production: Deployments, changes: ChangeSpans, found: Failures, window: Window
) -> list[dict[str, Any]]:
    """The metrics of each Monday-started week of `window` (the trend behind every chart and measure).

    Failures and attribution (`found`) are decided once over the whole window; each deployment and change is
    then counted in its week with numpy, so long windows (years of weeks) stay cheap.
    """
    periods = weeks(window)
    if not periods:
        return []
    inside = np.flatnonzero(production.within(window))
    starts = np.array([micros(w.since) for w in periods], dtype=np.int64)
    week_of = np.searchsorted(starts, production.finished[inside], side="right") - 1
    count = np.bincount(week_of, minlength=len(periods)).tolist()
    failed = production.mask(found.failed)[inside]
    failures = np.bincount(week_of[failed], minlength=len(periods)).tolist()
    rework = np.bincount(week_of[production.rework()[inside]], minlength=len(periods)).tolist()
    recovery: dict[int, list[float]] = defaultdict(list)
    spans, rows = recovery_spans(production, found, inside)
    for row, span in zip(np.searchsorted(inside, rows).tolist(), spans, strict=True):
        if span is not None:
            recovery[int(week_of[row])].append(span)
    changes = changes.by_deployment_time()
    edges = [w.since.timestamp() for w in periods] + [periods[-1].until.timestamp()]
    bounds = np.searchsorted(changes.deployed, edges).tolist()
    rows_out = []
    for n, week in enumerate(periods):
        first, last = bounds[n], bounds[n + 1]
        total = count[n]
        if not total and first == last:
            rows_out.append(
                {
                    "week": week.since,
                    "deployments": 0,
                    "lead_time_hours": None,
                    "change_failure_rate": None,
                    "recovery_hours": None,
                    "rework_rate": None,
                }
            )
            continue
        lead = changes.lead[first:last]
        valid = lead[lead > 0]
        rows_out.append(
            {
                "week": week.since,
                "deployments": total,
                "lead_time_hours": float(np.percentile(valid, 50)) if valid.size else None,
                "change_failure_rate": failures[n] / total if total else None,
                "recovery_hours": percentile(recovery.get(n, []), 50),
                "rework_rate": rework[n] / total if total else None,
            }
        )
    return rows_out


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
