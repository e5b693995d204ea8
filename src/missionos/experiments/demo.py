"""The `experiments` context's part of the demo organization (demo.md).

Four experiments behind flags, with exposures and metric events over the 180 days ending `org.today`:

- `guided-intake` (intake-web): rolled out 5% → 50%; completion up, support calls not harmed: validated;
- `document-reminder` (intake-api): too little traffic to tell: inconclusive (the power view says how long);
- `status-page-redesign` (intake-web): the redesign loses some exposures: a sample-ratio mismatch, invalid;
- `auto-eligibility-hints` (eligibility-engine): completions fall: invalidated.

Variations are assigned by evaluating the flags themselves, so the stored exposures agree with what an SDK
would have served. Conversions are drawn as exact shares per arm, so every seed tells the same story.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from missionos.demo.org import DemoOrg
from missionos.experiments import service
from missionos.experiments.evaluation import EvalContext, evaluate_feature
from missionos.experiments.models import ClientKey, Exposure, Flag, FlagVersion

ACTOR = "demo"

METRICS: list[dict[str, Any]] = [
    {"key": "claim-completed", "name": "Claim completed", "type": "proportion", "event": "claim_completed"},
    {
        "key": "support-call",
        "name": "Called the support line",
        "type": "proportion",
        "event": "support_call",
        "direction": "lower",
    },
    {
        "key": "form-minutes",
        "name": "Minutes on the form",
        "type": "mean",
        "event": "form_minutes",
        "direction": "lower",
    },
    {
        "key": "documents-uploaded",
        "name": "Documents uploaded on time",
        "type": "proportion",
        "event": "documents_uploaded",
    },
    {
        "key": "status-call",
        "name": "Called to ask about status",
        "type": "proportion",
        "event": "status_call",
        "direction": "lower",
    },
    {
        "key": "application-completed",
        "name": "Application completed",
        "type": "proportion",
        "event": "application_completed",
    },
]


def _experiment_rule(key: str, coverage: float, variations: list[Any], names: list[str]) -> dict[str, Any]:
    return {
        "id": f"{key}-experiment",
        "key": key,
        "variations": variations,
        "weights": [0.5, 0.5],
        "coverage": coverage,
        "hashAttribute": "id",
        "hashVersion": 2,
        "seed": key,
        "meta": [{"key": n, "name": n} for n in names],
    }


@dataclass(frozen=True)
class Story:
    key: str
    service: str
    description: str
    hypothesis: str
    variations: list[Any]
    names: list[str]
    primary: str
    guardrails: list[str]
    secondary: list[str]
    mme: float
    direction: str
    started_days_ago: int
    daily_visitors: int
    coverage: list[tuple[int, float]]  # (days ago, coverage) steps, oldest first
    rates: dict[str, tuple[float, float]]  # event -> (control rate, treatment rate)
    lost_treatment_exposures: float = 0.0  # share of treatment exposures never logged (the SRM story)


STORIES = (
    Story(
        "guided-intake",
        "intake-web",
        "Step-by-step guided claim form",
        "If residents are guided step by step through the claim form, more of them will complete a claim "
        "without calling for help.",
        [False, True],
        ["control", "guided"],
        "claim-completed",
        ["support-call"],
        ["form-minutes"],
        0.05,
        "higher",
        120,
        160,
        [(120, 0.05), (90, 0.5)],
        {"claim_completed": (0.40, 0.46), "support_call": (0.08, 0.08)},
    ),
    Story(
        "document-reminder",
        "intake-api",
        "Reminder e-mail for missing documents",
        "If we remind claimants of missing documents after two days, more documents arrive on time.",
        [False, True],
        ["control", "reminder"],
        "documents-uploaded",
        [],
        [],
        0.05,
        "higher",
        60,
        25,
        [(60, 1.0)],
        {"documents_uploaded": (0.55, 0.565)},
    ),
    Story(
        "status-page-redesign",
        "intake-web",
        "Redesigned claim status page",
        "If the status page says plainly what happens next, fewer residents call to ask about their claim.",
        ["classic", "redesign"],
        ["classic", "redesign"],
        "status-call",
        [],
        [],
        0.1,
        "lower",
        45,
        140,
        [(45, 1.0)],
        {"status_call": (0.12, 0.10)},
        lost_treatment_exposures=0.15,
    ),
    Story(
        "auto-eligibility-hints",
        "eligibility-engine",
        "Automatic eligibility hints on the application",
        "If the engine hints at likely eligibility while residents apply, more applications are completed.",
        [False, True],
        ["control", "hints"],
        "application-completed",
        [],
        [],
        0.03,
        "higher",
        100,
        50,
        [(100, 1.0)],
        {"application_completed": (0.62, 0.57)},
    ),
)

ROLLOUT_FLAG = {
    "key": "document-upload-v2",
    "service": "intake-api",
    "description": "New document upload widget, rolled out gradually",
    "definition": {
        "defaultValue": False,
        "rules": [
            {
                "id": "upload-v2-rollout",
                "force": True,
                "coverage": 0.25,
                "hashAttribute": "id",
                "seed": "upload-v2",
            }
        ],
    },
}


def _at(org: DemoOrg, days_ago: int, rng: random.Random) -> dt.datetime:
    day = org.today - dt.timedelta(days=days_ago)
    return dt.datetime.combine(day, dt.time(), dt.UTC) + dt.timedelta(
        seconds=rng.randrange(6 * 3600, 22 * 3600)
    )


def _flag_doc(story: Story, coverage: float) -> dict[str, Any]:
    return {
        "key": story.key,
        "service": story.service,
        "description": story.description,
        "valueType": "boolean" if isinstance(story.variations[0], bool) else "string",
        "definition": {
            "defaultValue": story.variations[0],
            "rules": [_experiment_rule(story.key, coverage, story.variations, story.names)],
        },
    }


def load(org: DemoOrg) -> None:
    """Add this context's demo records to `org.db`; idempotent for a given seed."""
    with org.db.session() as session:
        service.apply_document(
            session,
            {
                "metrics": METRICS,
                "experiments": [
                    {
                        "key": s.key,
                        "flag": s.key,
                        "service": s.service,
                        "hypothesis": s.hypothesis,
                        "variations": s.names,
                        "weights": [0.5, 0.5],
                        "primary_metric": s.primary,
                        "guardrails": s.guardrails,
                        "secondary": s.secondary,
                        "direction": s.direction,
                        "mme": s.mme,
                        "started_at": _at(org, s.started_days_ago, random.Random(0)).replace(
                            hour=9, minute=0, second=0
                        ),
                    }
                    for s in STORIES
                ],
            },
            actor=ACTOR,
            source="demo",
        )
        for story in STORIES:
            _ensure_flag(org, session, story)
        if session.scalar(select(Flag.id).where(Flag.key == ROLLOUT_FLAG["key"])) is None:
            service.save_flag(session, ROLLOUT_FLAG, actor=ACTOR, comment="rollout to 25%")
        if session.scalar(select(ClientKey.id).where(ClientKey.key == "sdk-intake")) is None:
            service.add_client_key(session, "sdk-intake", actor=ACTOR, description="Intake web and API SDKs")
    for story in STORIES:
        _generate(org, story)
    org.notes.append(
        "Experiments: guided-intake validated, document-reminder inconclusive, "
        "status-page-redesign invalid (SRM), "
        "auto-eligibility-hints invalidated; SDK payload at /api/features/sdk-intake"
    )


def _ensure_flag(org: DemoOrg, session: Any, story: Story) -> None:
    if session.scalar(select(Flag.id).where(Flag.key == story.key)) is not None:
        return
    for days_ago, coverage in story.coverage:
        change = service.save_flag(
            session,
            _flag_doc(story, coverage),
            actor="intake-team" if story.service != "eligibility-engine" else "eligibility-team",
            comment=f"rollout to {coverage:.0%}",
        )
        session.flush()
        when = _at(org, days_ago, random.Random(days_ago)).replace(hour=8, minute=30, second=0)
        version = session.scalar(
            select(FlagVersion)
            .join(Flag, Flag.id == FlagVersion.flag_id)
            .where(Flag.key == story.key, FlagVersion.version == change.version)
        )
        if version is not None:
            version.changed_at = when
        flag = session.scalar(select(Flag).where(Flag.key == story.key))
        if flag is not None:
            flag.updated_at = when


def _generate(org: DemoOrg, story: Story) -> None:
    with org.db.session() as session:
        already = session.scalar(
            select(func.count()).select_from(Exposure).where(Exposure.experiment_key == story.key)
        )
    if already:
        return
    rng = random.Random(f"{org.seed}:experiments:{story.key}")
    exposures: list[tuple[int | None, dict[str, Any]]] = []
    first_seen: dict[str, tuple[str, dt.datetime]] = {}
    steps = sorted(story.coverage, key=lambda s: -s[0])
    serial = 0
    for days_ago in range(story.started_days_ago, 0, -1):
        coverage = next(c for d, c in reversed(steps) if days_ago <= d)
        features = {story.key: _flag_doc(story, coverage)["definition"]}
        visitors = max(0, int(rng.gauss(story.daily_visitors, story.daily_visitors * 0.15)))
        for _ in range(visitors):
            serial += 1
            unit = f"{story.key[:3]}-{serial:06d}"
            result = evaluate_feature(EvalContext(attributes={"id": unit}, features=features), story.key)
            if result["source"] != "experiment":
                continue
            variation = result["experimentResult"]["key"]
            if variation == story.names[1] and rng.random() < story.lost_treatment_exposures:
                continue  # the redesigned page failed before it logged the exposure
            at = _at(org, days_ago, rng)
            first_seen[unit] = (variation, at)
            for repeat in range(rng.choice((1, 1, 2))):
                exposures.append(
                    (
                        None,
                        {
                            "experiment": story.key,
                            "unit_id": unit,
                            "variation": variation,
                            "timestamp": (at + dt.timedelta(hours=repeat * rng.randrange(1, 48))).isoformat(),
                        },
                    )
                )
    # A few units saw both variations (shared devices): counted and left out of the analysis.
    for unit in rng.sample(sorted(first_seen), k=min(len(first_seen) // 400, len(first_seen))):
        variation, at = first_seen.pop(unit)
        other = story.names[1] if variation == story.names[0] else story.names[0]
        exposures.append(
            (
                None,
                {
                    "experiment": story.key,
                    "unit_id": unit,
                    "variation": other,
                    "timestamp": (at + dt.timedelta(hours=30)).isoformat(),
                },
            )
        )
    events = _events(story, first_seen, rng)
    with org.db.session() as session:
        service.import_exposures(session, exposures, source=f"demo:{story.key}")
        service.import_events(session, events, source=f"demo:{story.key}")


def _events(
    story: Story, first_seen: dict[str, tuple[str, dt.datetime]], rng: random.Random
) -> list[tuple[int | None, dict[str, Any]]]:
    out: list[tuple[int | None, dict[str, Any]]] = []
    by_arm: dict[str, list[str]] = {name: [] for name in story.names}
    for unit, (variation, _) in sorted(first_seen.items()):
        by_arm[variation].append(unit)
    for event, (control_rate, treatment_rate) in story.rates.items():
        for arm, rate in zip(story.names, (control_rate, treatment_rate), strict=True):
            units = by_arm[arm]
            for unit in rng.sample(units, k=round(rate * len(units))):
                at = first_seen[unit][1] + dt.timedelta(minutes=rng.randrange(5, 3 * 24 * 60))
                out.append((None, {"unit_id": unit, "event": event, "timestamp": at.isoformat()}))
    if "form-minutes" in story.secondary:
        for arm, mean in zip(story.names, (18.0, 15.5), strict=True):
            for unit in by_arm[arm]:
                at = first_seen[unit][1] + dt.timedelta(minutes=rng.randrange(1, 90))
                minutes = round(max(2.0, rng.gauss(mean, 6.0)), 1)
                out.append(
                    (
                        None,
                        {
                            "unit_id": unit,
                            "event": "form_minutes",
                            "value": minutes,
                            "timestamp": at.isoformat(),
                        },
                    )
                )
    return out
