"""Feature flags: their GrowthBook definitions, validated rules, versions and history, and evaluation."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionos.accounts import audit
from missionos.errors import ConflictError, FieldError, NotFoundError
from missionos.experiments import conditions
from missionos.experiments.evaluation import EvalContext, evaluate_feature
from missionos.experiments.models import Flag, FlagVersion
from missionos.store import utcnow

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
