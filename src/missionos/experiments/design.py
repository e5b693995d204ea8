"""Experiment designs and their metrics: validated definitions, and applying a document of flags, metrics and
experiments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionos.accounts import audit
from missionos.errors import FieldError, InputError, NotFoundError
from missionos.experiments import stats
from missionos.experiments.flags import KEY_PATTERN, FlagChange, _aware, save_flag, validate_flag
from missionos.experiments.models import Experiment, Metric


@dataclass(frozen=True)
class MetricInfo:
    key: str
    name: str
    type: str
    event: str
    denominator_event: str | None
    direction: str
    description: str


@dataclass(frozen=True)
class ExperimentInfo:
    key: str
    flag_key: str | None
    service: str | None
    hypothesis: str
    variations: list[str]
    weights: list[float]
    primary_metric: str
    guardrails: list[str]
    secondary: list[str]
    direction: str
    mme: float
    planned_sample: int | None
    alpha: float
    method: str
    started_at: dt.datetime | None
    status: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "flag": self.flag_key,
            "service": self.service,
            "hypothesis": self.hypothesis,
            "variations": self.variations,
            "weights": self.weights,
            "primary_metric": self.primary_metric,
            "guardrails": self.guardrails,
            "secondary": self.secondary,
            "direction": self.direction,
            "mme": self.mme,
            "planned_sample": self.planned_sample,
            "alpha": self.alpha,
            "method": self.method,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "status": self.status,
        }


def _experiment_info(e: Experiment) -> ExperimentInfo:
    return ExperimentInfo(
        e.key,
        e.flag_key,
        e.service,
        e.hypothesis,
        list(e.variations),
        [float(w) for w in e.weights],
        e.primary_metric,
        list(e.guardrails or []),
        list(e.secondary or []),
        e.direction,
        e.mme,
        e.planned_sample,
        e.alpha,
        e.method,
        _aware(e.started_at),
        e.status,
    )


def list_experiments(session: Session) -> list[ExperimentInfo]:
    return [_experiment_info(e) for e in session.scalars(select(Experiment).order_by(Experiment.key))]


def get_experiment(session: Session, key: str) -> ExperimentInfo:
    found = session.scalar(select(Experiment).where(Experiment.key == key))
    if found is None:
        raise NotFoundError("experiment", key)
    return _experiment_info(found)


def list_metrics(session: Session) -> dict[str, MetricInfo]:
    return {
        m.key: MetricInfo(m.key, m.name, m.type, m.event, m.denominator_event, m.direction, m.description)
        for m in session.scalars(select(Metric).order_by(Metric.key))
    }


def validate_metric(doc: Any, where: str, *, source: str | None = None) -> dict[str, Any]:
    if not isinstance(doc, Mapping):
        raise FieldError(where, "a metric object", source=source)
    key = doc.get("key")
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise FieldError(
            f"{where}.key", "a metric key of lowercase letters, digits, '.', '_' or '-'", source=source
        )
    kind = doc.get("type", "proportion")
    if kind not in stats.METRIC_TYPES:
        raise FieldError(f"{where}.type", f"one of {', '.join(stats.METRIC_TYPES)}", source=source)
    event = doc.get("event", key)
    if not isinstance(event, str) or not event:
        raise FieldError(f"{where}.event", "the name of the metric event", source=source)
    den = doc.get("denominator")
    if kind == "ratio" and not isinstance(den, str):
        raise FieldError(
            f"{where}.denominator", "the denominator's event name for a ratio metric", source=source
        )
    direction = doc.get("direction", "higher")
    if direction not in ("higher", "lower"):
        raise FieldError(f"{where}.direction", "higher or lower", source=source)
    return {
        "key": key,
        "name": str(doc.get("name") or key),
        "type": kind,
        "event": event,
        "denominator_event": den,
        "direction": direction,
        "description": str(doc.get("description") or ""),
    }


def validate_experiment(
    doc: Any, where: str, metric_keys: Iterable[str], *, source: str | None = None
) -> dict[str, Any]:
    if not isinstance(doc, Mapping):
        raise FieldError(where, "an experiment object", source=source)
    key = doc.get("key")
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise FieldError(
            f"{where}.key", "an experiment key of lowercase letters, digits, '.', '_' or '-'", source=source
        )
    variations = doc.get("variations", ["control", "treatment"])
    if (
        not isinstance(variations, list)
        or len(variations) < 2
        or len(set(map(str, variations))) != len(variations)
    ):
        raise FieldError(
            f"{where}.variations", "at least two distinct variation keys, control first", source=source
        )
    raw_weights = doc.get("weights") or [1 / len(variations)] * len(variations)
    try:
        weights = stats.check_weights(raw_weights, len(variations), field_name=f"{where}.weights")
    except FieldError as exc:
        raise FieldError(exc.field, exc.expected, source=source) from None
    known = set(metric_keys)
    primary = doc.get("primary_metric")
    if primary not in known:
        raise FieldError(
            f"{where}.primary_metric",
            f"one of the defined metrics ({', '.join(sorted(known)) or 'none'})",
            source=source,
        )
    lists: dict[str, list[str]] = {}
    for name in ("guardrails", "secondary"):
        values = doc.get(name) or []
        bad = [m for m in values if m not in known]
        if not isinstance(values, list) or bad:
            raise FieldError(
                f"{where}.{name}",
                f"a list of defined metrics (unknown: {', '.join(map(str, bad))})",
                source=source,
            )
        lists[name] = list(values)
    direction = doc.get("direction", "higher")
    if direction not in ("higher", "lower"):
        raise FieldError(f"{where}.direction", "higher or lower", source=source)
    mme = doc.get("mme", 0.0)
    if not isinstance(mme, int | float) or mme < 0:
        raise FieldError(f"{where}.mme", "a non-negative relative effect, e.g. 0.02 for 2%", source=source)
    planned = doc.get("planned_sample")
    if planned is not None and (not isinstance(planned, int) or planned < 0):
        raise FieldError(f"{where}.planned_sample", "a non-negative number of units", source=source)
    method = doc.get("method", "frequentist")
    if method not in stats.METHODS:
        raise FieldError(f"{where}.method", f"one of {', '.join(stats.METHODS)}", source=source)
    alpha = doc.get("alpha", 0.05)
    if not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise FieldError(f"{where}.alpha", "a number between 0 and 1", source=source)
    started = doc.get("started_at")
    started_at = None
    if started is not None:
        started_at = _parse_time(started, f"{where}.started_at", source=source)
    return {
        "key": key,
        "flag_key": doc.get("flag", key),
        "service": doc.get("service"),
        "hypothesis": str(doc.get("hypothesis") or ""),
        "variations": [str(v) for v in variations],
        "weights": weights,
        "primary_metric": primary,
        "guardrails": lists["guardrails"],
        "secondary": lists["secondary"],
        "direction": direction,
        "mme": float(mme),
        "planned_sample": planned,
        "alpha": float(alpha),
        "method": method,
        "started_at": started_at,
        "status": doc.get("status", "running"),
    }


@dataclass(frozen=True)
class ApplyReport:
    flags: list[FlagChange] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    experiments: list[str] = field(default_factory=list)


def apply_document(session: Session, doc: Any, *, actor: str, source: str = "document") -> ApplyReport:
    """Apply a YAML/JSON document of `flags`, `metrics` and `experiments`; all of it or nothing."""
    if not isinstance(doc, Mapping) or not set(doc) & {"flags", "metrics", "experiments"}:
        raise InputError(
            "expected a document with 'flags', 'metrics' and/or 'experiments' lists", source=source
        )
    for name in ("flags", "metrics", "experiments"):
        if name in doc and not isinstance(doc[name], list):
            raise FieldError(name, "a list", source=source)
    flags = [validate_flag(f, f"flags[{i}]", source=source) for i, f in enumerate(doc.get("flags") or [])]
    metrics = [
        validate_metric(m, f"metrics[{i}]", source=source) for i, m in enumerate(doc.get("metrics") or [])
    ]
    known = set(list_metrics(session)) | {m["key"] for m in metrics}
    exps = [
        validate_experiment(e, f"experiments[{i}]", known, source=source)
        for i, e in enumerate(doc.get("experiments") or [])
    ]
    report = ApplyReport()
    for f in flags:
        report.flags.append(save_flag(session, f, actor=actor))
    for m in metrics:
        found = session.scalar(select(Metric).where(Metric.key == m["key"]))
        if found is None:
            session.add(Metric(**m))
        else:
            for k, v in m.items():
                setattr(found, k, v)
        report.metrics.append(m["key"])
    session.flush()
    for e in exps:
        found_e = session.scalar(select(Experiment).where(Experiment.key == e["key"]))
        before = _experiment_info(found_e).as_dict() if found_e else None
        if found_e is None:
            found_e = Experiment(**e)
            session.add(found_e)
        else:
            for k, v in e.items():
                setattr(found_e, k, v)
        session.flush()
        after = _experiment_info(found_e).as_dict()
        if before != after:
            audit.record(
                session,
                actor=actor,
                action="create" if before is None else "update",
                kind="experiment",
                key=e["key"],
                before=before,
                after=after,
            )
        report.experiments.append(e["key"])
    return report


# A time with its offset: the designs' start times and the exposures' and events' time stamps.
def _parse_time(value: Any, where: str, *, source: str | None = None, line: int | None = None) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise InputError(
                f"{where}: expected an ISO 8601 time with an offset, got {value!r}", source=source, line=line
            ) from None
    if moment.tzinfo is None:
        raise InputError(
            f"{where}: expected a time with a UTC offset, got {value!r}", source=source, line=line
        )
    return moment.astimezone(dt.UTC)
