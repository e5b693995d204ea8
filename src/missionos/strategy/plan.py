"""The plan file: YAML validated against the packaged JSON Schema, read into plain records (metrics.md §4).

The schema rejects only what is malformed (wrong types, unknown keys); this module adds what a schema cannot
say: duplicate ids and references to ids that do not exist. A plan missing a bet's experiment or a strategy's
bets is still a plan; the litmus check (`missionos.strategy.litmus`) reports those.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from missionos import safeload
from missionos.errors import FieldError, InputError
from missionos.measures import Scope

Path = tuple[str | int, ...]


class PlanInvalid(FieldError):
    """A plan that breaks its schema or its references; lists every problem, first one as the field."""

    def __init__(self, problems: Sequence[tuple[str, str, int | None]], *, source: str | None = None) -> None:
        field_path, expected, line = problems[0]
        super().__init__(field_path, expected, source=_at(source, line))
        self.problems = list(problems)
        self.plan_source = source

    def __str__(self) -> str:
        lines = []
        for path, expected, line in self.problems:
            where = _at(self.plan_source, line)
            lines.append(f"{where + ': ' if where else ''}{path}: expected {expected}")
        return "\n".join(lines)


def _at(source: str | None, line: int | None) -> str | None:
    if source and line is not None:
        return f"{source}:{line}"
    return source


# --- the plan as records -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureRef:
    """Where a goal or dashboard item reads its figures: a registry measure and scope, or a manual series."""

    name: str
    scope: Scope
    stat: str = "latest"
    manual: bool = False
    freshness_days: int | None = None

    @property
    def key(self) -> str:
        return f"{self.name}@{self.scope}"

    @property
    def label(self) -> str:
        if self.manual:
            return f"manual series {self.scope.name}"
        return self.name if self.scope.kind == "org" else f"{self.name} ({self.scope})"


GOAL_KINDS = ("move", "guardrail")
DEFAULT_GOAL_KIND = "move"  # plans written before goals had a kind
LOWER, HIGHER = "lower", "higher"


@dataclass(frozen=True)
class Goal:
    """A goal: a *move* from its baseline to its target by a date, or a *guardrail* that holds its measure
    on the better side of a limit (`target_value`) until `target_by` (else the plan's horizon)."""

    id: str
    statement: str
    measure: MeasureRef | None
    baseline_value: float | None
    baseline_at: dt.date | None
    target_value: float
    target_by: dt.date | None
    kind: str = DEFAULT_GOAL_KIND
    better: str | None = None  # "lower" | "higher" as the plan states it (needed for manual series only)

    @property
    def is_guardrail(self) -> bool:
        return self.kind == "guardrail"


@dataclass(frozen=True)
class Metric:
    name: str
    direction: str | None = None
    minimum_effect: float | None = None


@dataclass(frozen=True)
class Assumption:
    id: str
    statement: str


@dataclass(frozen=True)
class Bet:
    id: str
    strategy: str
    tests: str | None
    hypothesis: str
    service: str | None
    flag: str | None
    deployment: str | None
    rollout: float | None
    primary_metric: Metric | None
    guardrails: tuple[Metric, ...]
    decide_by: dt.date | None
    planned_sample: int | None

    @property
    def has_experiment(self) -> bool:
        return bool(self.flag or self.deployment)


@dataclass(frozen=True)
class DashboardItem:
    measure: MeasureRef
    target: float | None


@dataclass(frozen=True)
class Action:
    id: str  # its own id, or `<strategy>.actions[<i>]`
    what: str
    owner: str | None
    due: dt.date | None
    done: bool


@dataclass(frozen=True)
class Strategy:
    id: str
    statement: str
    serves: tuple[str, ...]
    assumptions: tuple[Assumption, ...]
    bets: tuple[Bet, ...]
    dashboard: tuple[DashboardItem, ...]
    actions: tuple[Action, ...]


@dataclass(frozen=True)
class LitmusSettings:
    """The plan's `litmus:` block: settings of the rules that read what a bet says (defaults in
    `missionos.strategy.litmus`)."""

    no_path_patterns: tuple[str, ...] | None = None  # replaces the default deployment patterns when given
    decide_within_weeks: int | None = None


@dataclass(frozen=True)
class Plan:
    """A validated plan; `document` is its canonical JSON form (dates as ISO strings)."""

    key: str
    title: str
    objective: str
    owner: str | None
    horizon: dt.date | None
    parent_plan: str | None
    parent_strategy: str | None
    freshness_days: int
    goals: tuple[Goal, ...]
    strategies: tuple[Strategy, ...]
    document: dict[str, Any] = field(compare=False, repr=False)
    litmus: LitmusSettings = field(default_factory=LitmusSettings)
    team: str | None = None  # the owning team (None: the program's)

    @property
    def digest(self) -> str:
        return document_digest(self.document)

    @property
    def bets(self) -> tuple[Bet, ...]:
        return tuple(b for s in self.strategies for b in s.bets)

    def goal(self, goal_id: str) -> Goal | None:
        return next((g for g in self.goals if g.id == goal_id), None)

    def strategy(self, strategy_id: str) -> Strategy | None:
        return next((s for s in self.strategies if s.id == strategy_id), None)


DEFAULT_FRESHNESS_DAYS = 14


def document_digest(document: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON form: equal for plans that differ only in layout or comments."""
    return hashlib.sha256(json.dumps(document, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


# --- reading ----------------------------------------------------------------------------------------------


@cache
def schema() -> dict[str, Any]:
    """The plan JSON Schema shipped with the package."""
    text = resources.files("missionos.strategy").joinpath("schema/plan.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _validator() -> Any:
    import jsonschema_rs

    return jsonschema_rs.validator_for(schema())


Directions = Callable[[str], str | None]


def parse_plan(text: str, *, source: str = "plan", directions: Directions | None = None) -> Plan:
    """Read plan YAML: raises `InputError` for bad YAML (or YAML over the safe loader's limits) and
    `PlanInvalid` naming each bad field's path.

    With `directions` (a published measure's name -> "lower" | "higher" | None), goals are also checked
    against their measure's direction (`direction_problems`)."""
    raw, node = safeload.load_with_node(text, source=source)
    if not isinstance(raw, dict):
        raise InputError("expected a mapping with plan, objective, goals and strategies", source=source)
    return plan_from_document(_plain_dates(raw), source=source, node=node, directions=directions)


def plan_from_document(
    document: dict[str, Any],
    *,
    source: str = "plan",
    node: yaml.Node | None = None,
    directions: Directions | None = None,
) -> Plan:
    """Validate a plan document (the JSON form) and read it into records."""
    problems = [(p, expected, _line(node, p)) for p, expected in schema_problems(document)]
    if not problems:
        found = reference_problems(document)
        if directions is not None:
            found = sorted(
                found + direction_problems(document, directions), key=lambda item: _sort_key(item[0])
            )
        problems = [(p, expected, _line(node, p)) for p, expected in found]
    if problems:
        raise PlanInvalid([(format_path(p), e, line) for p, e, line in problems], source=source)
    return _read(document)


def _plain_dates(value: Any) -> Any:
    """YAML reads `2027-09-30` as a date; the plan's JSON form keeps dates as ISO strings."""
    if isinstance(value, dict):
        return {str(k) if isinstance(k, dt.date) else k: _plain_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_dates(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def format_path(path: Path) -> str:
    """`("strategies", 1, "bets", 0, "id")` -> `strategies[1].bets[0].id`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(plan)"


_PATTERNS = {
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}$": "a date like 2027-09-30",
    "^[a-z0-9][a-z0-9._-]{0,99}$": "a key of lowercase letters, digits, '.', '_' or '-'",
    "^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$": "an id of letters, digits, '.', '_' or '-' (at most 50)",
    "^[a-z0-9_]+\\.[a-z0-9_.]+$": "a measure name like delivery.lead_time",
}
_TYPES = {"object": "a mapping", "array": "a list", "string": "a text", "number": "a number"}


def schema_problems(document: Any) -> list[tuple[Path, str]]:
    """Every schema violation as (path, what was expected), in document order."""
    found: list[tuple[Path, str]] = []
    for error in _validator().iter_errors(document):
        found.append(_explain(tuple(error.instance_path), error))
    unique = sorted(set(found), key=lambda item: (_sort_key(item[0]), item[1]))
    return unique


def _sort_key(path: Path) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, p) if isinstance(p, int) else (1, p) for p in path)


def _explain(path: Path, error: Any) -> tuple[Path, str]:
    kind = type(error.kind).__name__
    detail = error.kind.as_dict()
    if kind == "Enum":
        return path, "|".join(str(o) for o in detail["options"])
    if kind == "Type":
        types = detail["types"]
        return path, " or ".join(_TYPES.get(t, f"a {t}") for t in types)
    if kind == "Required":
        return (*path, detail["property"]), "a value (it is required)"
    if kind == "AdditionalProperties":
        unexpected = detail["unexpected"]
        return (*path, unexpected[0]), "no such key here (unknown key)"
    if kind == "Pattern":
        return path, _PATTERNS.get(detail["pattern"], f"text matching {detail['pattern']}")
    if kind in ("OneOfNotValid", "OneOfMultipleValid"):
        if path and path[-1] == "experiment":
            return path, "either flag (a feature flag key) or deployment (what is deployed), not both"
        return path, "either name (a published measure) or manual (a series name), not both"
    if kind == "MinLength":
        return path, "a non-empty text"
    if kind == "MaxLength":
        return path, f"a text of at most {detail['limit']} characters"
    if kind == "PropertyNames":
        return path, "one of org, team, service, stream, system, series, flag"
    if kind == "MaxProperties":
        return path, "exactly one scope, like {service: intake-web}"
    if kind in ("Minimum", "ExclusiveMinimum", "Maximum", "ExclusiveMaximum"):
        symbol = {"Minimum": ">=", "ExclusiveMinimum": ">", "Maximum": "<=", "ExclusiveMaximum": "<"}[kind]
        return path, f"a number {symbol} {detail['limit']}"
    return path, str(error.message)


def reference_problems(document: dict[str, Any]) -> list[tuple[Path, str]]:
    """Duplicate ids and references to ids that do not exist (what the schema cannot say)."""
    problems: list[tuple[Path, str]] = []
    goals = document.get("goals", [])
    goal_ids = [g["id"] for g in goals]
    problems += _duplicates(goal_ids, ("goals",), "goal")
    strategies = document.get("strategies", [])
    problems += _duplicates([s["id"] for s in strategies], ("strategies",), "strategy")
    bet_seen: dict[str, Path] = {}
    assumption_seen: dict[str, Path] = {}
    action_seen: dict[str, Path] = {}
    for i, strat in enumerate(strategies):
        for j, ref in enumerate(strat.get("serves", [])):
            if ref not in goal_ids:
                problems.append(
                    (("strategies", i, "serves", j), f"a goal id of this plan ({_listing(goal_ids)})")
                )
        assumption_ids = [a["id"] for a in strat.get("assumptions", [])]
        for j, a in enumerate(strat.get("assumptions", [])):
            _once(a["id"], ("strategies", i, "assumptions", j, "id"), assumption_seen, "assumption", problems)
        for j, bet in enumerate(strat.get("bets", [])):
            _once(bet["id"], ("strategies", i, "bets", j, "id"), bet_seen, "bet", problems)
            tests = bet.get("tests")
            if tests is not None and tests not in assumption_ids:
                problems.append(
                    (
                        ("strategies", i, "bets", j, "tests"),
                        f"an assumption id of strategy {strat['id']} ({_listing(assumption_ids)})",
                    )
                )
        for j, action in enumerate(strat.get("actions", [])):
            if "id" in action:
                _once(action["id"], ("strategies", i, "actions", j, "id"), action_seen, "action", problems)
    return sorted(problems, key=lambda item: _sort_key(item[0]))


def _listing(ids: Iterable[str]) -> str:
    names = list(ids)
    return ", ".join(names) if names else "there are none"


def _once(item: str, path: Path, seen: dict[str, Path], kind: str, problems: list[tuple[Path, str]]) -> None:
    if item in seen:
        problems.append((path, f"an id no other {kind} uses ({item} is also {format_path(seen[item])})"))
    else:
        seen[item] = path[:-1]


def _duplicates(ids: list[str], base: Path, kind: str) -> list[tuple[Path, str]]:
    seen: dict[str, Path] = {}
    problems: list[tuple[Path, str]] = []
    for i, item in enumerate(ids):
        _once(item, (*base, i, "id"), seen, kind, problems)
    return problems


def _fmt(value: float, unit: str = "") -> str:
    """A value as the reader says it: a share as a percentage (0.0426 -> 4.26%), else three digits."""
    if unit == "share":
        return f"{100 * value:.3g}%"
    return f"{value:.3g}"


def direction_problems(
    document: dict[str, Any], directions: Callable[[str], str | None]
) -> list[tuple[Path, str]]:
    """Goals whose declared direction contradicts their measure's, or whose baseline and target move the wrong
    way for it. `directions(name)` gives a published measure's direction ("lower" | "higher"), or None."""
    problems: list[tuple[Path, str]] = []
    for i, raw in enumerate(document.get("goals", [])):
        measure = raw.get("measure") or {}
        declared = directions(measure["name"]) if "name" in measure else None
        better = raw.get("better")
        goal_id = raw.get("id", f"goals[{i}]")
        if declared is not None and better is not None and better != declared:
            problems.append(
                (
                    ("goals", i, "better"),
                    f"{declared} (goal {goal_id}: {measure['name']} is {declared}-is-better)",
                )
            )
            continue
        if raw.get("kind", "move") != "move" or "baseline" not in raw:
            continue
        direction = declared or better
        baseline, target = raw["baseline"]["value"], raw["target"]["value"]
        if direction is None:
            if baseline == target:
                problems.append(
                    (
                        ("goals", i, "target", "value"),
                        f"a value other than the baseline {_fmt(baseline)} (goal {goal_id} is a move; "
                        "to hold a level, make it kind: guardrail)",
                    )
                )
            continue
        wrong = target >= baseline if direction == LOWER else target <= baseline
        if wrong:
            side = "below" if direction == LOWER else "above"
            source = f"{measure['name']} is" if declared else "the goal says"
            problems.append(
                (
                    ("goals", i, "target", "value"),
                    f"a value {side} the baseline {_fmt(baseline)} (goal {goal_id} is a move and {source} "
                    f"{direction}-is-better, but its target {_fmt(target)} is not {side} its baseline; "
                    "for a limit to hold, make it kind: guardrail)",
                )
            )
    return problems


_line = safeload.line_of


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _measure(raw: dict[str, Any] | None, default_stat: str = "latest") -> MeasureRef | None:
    if raw is None:
        return None
    if "manual" in raw:
        return MeasureRef(
            "strategy.manual",
            Scope("series", raw["manual"]),
            raw.get("stat", default_stat),
            True,
            raw.get("freshness_days"),
        )
    return MeasureRef(
        raw["name"],
        Scope.parse(raw.get("scope")),
        raw.get("stat", default_stat),
        False,
        raw.get("freshness_days"),
    )


def _metric(raw: dict[str, Any] | None) -> Metric | None:
    if raw is None:
        return None
    return Metric(raw["name"], raw.get("direction"), raw.get("minimum_effect"))


def _read(doc: dict[str, Any]) -> Plan:
    goals = tuple(
        Goal(
            id=g["id"],
            statement=g["statement"],
            measure=_measure(g.get("measure")),
            baseline_value=g["baseline"]["value"] if "baseline" in g else None,
            baseline_at=_date(g["baseline"]["at"]) if "baseline" in g else None,
            target_value=g["target"]["value"],
            target_by=_date(g["target"].get("by")),
            kind=g.get("kind", DEFAULT_GOAL_KIND),
            better=g.get("better"),
        )
        for g in doc.get("goals", [])
    )
    strategies = []
    for s in doc.get("strategies", []):
        bets = tuple(
            Bet(
                id=b["id"],
                strategy=s["id"],
                tests=b.get("tests"),
                hypothesis=b.get("hypothesis", ""),
                service=b.get("service"),
                flag=b.get("experiment", {}).get("flag"),
                deployment=b.get("experiment", {}).get("deployment"),
                rollout=b.get("experiment", {}).get("rollout"),
                primary_metric=_metric(b.get("primary_metric")),
                guardrails=tuple(m for m in (_metric(g) for g in b.get("guardrails", [])) if m),
                decide_by=_date(b.get("decide_by")),
                planned_sample=b.get("planned_sample"),
            )
            for b in s.get("bets", [])
        )
        dashboard = tuple(
            DashboardItem(ref, d.get("target", {}).get("value"))
            for d in s.get("dashboard", [])
            if (ref := _measure(d["measure"])) is not None
        )
        actions = tuple(
            Action(
                id=a.get("id", f"{s['id']}.actions[{i}]"),
                what=a["what"],
                owner=a.get("owner"),
                due=_date(a.get("due")),
                done=bool(a.get("done", False)),
            )
            for i, a in enumerate(s.get("actions", []))
        )
        strategies.append(
            Strategy(
                id=s["id"],
                statement=s["statement"],
                serves=tuple(s.get("serves", [])),
                assumptions=tuple(Assumption(a["id"], a["statement"]) for a in s.get("assumptions", [])),
                bets=bets,
                dashboard=dashboard,
                actions=actions,
            )
        )
    parent = doc.get("parent") or {}
    settings = doc.get("litmus") or {}
    return Plan(
        key=doc["plan"],
        title=doc.get("title", doc["plan"]),
        objective=doc["objective"],
        owner=doc.get("owner"),
        horizon=_date(doc.get("horizon")),
        parent_plan=parent.get("plan"),
        parent_strategy=parent.get("strategy"),
        freshness_days=doc.get("freshness_days", DEFAULT_FRESHNESS_DAYS),
        goals=goals,
        strategies=tuple(strategies),
        document=doc,
        litmus=LitmusSettings(
            tuple(settings["no_path_to_production"]) if "no_path_to_production" in settings else None,
            settings.get("decide_within_weeks"),
        ),
        team=doc.get("team"),
    )


def to_yaml(document: dict[str, Any]) -> str:
    """A plan document as YAML, keys in the plan's reading order."""
    return yaml.safe_dump(_ordered(document), sort_keys=False, allow_unicode=True, width=110)


_ORDER = (
    "plan",
    "title",
    "parent",
    "objective",
    "owner",
    "team",
    "horizon",
    "freshness_days",
    "litmus",
    "id",
    "kind",
    "statement",
    "what",
    "serves",
    "tests",
    "hypothesis",
    "service",
    "experiment",
    "primary_metric",
    "guardrails",
    "decide_by",
    "planned_sample",
    "name",
    "manual",
    "scope",
    "stat",
    "measure",
    "better",
    "baseline",
    "target",
    "goals",
    "assumptions",
    "bets",
    "dashboard",
    "actions",
    "strategies",
)


def _ordered(value: Any) -> Any:
    if isinstance(value, dict):
        rank = {k: i for i, k in enumerate(_ORDER)}
        return {k: _ordered(value[k]) for k in sorted(value, key=lambda k: (rank.get(k, len(_ORDER)), k))}
    if isinstance(value, list):
        return [_ordered(v) for v in value]
    return value
