"""The `strategy` context's part of the demo organization (demo.md): the program plan, two team plans
cascaded from it, a manual series, and the verdicts the loop needs.

The plans are dated relative to the demo's `today`, so their findings tell the same story on any day:
one wish (S4), one untestable bet (B2, no primary metric), one bet on `payments-batch` (B4, no path to
production), one overdue action (S3's hello world), and the invalidated `auto-eligibility-hints` bet that
sends its strategy back for re-planning. Each goal's baseline is what its measure read in the demo's first
four weeks, when the other contexts have published it (else the default written here). `docs/examples/`
holds these plans as of 2026-11-24 with the default baselines.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import statistics
from typing import Any

from missionos import measures
from missionos.demo.org import DemoOrg
from missionos.errors import MissionOSError
from missionos.strategy import service
from missionos.strategy.plan import to_yaml

ACTOR = "demo"
CALL_CENTRE = "call-centre-wait-minutes"
PROGRAM = "benefits-2027"

# Experiment outcomes the experiments context publishes for the demo (DESIGN: cross-context names).
EXPECTED_VERDICTS = {
    "guided-intake": "validated",
    "document-reminder": "inconclusive",
    "status-page-redesign": "invalid",
    "auto-eligibility-hints": "invalidated",
}


def _d(day: dt.date) -> str:
    return day.isoformat()


def plan_documents(today: dt.date) -> list[dict[str, Any]]:
    """The demo's plans, parents first, dated relative to `today`."""
    start = today - dt.timedelta(days=180)
    horizon = dt.date(today.year + 1, 9, 30)
    soon = today + dt.timedelta(days=45)
    program = {
        "plan": PROGRAM,
        "title": "Benefits Modernization 2027",
        "objective": "Residents get a benefits decision in days, not months.",
        "owner": "Program Executive Officer",
        "horizon": _d(horizon),
        "goals": [
            {
                "id": "G1",
                "statement": "Median time from claim filed to decision down to 3 days",
                "measure": {"name": "flow.flow_time", "scope": {"stream": "claims"}, "stat": "median"},
                "baseline": {"value": 5, "at": _d(start)},
                "target": {"value": 3, "by": _d(horizon)},
            },
            {
                "id": "G2",
                "statement": "Every team ships at least weekly; the program 50 times a week",
                "measure": {"name": "delivery.deployment_frequency", "scope": {"org": None}},
                "baseline": {"value": 12, "at": _d(start)},
                "target": {"value": 50, "by": _d(horizon)},
            },
            {
                "id": "G3",
                "kind": "guardrail",
                "statement": "Fewer than 1 in 20 production changes needs remediation",
                "measure": {"name": "delivery.change_failure_rate", "scope": {"org": None}, "stat": "mean"},
                "baseline": {"value": 0.03, "at": _d(start)},
                "target": {"value": 0.05, "by": _d(horizon)},
            },
            {
                "id": "G4",
                "statement": "Residents wait under 10 minutes when they call",
                "measure": {"manual": CALL_CENTRE},
                "baseline": {"value": 38, "at": _d(start)},
                "target": {"value": 10, "by": _d(horizon)},
            },
        ],
        "strategies": [
            {
                "id": "S1",
                "statement": "Replace paper intake with a guided digital form",
                "serves": ["G1", "G4"],
                "assumptions": [
                    {
                        "id": "A1",
                        "statement": "Residents will finish a digital form without calling for help",
                    },
                    {"id": "A2", "statement": "A clear status page answers most 'where is my claim' calls"},
                ],
                "bets": [
                    {
                        "id": "B1",
                        "tests": "A1",
                        "hypothesis": "A guided form raises completed submissions by at least 2 points",
                        "service": "intake-web",
                        "experiment": {"flag": "guided-intake", "rollout": 0.05},
                        "primary_metric": {
                            "name": "claim_completed",
                            "direction": "increase",
                            "minimum_effect": 0.02,
                        },
                        "guardrails": [{"name": "support_calls", "direction": "decrease"}],
                        "decide_by": _d(today - dt.timedelta(days=30)),
                    },
                    {
                        "id": "B2",
                        "tests": "A2",
                        "hypothesis": "A redesigned status page means fewer status calls",
                        "service": "intake-web",
                        "experiment": {"flag": "status-page-redesign", "rollout": 0.5},
                        "decide_by": _d(soon),
                    },
                ],
                "dashboard": [
                    {
                        "measure": {
                            "name": "delivery.deployment_frequency",
                            "scope": {"service": "intake-web"},
                        },
                        "target": {"value": 10},
                    }
                ],
                "actions": [
                    {
                        "what": "Roll guided intake out to every resident",
                        "owner": "Intake team",
                        "due": _d(today + dt.timedelta(days=30)),
                    }
                ],
            },
            {
                "id": "S2",
                "statement": "Let the rules engine suggest eligibility to caseworkers",
                "serves": ["G1", "G3"],
                "assumptions": [
                    {"id": "A3", "statement": "Caseworkers decide faster when the engine suggests an outcome"}
                ],
                "bets": [
                    {
                        "id": "B3",
                        "tests": "A3",
                        "hypothesis": "Eligibility hints cut the time to a determination by 20%",
                        "service": "eligibility-engine",
                        "experiment": {"flag": "auto-eligibility-hints", "rollout": 0.2},
                        "primary_metric": {
                            "name": "determination_hours",
                            "direction": "decrease",
                            "minimum_effect": 0.2,
                        },
                        "guardrails": [{"name": "appeals", "direction": "decrease"}],
                        "decide_by": _d(today - dt.timedelta(days=10)),
                    }
                ],
            },
            {
                "id": "S3",
                "statement": "Put payments on the paved road to production",
                "serves": ["G2"],
                "assumptions": [
                    {"id": "A4", "statement": "The nightly batch can run in parallel on the platform"}
                ],
                "bets": [
                    {
                        "id": "B4",
                        "tests": "A4",
                        "hypothesis": "A parallel run on the platform matches the legacy batch to the cent",
                        "service": "payments-batch",
                        "experiment": {"deployment": "parallel run of the nightly batch"},
                        "primary_metric": {
                            "name": "payment_mismatches",
                            "direction": "decrease",
                            "minimum_effect": 1,
                        },
                        "decide_by": _d(today + dt.timedelta(days=60)),
                    }
                ],
                "actions": [
                    {
                        "id": "S3-hello",
                        "what": "Ship hello world from payments-batch to production",
                        "owner": "Payments team",
                        "due": _d(today - dt.timedelta(days=21)),
                    }
                ],
            },
            {
                "id": "S4",
                "statement": "Replace the weekly change advisory board with automated change evidence",
                "serves": ["G2", "G3"],
                "assumptions": [
                    {"id": "A5", "statement": "Pipeline evidence satisfies the change-control controls"}
                ],
                "dashboard": [
                    {
                        "measure": {"name": "flow.flow_time", "scope": {"stream": "change-approval"}},
                        "target": {"value": 2},
                    },
                    {
                        "measure": {
                            "name": "compliance.controls_satisfied",
                            "scope": {"system": "benefits-portal"},
                        },
                        "target": {"value": 0.95},
                    },
                ],
                "actions": [
                    {
                        "what": "Map pipeline evidence to CM-3 and CM-4 with the assessor",
                        "owner": "Platform team",
                        "due": _d(soon),
                    }
                ],
            },
        ],
    }
    intake = {
        "plan": "intake-2027",
        "title": "Intake team plan",
        "parent": {"plan": PROGRAM, "strategy": "S1"},
        "objective": "Residents finish their claim online, first time, without calling.",
        "owner": "Intake product lead",
        "team": "Intake",
        "horizon": _d(horizon),
        "goals": [
            {
                "id": "I1",
                "statement": "The Intake team's items flow from start to done in 3 days",
                "measure": {"name": "flow.flow_time", "scope": {"team": "Intake"}, "stat": "median"},
                "baseline": {"value": 5, "at": _d(start)},
                "target": {"value": 3, "by": _d(horizon)},
            },
            {
                "id": "I2",
                "statement": "Intake ships to production 40 times a week",
                "measure": {"name": "delivery.deployment_frequency", "scope": {"team": "Intake"}},
                "baseline": {"value": 10, "at": _d(start)},
                "target": {"value": 40, "by": _d(horizon)},
            },
        ],
        "strategies": [
            {
                "id": "IS1",
                "statement": "Remind residents about missing documents before a caseworker has to",
                "serves": ["I1"],
                "assumptions": [{"id": "IA1", "statement": "Most stalled claims wait on a missing document"}],
                "bets": [
                    {
                        "id": "IB1",
                        "tests": "IA1",
                        "hypothesis": "A reminder two days after filing cuts stalled claims by 10%",
                        "service": "intake-api",
                        "experiment": {"flag": "document-reminder", "rollout": 0.1},
                        "primary_metric": {
                            "name": "claims_stalled",
                            "direction": "decrease",
                            "minimum_effect": 0.1,
                        },
                        "decide_by": _d(soon),
                    }
                ],
            },
            {
                "id": "IS2",
                "statement": "Take guided intake from 5% to every resident",
                "serves": ["I1", "I2"],
                "assumptions": [{"id": "IA2", "statement": "The gain seen at 5% holds at 50%"}],
                "bets": [
                    {
                        "id": "IB2",
                        "tests": "IA2",
                        "hypothesis": "At 50% rollout completions stay at least 2 points up",
                        "service": "intake-web",
                        "experiment": {"flag": "guided-intake", "rollout": 0.5},
                        "primary_metric": {
                            "name": "claim_completed",
                            "direction": "increase",
                            "minimum_effect": 0.02,
                        },
                        "decide_by": _d(today - dt.timedelta(days=7)),
                    }
                ],
            },
        ],
    }
    eligibility = {
        "plan": "eligibility-2027",
        "title": "Eligibility team plan",
        "parent": {"plan": PROGRAM, "strategy": "S2"},
        "objective": "Caseworkers reach a correct determination the same day.",
        "owner": "Eligibility product lead",
        "team": "Eligibility",
        "horizon": _d(horizon),
        "goals": [
            {
                "id": "E1",
                "statement": "Fewer than 15% of eligibility releases need remediation",
                "measure": {
                    "name": "delivery.change_failure_rate",
                    "scope": {"team": "Eligibility"},
                    "stat": "mean",
                },
                "baseline": {"value": 0.4, "at": _d(start)},
                "target": {"value": 0.15, "by": _d(horizon)},
            },
            {
                "id": "E2",
                "statement": "Recover from a failed release within 4 hours",
                "measure": {"name": "delivery.recovery_time", "scope": {"team": "Eligibility"}},
                "baseline": {"value": 48, "at": _d(start)},
                "target": {"value": 4, "by": _d(horizon)},
            },
        ],
        "strategies": [
            {
                "id": "ES1",
                "statement": "Suggest eligibility outcomes from the rules engine",
                "serves": ["E1"],
                "assumptions": [{"id": "EA1", "statement": "Hints are right often enough to trust"}],
                "bets": [
                    {
                        "id": "EB1",
                        "tests": "EA1",
                        "hypothesis": "Hints cut determination time by 20% without more appeals",
                        "service": "eligibility-engine",
                        "experiment": {"flag": "auto-eligibility-hints", "rollout": 0.2},
                        "primary_metric": {
                            "name": "determination_hours",
                            "direction": "decrease",
                            "minimum_effect": 0.2,
                        },
                        "decide_by": _d(today - dt.timedelta(days=10)),
                    }
                ],
            },
            {
                "id": "ES2",
                "statement": "Ship smaller changes daily behind flags instead of a weekly release",
                "serves": ["E1", "E2"],
                "assumptions": [
                    {"id": "EA2", "statement": "Smaller changes fail less and are undone faster"}
                ],
                "bets": [
                    {
                        "id": "EB2",
                        "tests": "EA2",
                        "hypothesis": "Daily canary releases halve the change failure rate",
                        "service": "eligibility-engine",
                        "experiment": {"deployment": "daily canary release of the rules engine"},
                        "primary_metric": {
                            "name": "change_failure_rate",
                            "direction": "decrease",
                            "minimum_effect": 0.1,
                        },
                        "decide_by": _d(today + dt.timedelta(days=75)),
                    }
                ],
                "actions": [
                    {
                        "what": "Split the weekly release train into daily merges",
                        "owner": "Eligibility team",
                        "due": _d(today + dt.timedelta(days=20)),
                    }
                ],
            },
        ],
    }
    return [program, intake, eligibility]


REPLAN_REASON = (
    "hints shown to residents while they apply lowered completions; the engine's suggestion may still help "
    "caseworkers once the application is in, so A3b tests that instead"
)


def replanned_program(program: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """Version 2 of the program plan, the turn of the loop: B3 was invalidated, so strategy S2 keeps the
    engine but moves its hints from the resident's form to the caseworker's queue (assumption A3b, bet
    B3b)."""
    doc = copy.deepcopy(program)
    s2 = next(s for s in doc["strategies"] if s["id"] == "S2")
    s2["assumptions"].append(
        {
            "id": "A3b",
            "statement": "Hints help caseworkers once the application is in, not residents applying",
        }
    )
    s2["bets"].append(
        {
            "id": "B3b",
            "tests": "A3b",
            "hypothesis": "Hints in the caseworker's queue cut the time to a determination by 20%",
            "service": "eligibility-engine",
            "experiment": {"flag": "caseworker-hints", "rollout": 0.1},
            "primary_metric": {"name": "determination_hours", "direction": "decrease", "minimum_effect": 0.2},
            "guardrails": [{"name": "appeals", "direction": "decrease"}],
            "decide_by": _d(today + dt.timedelta(days=60)),
        }
    )
    return doc


def call_centre_values(org: DemoOrg) -> list[tuple[dt.datetime, float]]:
    """Weekly call-centre wait minutes over the demo's 180 days: from about 38 down towards 25, with noise."""
    rng = random.Random(f"{org.seed}:strategy:{CALL_CENTRE}")
    values = []
    weeks = 180 // 7
    for week in range(weeks + 1):
        day = org.start + dt.timedelta(days=7 * week)
        if day > org.today:
            break
        trend = 38 - 13 * week / weeks
        values.append(
            (dt.datetime.combine(day, dt.time(9), dt.UTC), round(trend + rng.uniform(-2.5, 2.5), 1))
        )
    return values


def measured_baselines(org: DemoOrg, documents: list[dict[str, Any]]) -> None:
    """Set each goal's baseline to the median of what its measure read in the demo's first four weeks."""
    since = dt.datetime.combine(org.start, dt.time(), dt.UTC)
    window = measures.Window(since, since + dt.timedelta(days=28))
    for doc in documents:
        for goal in doc["goals"]:
            bound = goal.get("measure", {})
            if "name" not in bound:
                continue
            try:
                series = measures.query(
                    org.db, bound["name"], measures.Scope.parse(bound.get("scope")), window
                )
            except MissionOSError:
                continue
            values = [p.value for p in series.points if p.value is not None]
            if values:
                goal["baseline"]["value"] = float(f"{statistics.median(values):.2g}")


def load(org: DemoOrg) -> None:
    """Add this context's demo records to `org.db`; idempotent for a given seed."""
    documents = plan_documents(org.today)
    measured_baselines(org, documents)
    with org.db.session() as session:
        turned = any(p.key == PROGRAM and p.version >= 2 for p in service.list_plans(session))
    for doc in documents:
        if doc["plan"] == PROGRAM and turned:
            continue  # loaded before: version 2 is current, and re-applying version 1 would undo the turn
        service.apply_plan(org.db, to_yaml(doc), source=f"demo:{doc['plan']}", actor=ACTOR)
    for at, value in call_centre_values(org):
        service.record_value(org.db, CALL_CENTRE, value, at, actor=ACTOR)
    # The loop: verdicts come from the experiments context through the registry. Where it has published none
    # (yet), the demo records the story's verdict by hand, with the same evidence link.
    for plan_key, bet_id, flag in (
        (PROGRAM, "B1", "guided-intake"),
        (PROGRAM, "B3", "auto-eligibility-hints"),
        ("intake-2027", "IB2", "guided-intake"),
        ("eligibility-2027", "EB1", "auto-eligibility-hints"),
    ):
        if measures.verdict_for(org.db, flag) is None:
            service.record_verdict(
                org.db,
                f"{plan_key}/{bet_id}",
                EXPECTED_VERDICTS[flag],
                evidence=f"/experiments/{flag}",
                actor=ACTOR,
            )
            org.notes.append(f"strategy: verdict of {plan_key}/{bet_id} ({flag}) recorded by hand")
    # One full turn of the loop: version 1 above, B3's verdict in, then version 2 with its reason. It cites
    # the verdicts learned since version 1 (B1 validated, B3 invalidated).
    v2 = service.apply_plan(
        org.db,
        to_yaml(replanned_program(documents[0], org.today)),
        source=f"demo:{PROGRAM}",
        actor=ACTOR,
        reason=REPLAN_REASON,
    )
    if v2.changed:
        org.notes.append(f"strategy: {PROGRAM} re-planned as version {v2.version} after B3's verdict")
    view = service.evaluate(org.db, PROGRAM, as_of=org.today)
    rules = sorted({f.rule for f in view.findings})
    org.notes.append(
        f"strategy: plans {', '.join(d['plan'] for d in plan_documents(org.today))}; "
        f"{len(view.findings)} findings on {PROGRAM} ({', '.join(rules)}); "
        f"try `missionos strategy show {PROGRAM}`"
    )
