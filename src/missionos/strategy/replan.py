"""Re-planning without pasting YAML (docs/loop.md): add a bet, retire a strategy, change a goal's target.

Each operation edits the current version's document and applies it as YAML through `service.apply_plan`, so
the YAML stays the source of truth: the new version is validated whole, stores its text, records the reason
and cites the verdicts it rests on. The text is written from the document, so comments in the old YAML are not
carried over.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from missionos.errors import FieldError
from missionos.store import Database
from missionos.strategy.apply import apply_plan
from missionos.strategy.plan import to_yaml
from missionos.strategy.plans import get_plan

OPS = ("add-bet", "retire-strategy", "change-target")
DIRECTIONS = ("increase", "decrease")


if TYPE_CHECKING:
    from missionos.accounts import Principal


def _text(fields: Mapping[str, str], name: str, *, required: bool = False) -> str | None:
    value = (fields.get(name) or "").strip()
    if not value:
        if required:
            raise FieldError(name, "a value (it is required)")
        return None
    return value


def _number(fields: Mapping[str, str], name: str, *, required: bool = False) -> float | None:
    value = _text(fields, name, required=required)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise FieldError(name, f"a number (got {value!r})") from None


def _day(fields: Mapping[str, str], name: str, *, required: bool = False) -> str | None:
    value = _text(fields, name, required=required)
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise FieldError(name, f"a date like 2027-03-31 (got {value!r})") from None


def _strategy(doc: dict[str, Any], fields: Mapping[str, str]) -> dict[str, Any]:
    wanted = _text(fields, "strategy", required=True)
    ids = [s["id"] for s in doc.get("strategies", [])]
    for s in doc.get("strategies", []):
        if s["id"] == wanted:
            return dict(s)
    raise FieldError("strategy", f"a strategy of plan {doc['plan']} ({', '.join(ids) or 'it has none'})")


def edit_document(document: dict[str, Any], op: str, fields: Mapping[str, str]) -> dict[str, Any]:
    """The plan document with one re-plan operation applied; `FieldError` names the form field at fault."""
    doc = copy.deepcopy(document)
    if op == "change-target":
        goal_id = _text(fields, "goal", required=True)
        goals = doc.get("goals", [])
        goal = next((g for g in goals if g["id"] == goal_id), None)
        if goal is None:
            raise FieldError("goal", f"a goal of plan {doc['plan']} ({', '.join(g['id'] for g in goals)})")
        value = _number(fields, "value")
        by = _day(fields, "by")
        if value is None and by is None:
            raise FieldError("value", "a new target value or date (or both)")
        if value is not None:
            goal["target"]["value"] = int(value) if value.is_integer() else value
        if by is not None:
            goal["target"]["by"] = by
        return doc
    if op == "retire-strategy":
        strat = _strategy(doc, fields)
        doc["strategies"] = [s for s in doc["strategies"] if s["id"] != strat["id"]]
        return doc
    if op == "add-bet":
        strat = _strategy(doc, fields)
        bet: dict[str, Any] = {"id": _text(fields, "id", required=True)}
        for name in ("tests", "hypothesis", "service"):
            if (text := _text(fields, name)) is not None:
                bet[name] = text
        flag, deployment = _text(fields, "flag"), _text(fields, "deployment")
        if flag and deployment:
            raise FieldError("flag", "either a flag or a deployment, not both")
        rollout = _number(fields, "rollout")
        if rollout is not None and not 0 <= rollout <= 100:
            raise FieldError("rollout", "a percentage from 0 to 100")
        if flag:
            bet["experiment"] = {"flag": flag, **({"rollout": rollout / 100} if rollout is not None else {})}
        elif deployment:
            bet["experiment"] = {"deployment": deployment}
        metric = _text(fields, "metric")
        if metric is not None:
            direction = _text(fields, "direction")
            if direction is not None and direction not in DIRECTIONS:
                raise FieldError("direction", " or ".join(DIRECTIONS))
            effect = _number(fields, "minimum_effect")
            bet["primary_metric"] = {
                "name": metric,
                **({"direction": direction} if direction else {}),
                **({"minimum_effect": effect} if effect is not None else {}),
            }
        if (decide_by := _day(fields, "decide_by")) is not None:
            bet["decide_by"] = decide_by
        strat["bets"] = [*strat.get("bets", []), bet]
        doc["strategies"] = [strat if s["id"] == strat["id"] else s for s in doc["strategies"]]
        return doc
    raise FieldError("op", " or ".join(OPS))


def replan(
    db: Database,
    key: str,
    op: str,
    fields: Mapping[str, str],
    *,
    actor: str,
    reason: str = "",
    by: Principal | None = None,
) -> Any:
    """Apply one re-plan operation to stored plan `key` as a new version (`service.Applied`), as `by` (None:
    the host; else an editor of the plan's team)."""
    with db.session() as session:
        stored = get_plan(session, key)
    document = edit_document(stored.plan.document, op, fields)
    return apply_plan(
        db,
        to_yaml(document),
        source=f"{key} (re-plan)",
        actor=actor,
        expect_key=key,
        reason=reason,
        by=by,
    )
