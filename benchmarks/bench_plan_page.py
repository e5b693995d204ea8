"""The one-page plan at size: a plan of 20 strategies and 60 bets, over the demo organization with 200 more
friction blockers, its page and the home page (which tells the plan's story from every context) measured cold
and warm beside the health endpoint.

Work: the demo organization (as of 2026-11-24) in a temporary `MISSIONOS_HOME` (SQLite);
`MISSIONOS_BENCH_BLOCKERS` (default 200) blockers added to the claims stream's register; a plan
`scale-2027` with `MISSIONOS_BENCH_STRATEGIES` (default 20) strategies and `MISSIONOS_BENCH_BETS` (default
60) bets, each bet on one of the demo's services and flags, its goals bound to delivery, flow and manual
measures. Then, for each page, a fresh `missionos serve` (one worker): the first request (cold), then
`MISSIONOS_BENCH_WARM` (default 30) reads alternating with the health endpoint's (warm). Prints the work
size, cold time, warm p50 and p95, the health endpoint's p95 in the same run, their ratio, and the goal
(warm p95 < 300 ms).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from benchmarks.bench_pages import build, cold_and_warm
from missionos.friction import service as friction
from missionos.store import open_database
from missionos.strategy import service as strategy

KEY = "scale-2027"
PAGES = (f"/strategy/plans/{KEY}", "/")
SERVICES = ("intake-web", "eligibility-engine", "payments-batch", "intake-api", "factory-pipeline")
FLAGS = ("guided-intake", "auto-eligibility-hints", "status-page-redesign", "document-reminder")


def plan_document(strategies: int, bets: int) -> dict[str, Any]:
    """A plan of `strategies` strategies sharing `bets` bets, every goal bound to a measure."""
    goals = [
        {
            "id": "G1",
            "statement": "Claims decided faster",
            "measure": {"name": "flow.flow_time", "scope": {"stream": "claims"}, "stat": "median"},
            "baseline": {"at": "2026-05-28", "value": 5},
            "target": {"by": "2027-09-30", "value": 3},
        },
        {
            "id": "G2",
            "statement": "Ship more often",
            "measure": {"name": "delivery.deployment_frequency", "scope": {"org": None}},
            "baseline": {"at": "2026-05-28", "value": 12},
            "target": {"by": "2027-09-30", "value": 50},
        },
        {
            "id": "G3",
            "kind": "guardrail",
            "statement": "Few changes need remediation",
            "measure": {"name": "delivery.change_failure_rate", "scope": {"org": None}, "stat": "mean"},
            "baseline": {"at": "2026-05-28", "value": 0.03},
            "target": {"by": "2027-09-30", "value": 0.05},
        },
        {
            "id": "G4",
            "statement": "Residents wait less when they call",
            "measure": {"manual": "call-centre-wait-minutes"},
            "baseline": {"at": "2026-05-28", "value": 38},
            "target": {"by": "2027-09-30", "value": 10},
        },
    ]
    per = -(-bets // strategies)
    doc_strategies = []
    n = 0
    for s in range(1, strategies + 1):
        own = []
        for _ in range(per):
            if n >= bets:
                break
            n += 1
            own.append(
                {
                    "id": f"B{n}",
                    "tests": f"A{s}",
                    "hypothesis": f"Change {n} raises completed claims by at least 2 points",
                    "service": SERVICES[n % len(SERVICES)],
                    "experiment": {"flag": FLAGS[n % len(FLAGS)], "rollout": 0.05},
                    "primary_metric": {
                        "name": "claim_completed",
                        "direction": "increase",
                        "minimum_effect": 0.02,
                    },
                    "decide_by": "2027-03-31",
                }
            )
        doc_strategies.append(
            {
                "id": f"S{s}",
                "statement": f"Strategy {s}: a smaller step toward faster decisions",
                "serves": [goals[s % len(goals)]["id"]],
                "assumptions": [{"id": f"A{s}", "statement": f"Assumption {s} holds for residents"}],
                "bets": own,
            }
        )
    return {
        "plan": KEY,
        "title": "Scale test 2027",
        "objective": "Residents get a benefits decision in days, not months.",
        "owner": "Program Executive Officer",
        "horizon": "2027-09-30",
        "goals": goals,
        "strategies": doc_strategies,
    }


def add_blockers(home: Path, count: int) -> None:
    db = open_database(f"sqlite:///{home / 'missionos.db'}")
    start = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    steps = ("Build", "Release")
    doc = {
        "blockers": [
            {
                "key": f"scale-blocker-{k:03d}",
                "title": f"Blocker {k}: a sign-off that holds work before the step",
                "owner": f"Owner {k % 17}",
                "teams": ["Intake"],
                "stream": "claims",
                "step": steps[k % len(steps)],
                "raised": (start + dt.timedelta(days=k % 150)).isoformat(),
                "decision": f"Decision {k}: let the team decide",
                "effort_days": 1 + k % 20,
                "wait_days": 0.5 + (k % 7) / 2,
            }
            for k in range(count)
        ]
    }
    with db.session() as session:
        friction.apply_register(session, doc, actor="bench")
    db.dispose()


def add_plan(home: Path, strategies: int, bets: int) -> None:
    db = open_database(f"sqlite:///{home / 'missionos.db'}")
    text = yaml.safe_dump(plan_document(strategies, bets), sort_keys=False)
    strategy.apply_plan(db, text, actor="bench")
    db.dispose()


def main() -> None:
    blockers = int(os.environ.get("MISSIONOS_BENCH_BLOCKERS", "200"))
    strategies = int(os.environ.get("MISSIONOS_BENCH_STRATEGIES", "20"))
    bets = int(os.environ.get("MISSIONOS_BENCH_BETS", "60"))
    warm = int(os.environ.get("MISSIONOS_BENCH_WARM", "30"))
    print(
        f"work: the demo organization + a plan of {strategies} strategies and {bets} bets + {blockers} "
        f"friction blockers; pages {', '.join(PAGES)}, each cold then {warm} warm reads beside the "
        "health endpoint"
    )
    with tempfile.TemporaryDirectory(prefix="missionos-bench-plan-") as tmp:
        home = Path(tmp)
        started = time.perf_counter()
        build(home, 0)
        add_blockers(home, blockers)
        add_plan(home, strategies, bets)
        print(f"loaded in {time.perf_counter() - started:.0f} s", flush=True)
        found = cold_and_warm(home, PAGES, warm)
    for path, (cold, page_run, health_run) in found.items():
        rate = page_run.requests / page_run.seconds
        ratio = page_run.quantile(0.5) / health_run.quantile(0.5)
        print(
            f"{path}: {strategies} strategies, {bets} bets, {blockers} blockers: warm {rate:.1f} pages/s, "
            f"p50 {page_run.quantile(0.5) * 1000:.1f} ms ({ratio:.1f}x "
            f"the health endpoint's p50), cold {cold * 1000:.0f} ms"
        )
