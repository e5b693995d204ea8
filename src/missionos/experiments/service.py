"""The experiments context's public service: flags, experiments, exposures, events, analysis and verdicts.

The CLI and the web layer call these functions; they hold the SQL (through `warehouse`) and the rules, and the
statistics live in `stats`.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, create_engine, delete, inspect, make_url, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session
from sqlalchemy.sql import TableClause

from missionos import safeload
from missionos.accounts import audit, limits
from missionos.accounts.identity import Principal
from missionos.errors import ConflictError, FieldError, InputError, NotFoundError
from missionos.experiments import conditions, ofrep, stats, sticky, warehouse
from missionos.experiments.evaluation import (
    EvalContext,
    evaluate_feature,
    sticky_attributes,
    sticky_document_keys,
)
from missionos.experiments.models import (
    ClientKey,
    Experiment,
    Exposure,
    Flag,
    FlagVersion,
    Metric,
    MetricEvent,
)
from missionos.experiments.payload import encrypt_payload
from missionos.store import Database, utcnow

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,199}$")
RULE_FIELDS = {
    "id",
    "condition",
    "parentConditions",
    "force",
    "variations",
    "weights",
    "key",
    "hashAttribute",
    "fallbackAttribute",
    "hashVersion",
    "disableStickyBucketing",
    "bucketVersion",
    "minBucketVersion",
    "range",
    "coverage",
    "namespace",
    "meta",
    "filters",
    "seed",
    "name",
    "phase",
    "ranges",
    "tracks",
    "description",
}


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


# --- flags -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlagInfo:
    key: str
    service: str | None
    description: str
    value_type: str
    definition: dict[str, Any]
    version: int
    archived: bool
    updated_at: dt.datetime
    updated_by: str

    @property
    def rollout(self) -> float | None:
        """The coverage of the flag's first rollout or experiment rule, if it has one."""
        for rule in self.definition.get("rules", []):
            if "coverage" in rule:
                return float(rule["coverage"])
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "service": self.service,
            "description": self.description,
            "valueType": self.value_type,
            "defaultValue": self.definition.get("defaultValue"),
            "rules": self.definition.get("rules", []),
            "version": self.version,
            "archived": self.archived,
            "rollout": self.rollout,
            "updatedAt": self.updated_at.isoformat(),
            "updatedBy": self.updated_by,
        }


@dataclass(frozen=True)
class FlagChange:
    key: str
    action: str  # create | update | unchanged
    version: int


def _flag_info(f: Flag) -> FlagInfo:
    return FlagInfo(
        f.key,
        f.service,
        f.description,
        f.value_type,
        dict(f.definition),
        f.version,
        f.archived,
        _aware(f.updated_at) or utcnow(),
        f.updated_by,
    )


def list_flags(session: Session) -> list[FlagInfo]:
    """Every flag, by key."""
    return [_flag_info(f) for f in session.scalars(select(Flag).order_by(Flag.key))]


def get_flag(session: Session, key: str) -> FlagInfo:
    found = session.scalar(select(Flag).where(Flag.key == key))
    if found is None:
        raise NotFoundError("flag", key)
    return _flag_info(found)


def validate_rule(rule: Any, where: str, *, source: str | None = None) -> dict[str, Any]:
    """Check one GrowthBook rule: known fields of the right shape; weights that match the variations."""
    if not isinstance(rule, Mapping):
        raise FieldError(where, "a rule object", source=source)
    unknown = sorted(set(rule) - RULE_FIELDS)
    if unknown:
        raise FieldError(
            f"{where}.{unknown[0]}", f"one of the rule fields {', '.join(sorted(RULE_FIELDS))}", source=source
        )
    _check_conditions(rule, where, source=source)
    if "coverage" in rule:
        cov = rule["coverage"]
        if not isinstance(cov, int | float) or isinstance(cov, bool) or not 0 <= cov <= 1:
            raise FieldError(f"{where}.coverage", "a number between 0 and 1", source=source)
    if "hashVersion" in rule and rule["hashVersion"] not in (1, 2):
        raise FieldError(f"{where}.hashVersion", "1 or 2", source=source)
    for name in ("bucketVersion", "minBucketVersion"):
        if name in rule:
            version = rule[name]
            if not isinstance(version, int) or isinstance(version, bool) or version < 0:
                raise FieldError(f"{where}.{name}", "a whole number, 0 or more", source=source)
    if "disableStickyBucketing" in rule and not isinstance(rule["disableStickyBucketing"], bool):
        raise FieldError(f"{where}.disableStickyBucketing", "true or false", source=source)
    variations = rule.get("variations")
    if "force" not in rule and variations is None:
        raise FieldError(
            where, "either 'force' (a forced value or rollout) or 'variations' (an experiment)", source=source
        )
    if variations is not None:
        if not isinstance(variations, list) or len(variations) < 2:
            raise FieldError(f"{where}.variations", "a list of at least two values", source=source)
        weights = rule.get("weights")
        if weights is not None:
            if (
                not isinstance(weights, list)
                or len(weights) != len(variations)
                or any(not isinstance(w, int | float) or w < 0 for w in weights)
            ):
                raise FieldError(
                    f"{where}.weights",
                    f"{len(variations)} non-negative weights, one per variation",
                    source=source,
                )
            if not math.isclose(sum(weights), 1.0, abs_tol=0.001):
                raise FieldError(
                    f"{where}.weights", f"weights that sum to 1 (they sum to {sum(weights):g})", source=source
                )
        meta = rule.get("meta")
        if meta is not None and (not isinstance(meta, list) or len(meta) != len(variations)):
            raise FieldError(f"{where}.meta", f"{len(variations)} entries, one per variation", source=source)
    for name in ("range",):
        if name in rule:
            rng = rule[name]
            if not isinstance(rng, list) or len(rng) != 2 or not 0 <= rng[0] <= rng[1] <= 1:
                raise FieldError(f"{where}.{name}", "[start, end] within 0..1", source=source)
    if "namespace" in rule:
        ns = rule["namespace"]
        if not isinstance(ns, list) or len(ns) != 3 or not isinstance(ns[0], str):
            raise FieldError(f"{where}.namespace", "[name, start, end]", source=source)
    return dict(rule)


def _check_conditions(rule: Mapping[str, Any], where: str, *, source: str | None) -> None:
    """The rule's `condition` and its `parentConditions`' conditions, each checked before it is stored; the
    error names the rule (by its id when it has one) and the JSON path."""
    named = f"rule {rule['id']!r}" if isinstance(rule.get("id"), str) else "the rule"
    try:
        if "condition" in rule:
            conditions.check(rule["condition"], f"{where}.condition", source=source)
        parents = rule.get("parentConditions")
        if parents is not None:
            if not isinstance(parents, list):
                raise FieldError(f"{where}.parentConditions", "a list of {id, condition}", source=source)
            for i, parent in enumerate(parents):
                path = f"{where}.parentConditions[{i}]"
                if not isinstance(parent, Mapping) or not isinstance(parent.get("id"), str):
                    raise FieldError(
                        path, "an object with the prerequisite flag's id and a condition", source=source
                    )
                conditions.check(parent.get("condition", {}), f"{path}.condition", source=source)
    except FieldError as exc:
        raise FieldError(exc.field, f"{exc.expected} (in {named})", source=source) from None


def validate_flag(doc: Any, where: str, *, source: str | None = None) -> dict[str, Any]:
    """A flag document: `key`, optional `service`, `description`, `defaultValue`, `rules`."""
    if not isinstance(doc, Mapping):
        raise FieldError(where, "a flag object with a key", source=source)
    key = doc.get("key")
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        raise FieldError(f"{where}.key", "a key of lowercase letters, digits, '.', '_' or '-'", source=source)
    rules = doc.get("rules", [])
    if not isinstance(rules, list):
        raise FieldError(f"{where}.rules", "a list of rules", source=source)
    checked = [validate_rule(r, f"{where}.rules[{i}]", source=source) for i, r in enumerate(rules)]
    default = doc.get("defaultValue", False)
    value_type = doc.get("valueType") or _value_type(default)
    return {
        "key": key,
        "service": doc.get("service"),
        "description": str(doc.get("description") or ""),
        "valueType": value_type,
        "definition": {"defaultValue": default, "rules": checked},
    }


def _value_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "json"


def save_flag(session: Session, doc: Mapping[str, Any], *, actor: str, comment: str = "") -> FlagChange:
    """Create or update one validated flag; a changed definition gets a new version and an audit entry."""
    found = session.scalar(select(Flag).where(Flag.key == doc["key"]))
    now = utcnow()
    if found is None:
        flag = Flag(
            key=doc["key"],
            service=doc.get("service"),
            description=doc.get("description", ""),
            value_type=doc.get("valueType", "boolean"),
            definition=doc["definition"],
            version=1,
            updated_at=now,
            updated_by=actor,
        )
        session.add(flag)
        session.flush()
        session.add(
            FlagVersion(
                flag_id=flag.id,
                version=1,
                definition=doc["definition"],
                description=flag.description,
                changed_at=now,
                changed_by=actor,
                comment=comment,
            )
        )
        audit.record(
            session, actor=actor, action="create", kind="flag", key=flag.key, after=_flag_info(flag).as_dict()
        )
        return FlagChange(flag.key, "create", 1)
    before = _flag_info(found).as_dict()
    same = (
        _canonical(found.definition) == _canonical(doc["definition"])
        and found.service == doc.get("service")
        and found.description == doc.get("description", "")
    )
    if same:
        return FlagChange(found.key, "unchanged", found.version)
    found.definition = doc["definition"]
    found.service = doc.get("service")
    found.description = doc.get("description", "")
    found.value_type = doc.get("valueType", found.value_type)
    found.version += 1
    found.updated_at = now
    found.updated_by = actor
    session.add(
        FlagVersion(
            flag_id=found.id,
            version=found.version,
            definition=doc["definition"],
            description=found.description,
            changed_at=now,
            changed_by=actor,
            comment=comment,
        )
    )
    audit.record(
        session,
        actor=actor,
        action="update",
        kind="flag",
        key=found.key,
        before=before,
        after=_flag_info(found).as_dict(),
    )
    return FlagChange(found.key, "update", found.version)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def set_rollout(session: Session, key: str, coverage: float, *, actor: str) -> FlagChange:
    """Set the coverage of the flag's first rollout or experiment rule (raising it re-buckets no one: a
    unit's hash does not change, so everyone already in stays in)."""
    if not 0 <= coverage <= 1:
        raise FieldError("coverage", "a share between 0 and 1 (e.g. 0.25 for 25%)")
    flag = get_flag(session, key)
    rules = [dict(r) for r in flag.definition.get("rules", [])]
    target = next((r for r in rules if "coverage" in r or "variations" in r), None)
    if target is None:
        raise ConflictError(f"flag {key!r} has no rollout or experiment rule to set the coverage of")
    target["coverage"] = coverage
    doc = {
        "key": key,
        "service": flag.service,
        "description": flag.description,
        "valueType": flag.value_type,
        "definition": {**flag.definition, "rules": rules},
    }
    return save_flag(session, doc, actor=actor, comment=f"rollout to {coverage:.0%}")


@dataclass(frozen=True)
class FlagVersionInfo:
    version: int
    changed_at: dt.datetime
    changed_by: str
    comment: str
    definition: dict[str, Any]

    @property
    def rollout(self) -> float | None:
        for rule in self.definition.get("rules", []):
            if "coverage" in rule:
                return float(rule["coverage"])
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "changedAt": self.changed_at.isoformat(),
            "changedBy": self.changed_by,
            "comment": self.comment,
            "rollout": self.rollout,
            "definition": self.definition,
        }


def flag_history(session: Session, key: str) -> list[FlagVersionInfo]:
    """Every version of the flag, newest first."""
    found = session.scalar(select(Flag).where(Flag.key == key))
    if found is None:
        raise NotFoundError("flag", key)
    rows = session.scalars(
        select(FlagVersion).where(FlagVersion.flag_id == found.id).order_by(FlagVersion.version.desc())
    )
    return [
        FlagVersionInfo(
            r.version, _aware(r.changed_at) or utcnow(), r.changed_by, r.comment, dict(r.definition)
        )
        for r in rows
    ]


def features(session: Session) -> dict[str, Any]:
    """The GrowthBook feature map of every live flag."""
    return {
        f.key: f.definition
        for f in session.scalars(select(Flag).where(Flag.archived.is_(False)).order_by(Flag.key))
    }


def evaluate(session: Session, key: str, attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Evaluate flag `key` for a user with `attributes` (a GrowthBook feature result)."""
    get_flag(session, key)
    return evaluate_feature(EvalContext(attributes=dict(attributes), features=features(session)), key)


# --- OpenFeature remote evaluation, with server-side sticky buckets -----------------------------------------


def _sticky_documents(
    session: Session, names: Sequence[str], context: Mapping[str, Any]
) -> dict[str, dict[str, Any]] | None:
    """The stored sticky-bucket documents of the user's own values of the attributes `names` (None when
    there are no such attributes: no rule is sticky)."""
    if not names:
        return None
    keys = sticky_document_keys(ofrep.attributes_of(context), names)
    for name, value in keys:
        if len(value) > sticky.MAX_VALUE:
            where = "targetingKey" if name == "id" and "id" not in context else name
            raise FieldError(where, f"at most {sticky.MAX_VALUE} characters (it names a sticky bucket)")
    return sticky.documents(session, keys)


def _evaluate_ofrep(
    session: Session,
    feats: Mapping[str, Any],
    keys: Sequence[str],
    context: Mapping[str, Any],
    stored: dict[str, dict[str, Any]] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]] | None]:
    """OFREP results for `keys`, and the user's sticky-bucket documents after evaluation (None when no rule
    of these flags is sticky). Only the documents of the user's own values of the sticky rules' hash and
    fallback attributes are read; what evaluation added is merged into the store in the session's
    transaction. Without a sticky rule nothing is read or written."""
    docs = (
        stored if stored is not None else _sticky_documents(session, sticky_attributes(feats, keys), context)
    )
    if docs is None:
        return [ofrep.evaluate(feats, key, context) for key in keys], None
    before = sticky.snapshot(docs)
    results = [ofrep.evaluate(feats, key, context, sticky_docs=docs) for key in keys]
    sticky.save(session, sticky.changes(before, docs))
    return results, docs


def ofrep_flag(session: Session, key: str, context: Mapping[str, Any]) -> dict[str, Any]:
    """One flag's OFREP evaluation for `context` (see `ofrep.evaluate`), keeping sticky assignments."""
    results, _ = _evaluate_ofrep(session, features(session), [key], context)
    return results[0]


def _ofrep_etag(
    feats: Mapping[str, Any], context: Mapping[str, Any], docs: Mapping[str, Mapping[str, Any]] | None
) -> str:
    document: list[Any] = [feats, context]
    if docs is not None:
        document.append({k: d.get("assignments") or {} for k, d in docs.items()})
    digest = hashlib.sha256(
        json.dumps(document, sort_keys=True, separators=(",", ":"), default=str).encode()
    ).hexdigest()[:32]
    return f'"{digest}"'


def ofrep_flags(
    session: Session, context: Mapping[str, Any], if_none_match: str | None = None
) -> tuple[list[dict[str, Any]] | None, str]:
    """Every flag's OFREP evaluation for `context`, with the answer's ETag; the flags are None when
    `if_none_match` already is that ETag.

    The ETag digests the flags, the context and, when a rule is sticky, the user's stored sticky assignments,
    so clearing them changes it. The assignments are those after evaluation: a repeated request reads the same
    documents, matches, and would have stored nothing new, so it answers 304 without evaluating."""
    feats = features(session)
    keys = sorted(feats)
    stored = _sticky_documents(session, sticky_attributes(feats, keys), context)
    if if_none_match is not None:
        etag = _ofrep_etag(feats, context, stored)
        if if_none_match == etag:
            return None, etag
    results, docs = _evaluate_ofrep(session, feats, keys, context, stored)
    return results, _ofrep_etag(feats, context, docs)


# --- client keys and the SDK payload -----------------------------------------------------------------------


def add_client_key(
    session: Session, key: str, *, actor: str, description: str = "", encryption_key: str | None = None
) -> None:
    if not KEY_PATTERN.match(key):
        raise FieldError("client_key", "lowercase letters, digits, '.', '_' or '-'")
    if session.scalar(select(ClientKey).where(ClientKey.key == key)) is not None:
        raise ConflictError(f"client key {key!r} exists")
    session.add(ClientKey(key=key, description=description, encryption_key=encryption_key))
    audit.record(
        session,
        actor=actor,
        action="create",
        kind="client-key",
        key=key,
        after={"encrypted": bool(encryption_key)},
    )


def sdk_payload(session: Session, client_key: str) -> dict[str, Any]:
    """The payload GrowthBook SDKs fetch for `client_key`; encrypted when the key has an encryption key."""
    found = session.scalar(select(ClientKey).where(ClientKey.key == client_key))
    if found is None:
        raise NotFoundError("client key", client_key)
    feats = features(session)
    updated = session.scalar(select(Flag.updated_at).order_by(Flag.updated_at.desc()).limit(1))
    doc: dict[str, Any] = {
        "status": 200,
        "features": feats,
        "dateUpdated": (_aware(updated) or utcnow()).isoformat(),
    }
    if found.encryption_key:
        doc["features"] = {}
        doc["encryptedFeatures"] = encrypt_payload(
            json.dumps(feats, separators=(",", ":")), found.encryption_key
        )
    return doc


# --- metrics and experiments -------------------------------------------------------------------------------


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


# --- exposures and events ----------------------------------------------------------------------------------


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


def read_records(text: str, *, source: str, fmt: str | None = None) -> list[tuple[int, dict[str, Any]]]:
    """Records of a JSON Lines or CSV file, each with its line number; the format is told by `fmt` or the
    file name's extension (.jsonl, .ndjson, .json, .csv)."""
    kind = fmt or ("csv" if source.lower().endswith(".csv") else "jsonl")
    out: list[tuple[int, dict[str, Any]]] = []
    if kind == "csv":
        reader = csv.DictReader(io.StringIO(text))
        for row in reader:
            out.append((reader.line_num, {k: v for k, v in row.items() if k is not None}))
        return out
    if kind != "jsonl":
        raise FieldError("--format", "jsonl or csv")
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = safeload.loads_json(line, source=source, first_line=number)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"expected one JSON object per line ({exc.msg})", source=source, line=number
            ) from None
        if not isinstance(value, dict):
            raise InputError("expected a JSON object", source=source, line=number)
        out.append((number, value))
    return out


def iter_file_records(
    path: Path, *, source: str, fmt: str | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The records of a JSON Lines or CSV file read one line at a time (the file is never held whole), each
    with its line number; the format is told by `fmt` or the file name's extension."""
    kind = fmt or ("csv" if source.lower().endswith(".csv") else "jsonl")
    if kind not in ("csv", "jsonl"):
        raise FieldError("--input-format", "jsonl or csv")
    try:
        handle = path.open(encoding="utf-8", newline="" if kind == "csv" else None)
    except FileNotFoundError:
        raise InputError("no such file", source=source) from None
    except IsADirectoryError:
        raise InputError("expected a file, not a folder", source=source) from None
    number = 0
    try:
        with handle:
            if kind == "csv":
                reader = csv.DictReader(handle)
                for row in reader:
                    number = reader.line_num
                    yield reader.line_num, {k: v for k, v in row.items() if k is not None}
                return
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                yield number, safeload.json_object_line(line, source=source, line=number)
    except UnicodeDecodeError:
        raise InputError("expected UTF-8 text", source=source, line=number + 1) from None


CHUNK = 5000


def _chunks(rows: Iterable[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _text(
    record: Mapping[str, Any], name: str, *, source: str, line: int | None, aliases: Sequence[str] = ()
) -> str:
    for key in (name, *aliases):
        value = record.get(key)
        if value not in (None, ""):
            return str(value)
    raise InputError(f"field '{name}': expected a non-empty value", source=source, line=line)


def import_exposures(
    session: Session,
    records: Iterable[tuple[int | None, Mapping[str, Any]]],
    *,
    source: str,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Store exposures `{experiment, unit_id, variation, timestamp}`; the whole batch, or none of it.

    Every record is checked: the experiment must exist and the variation must be one of its own. Records are
    stored in chunks as they are read (a bad one raises, and the caller's transaction drops the batch), so a
    large file is never held in memory. Re-importing the same exposures adds nothing. `progress(n)` is told
    after each chunk."""
    designs = {e.key: e for e in list_experiments(session)}

    def rows() -> Iterator[dict[str, Any]]:
        for line, rec in records:
            experiment = _text(rec, "experiment", source=source, line=line, aliases=("experiment_key",))
            design = designs.get(experiment)
            if design is None:
                raise InputError(
                    f"field 'experiment': no experiment named {experiment!r}", source=source, line=line
                )
            variation = _text(rec, "variation", source=source, line=line)
            if variation not in design.variations:
                raise InputError(
                    f"field 'variation': expected one of {', '.join(design.variations)} for {experiment}, "
                    f"got {variation!r}",
                    source=source,
                    line=line,
                )
            yield {
                "experiment_key": experiment,
                "unit_id": _text(rec, "unit_id", source=source, line=line, aliases=("unit", "user_id", "id")),
                "variation": variation,
                "exposed_at": _parse_time(
                    _text(rec, "timestamp", source=source, line=line, aliases=("exposed_at", "at")),
                    "field 'timestamp'",
                    source=source,
                    line=line,
                ),
            }

    read = added = 0
    for chunk in _chunks(rows()):
        read += len(chunk)
        added += _insert_ignoring_duplicates(
            session, Exposure.__table__, chunk, ["experiment_key", "unit_id", "variation", "exposed_at"]
        )
        if progress is not None:
            progress(len(chunk))
    return {"read": read, "added": added}


def event_key(unit_id: str, event: str, at: dt.datetime, value: float, external_id: str | None = None) -> str:
    """The natural key of a metric event: its external id if it has one, else a digest of its content."""
    basis = external_id or f"{unit_id}\x1f{event}\x1f{at.isoformat()}\x1f{value!r}"
    return hashlib.sha256(basis.encode()).hexdigest()[:32]


def import_events(
    session: Session,
    records: Iterable[tuple[int | None, Mapping[str, Any]]],
    *,
    source: str,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Store metric events `{unit_id, event, value?, timestamp, id?}`; the whole batch, or none of it. Stored
    in chunks as they are read, as `import_exposures`."""

    def rows() -> Iterator[dict[str, Any]]:
        for line, rec in records:
            unit = _text(rec, "unit_id", source=source, line=line, aliases=("unit", "user_id"))
            name = _text(rec, "event", source=source, line=line, aliases=("metric",))
            raw_value = rec.get("value", 1.0)
            if raw_value in (None, ""):
                raw_value = 1.0
            try:
                value = float(raw_value)
            except (TypeError, ValueError):
                value = math.nan
            if isinstance(raw_value, bool) or not math.isfinite(value):
                raise InputError(
                    f"field 'value': expected a finite number, got {raw_value!r}", source=source, line=line
                )
            at = _parse_time(
                _text(rec, "timestamp", source=source, line=line, aliases=("occurred_at", "at")),
                "field 'timestamp'",
                source=source,
                line=line,
            )
            ext = rec.get("id")
            yield {
                "key": event_key(unit, name, at, value, str(ext) if ext not in (None, "") else None),
                "unit_id": unit,
                "event": name,
                "value": value,
                "occurred_at": at,
            }

    read = added = 0
    for chunk in _chunks(rows()):
        read += len(chunk)
        added += _insert_ignoring_duplicates(session, MetricEvent.__table__, chunk, ["key"])
        if progress is not None:
            progress(len(chunk))
    return {"read": read, "added": added}


def _insert_ignoring_duplicates(
    session: Session, tbl: Any, rows: list[dict[str, Any]], keys: list[str]
) -> int:
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    maker = pg_insert if dialect == "postgresql" else sqlite_insert
    added = 0
    for start in range(0, len(rows), 5000):
        chunk = rows[start : start + 5000]
        # RETURNING yields a row per inserted record only, so skipped duplicates are not counted.
        stmt = maker(tbl).on_conflict_do_nothing(index_elements=keys).returning(tbl.c.id)
        added += len(session.execute(stmt, chunk).all())
    return added


def clear_experiment_data(session: Session, experiment: str) -> None:
    """Remove an experiment's exposures (used when regenerating demo data)."""
    session.execute(delete(Exposure).where(Exposure.experiment_key == experiment))


# --- analysis ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Where the exposures and events live: the embedded database, or a warehouse reached by URL."""

    url: str | None = None
    exposures_table: str = "experiments_exposure"
    events_table: str = "experiments_event"

    def tables(self) -> tuple[TableClause, TableClause]:
        """The two tables; a name may be qualified by its schema (`analytics.exposures`)."""
        ex_schema, _, ex_name = self.exposures_table.rpartition(".")
        ev_schema, _, ev_name = self.events_table.rpartition(".")
        return (
            warehouse.exposures_table(ex_name, ex_schema or None),
            warehouse.events_table(ev_name, ev_schema or None),
        )


@dataclass(frozen=True)
class MetricResult:
    metric: MetricInfo
    role: str  # primary | guardrail | secondary
    variations: list[dict[str, Any]]
    comparisons: list[stats.Comparison]
    harmed: bool
    adjusted_p: list[float | None] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric.key,
            "name": self.metric.name,
            "type": self.metric.type,
            "role": self.role,
            "direction": self.metric.direction,
            "variations": self.variations,
            "results": [c.as_dict() for c in self.comparisons],
            "harmed": self.harmed,
            **({"adjusted_p_values": self.adjusted_p} if self.adjusted_p is not None else {}),
        }


@dataclass(frozen=True)
class Analysis:
    experiment: ExperimentInfo
    counts: warehouse.ExposureCounts
    srm: stats.SrmResult | None
    metrics: list[MetricResult]
    verdict: stats.VerdictResult
    power: stats.PowerResult | None
    daily_traffic: float | None
    analyzed_at: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "experiment": self.experiment.as_dict(),
            "exposures": {
                "units": self.counts.units,
                "multiple_variations": self.counts.multiple_variations,
                "exposures": self.counts.exposures,
                "duplicates": self.counts.duplicates,
            },
            "srm": self.srm.as_dict() if self.srm else None,
            "metrics": [m.as_dict() for m in self.metrics],
            "verdict": {"status": self.verdict.status, "reason": self.verdict.reason},
            "power": self.power.as_dict() if self.power else None,
            "daily_traffic": self.daily_traffic,
            "analyzed_at": self.analyzed_at.isoformat(),
        }


WAREHOUSE_COLUMNS = {
    "exposures": ("experiment_key", "unit_id", "variation", "exposed_at"),
    "events": ("unit_id", "event", "value", "occurred_at"),
}


def _safe_url(url: str) -> str:
    """The URL as it may be shown: without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _connect(db: Database, source: Source) -> Iterator[Connection]:
    """A connection to the source's database; a URL that cannot be read or reached is a `FieldError` on
    `--source` naming it (without its password), never a traceback."""
    if not source.url:
        with db.engine.connect() as conn:
            yield conn
        return
    try:
        engine = create_engine(source.url)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise FieldError(
            "--source",
            "a SQLAlchemy URL such as postgresql://user@host/db, sqlite:///path/file.db or "
            f"duckdb:///path/file.duckdb; got {source.url!r} ({exc})",
        ) from None
    try:
        try:
            conn = engine.connect()
        except DBAPIError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            raise FieldError(
                "--source",
                f"a warehouse that answers; {_safe_url(source.url)} could not be reached ({reason})",
            ) from None
        with conn:
            _check_tables(conn, source)
            yield conn
    finally:
        engine.dispose()


def _check_tables(conn: Connection, source: Source) -> None:
    """Each source table exists and has the columns the analysis reads; otherwise a `FieldError` on the
    `--exposures-table` or `--events-table` option that names what is missing."""
    inspector = inspect(conn)
    for option, kind, name in (
        ("--exposures-table", "exposures", source.exposures_table),
        ("--events-table", "events", source.events_table),
    ):
        schema, _, bare = name.rpartition(".")
        try:
            present = inspector.has_table(bare, schema=schema or None)
            found = (
                {c["name"].lower() for c in inspector.get_columns(bare, schema=schema or None)}
                if present
                else set()
            )
        except DBAPIError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            raise FieldError(
                option, f"a {kind} table that can be read at {_safe_url(source.url or '')} ({reason})"
            ) from None
        if not present:
            raise FieldError(
                option, f"a {kind} table at {_safe_url(source.url or '')}; there is no table {name!r}"
            )
        missing = [c for c in WAREHOUSE_COLUMNS[kind] if c not in found]
        if missing:
            raise FieldError(
                option,
                f"the {kind} table, with the columns {', '.join(WAREHOUSE_COLUMNS[kind])}; "
                f"{name!r} lacks {', '.join(missing)}",
            )


def analyze(
    db: Database,
    key: str,
    *,
    source: Source | None = None,
    method: str | None = None,
    correction: str | None = None,
    until: dt.datetime | None = None,
    prior: tuple[float, float] | None = None,
    alpha: float | None = None,
) -> Analysis:
    """The whole pipeline on a stored experiment: exposure counts and SRM, every metric, the guardrails, and
    the verdict on its bet (metrics.md §3)."""
    src = source or Source()
    with db.session() as session:
        design = get_experiment(session, key)
        metrics = list_metrics(session)
    exposures, events = src.tables()
    method = method or design.method
    if alpha is not None and not 0 < alpha < 1:
        raise FieldError("--alpha", f"a number strictly between 0 and 1, e.g. 0.05; got {alpha:g}")
    alpha = alpha or design.alpha
    if correction is not None and correction not in stats.CORRECTIONS:
        raise FieldError("--correction", f"one of {', '.join(stats.CORRECTIONS)}")
    roles = (
        [(design.primary_metric, "primary")]
        + [(g, "guardrail") for g in design.guardrails]
        + [(s, "secondary") for s in design.secondary]
    )
    results: list[MetricResult] = []
    for conn in _connect(db, src):
        specs = [
            warehouse.MetricSpec(metrics[k].type, metrics[k].event, metrics[k].denominator_event)
            for k, _ in roles
        ]
        counts, all_raw = warehouse.aggregate(conn, exposures, events, key, specs, until=until)
        unknown = sorted(set(counts.units) - set(design.variations))
        if unknown:
            raise InputError(
                f"exposures name variations the experiment does not have: {', '.join(unknown)}", source=key
            )
        observed = [counts.units.get(v, 0) for v in design.variations]
        srm_result = stats.srm(observed, design.weights) if sum(observed) else None
        enough = all(n >= 2 for n in observed)
        for (metric_key, role), raw in zip(roles, all_raw, strict=True):
            metric = metrics[metric_key]
            per_var = [_variation_stats(v, raw.get(v), metric.type) for v in design.variations]
            comparisons: list[stats.Comparison] = []
            if enough and all(v.n >= 2 for v in per_var) and (per_var[0].sum != 0):
                comparisons = stats.compare(
                    metric.type,
                    per_var,
                    method=method,
                    alpha=alpha,
                    direction=metric.direction,
                    prior=prior,
                )
            harmed = role == "guardrail" and any(_harmed(c, metric.direction) for c in comparisons)
            results.append(
                MetricResult(
                    metric,
                    role,
                    [{"name": v.name, "n": v.n, "sum": v.sum, "sum_squares": v.sum_squares} for v in per_var],
                    comparisons,
                    harmed,
                )
            )
        traffic = _daily_traffic(conn, exposures, key)
    if correction:
        flat = [
            (i, j, c.absolute.p_value) for i, m in enumerate(results) for j, c in enumerate(m.comparisons)
        ]
        adjusted = stats.CORRECTIONS[correction]([p or 1.0 for _, _, p in flat])
        per_metric: dict[int, list[float | None]] = {}
        for (i, _, _), a in zip(flat, adjusted, strict=True):
            per_metric.setdefault(i, []).append(a)
        results = [
            MetricResult(m.metric, m.role, m.variations, m.comparisons, m.harmed, per_metric.get(i, []))
            for i, m in enumerate(results)
        ]
    primary = results[0].comparisons[0] if results and results[0].comparisons else None
    verdict = stats.decide(
        srm_result=srm_result,
        primary=primary,
        direction=design.direction,
        mme=design.mme,
        guardrails_harmed=[m.metric.key for m in results if m.harmed],
        planned_sample=design.planned_sample,
        observed_sample=sum(observed),
        sequential=method == "sequential",
    )
    power = None
    prim = results[0] if results else None
    if prim is not None and prim.metric.type == "proportion" and prim.variations[0]["n"] and design.mme > 0:
        baseline = prim.variations[0]["sum"] / prim.variations[0]["n"]
        if 0 < baseline < 1 and 0 < baseline * (1 + design.mme) < 1:
            power = stats.sample_size(
                baseline,
                design.mme if design.direction == "higher" else -design.mme,
                alpha=alpha,
                weights=design.weights,
                daily_traffic=traffic,
            )
    return Analysis(design, counts, srm_result, results, verdict, power, traffic, utcnow())


def _variation_stats(name: str, raw: Mapping[str, float] | None, kind: str) -> stats.VariationStats:
    if raw is None:
        return stats.VariationStats(name, 0, 0.0, 0.0)
    extra: dict[str, Any] = {
        "covariate_sum": raw.get("covariate_sum"),
        "covariate_sum_squares": raw.get("covariate_sum_squares"),
        "cross_sum": raw.get("cross_sum"),
    }
    if kind == "ratio":
        extra.update(
            denominator_sum=raw.get("denominator_sum"),
            denominator_sum_squares=raw.get("denominator_sum_squares"),
            denominator_cross_sum=raw.get("denominator_cross_sum"),
        )
    return stats.VariationStats(name, int(raw["n"]), raw["sum"], raw["sum_squares"], **extra)


def _harmed(c: stats.Comparison, direction: str) -> bool:
    lo, hi = c.relative.ci
    return hi < 0 if direction == "higher" else lo > 0


def _daily_traffic(conn: Connection, exposures: TableClause, key: str) -> float | None:
    """New units a day over the last 14 days of exposures (the traffic a power calculation plans with)."""
    days = warehouse.daily_exposures(conn, exposures, key)
    if not days:
        return None
    last = max(d for d, _, _ in days)
    recent = [n for d, _, n in days if (last - d).days < 14]
    span = min(14, (last - min(d for d, _, _ in days)).days + 1)
    return sum(recent) / span if span else None


def daily_exposures(db: Database, key: str) -> list[dict[str, Any]]:
    """New units per day and variation, oldest first."""
    with db.engine.connect() as conn:
        return [
            {"day": d.isoformat(), "variation": v, "units": n}
            for d, v, n in warehouse.daily_exposures(
                conn, warehouse.exposures_table("experiments_exposure"), key
            )
        ]


def analyze_stats(
    doc: Any, *, method: str = "frequentist", alpha: float = 0.05, source: str = "stats"
) -> dict[str, Any]:
    """`missionos experiments analyze --stats FILE`: the statistics alone, on sufficient statistics."""
    kind, variations = stats.parse_stats_document(doc, source=source)
    direction = doc["metric"].get("direction", "higher")
    if direction not in stats.DIRECTIONS:
        raise FieldError(
            "metric.direction", "higher or lower (which way the metric is better)", source=source
        )
    for v in variations:
        if v.n < 2:
            raise FieldError(f"variations[{v.name}].n", "at least 2 units in every variation", source=source)
    if not 0 < alpha < 1:
        raise FieldError("--alpha", f"a number strictly between 0 and 1, e.g. 0.05; got {alpha:g}")
    prior = _prior_of(doc.get("prior"), source=source)
    comparisons = stats.compare(
        kind, variations, method=method, alpha=alpha, direction=direction, prior=prior
    )
    out: dict[str, Any] = {
        "metric": {"type": kind, "direction": direction},
        "method": method,
        "alpha": alpha,
        "results": [c.as_dict() for c in comparisons],
    }
    weights = doc.get("weights") if isinstance(doc, Mapping) else None
    if weights is not None:
        out["srm"] = stats.srm([v.n for v in variations], weights).as_dict()
    return out


# --- team limits: a flag or an experiment belongs to the team of its service --------------------------------

_Owned = TypeVar("_Owned", "FlagInfo", "ExperimentInfo")


def require_flag(
    session: Session, who: Principal | None, key: str, role: str, *, new_service: str | None = None
) -> None:
    """ForbiddenError unless `who` holds `role` for the team of flag `key`'s service (an unknown flag: of
    `new_service`, the service it is being created or moved to)."""
    if who is None:
        return
    from missionos.delivery.service import require_services

    stored = session.scalar(select(Flag.service).where(Flag.key == key))
    require_services(session, who, [s for s in (stored, new_service) if s], role)
    limits.require_team(who, None, role)


def require_experiment(session: Session, who: Principal | None, key: str, role: str) -> None:
    """ForbiddenError unless `who` holds `role` for the team of experiment `key`'s service."""
    if who is None:
        return
    from missionos.delivery.service import require_services

    stored = session.scalar(select(Experiment.service).where(Experiment.key == key))
    require_services(session, who, [stored] if stored else [], role)
    limits.require_team(who, None, role)


def visible(session: Session, who: Principal | None, items: Iterable[_Owned]) -> list[_Owned]:
    """The flags or experiments whose service belongs to one of `who`'s teams (or to no team)."""
    items = list(items)
    if limits.team_filter(who) is None:
        return items
    from missionos.delivery.service import service_teams

    teams = service_teams(session)
    return [i for i in items if limits.sees(who, teams.get(i.service) if i.service else None)]


def _prior_of(raw: Any, *, source: str) -> tuple[float, float] | None:
    """A stats document's `prior`: `{"mean": m, "variance": v}` on the relative lift (None when absent)."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise FieldError("prior", 'an object such as {"mean": 0, "variance": 0.09}', source=source)
    mean, variance = raw.get("mean", 0.0), raw.get("variance")
    if not isinstance(mean, int | float) or isinstance(mean, bool) or not math.isfinite(mean):
        raise FieldError("prior.mean", "a finite number (the expected relative lift, e.g. 0)", source=source)
    if not isinstance(variance, int | float) or isinstance(variance, bool) or not 0 < variance < math.inf:
        raise FieldError("prior.variance", "a positive number (e.g. 0.09 for a 30% spread)", source=source)
    return float(mean), float(variance)
