"""The litmus check gates plan pull requests in CI, so it must stay fast on big plans.

Measures, on generated plans of growing size: reading a plan (YAML, the JSON Schema, the id references)
against the bare YAML load it rests on, and the litmus check itself (pure, no database).
"""

from __future__ import annotations

import datetime as dt
import time

import yaml

from missionos.strategy.litmus import Evidence, Reading, check
from missionos.strategy.plan import parse_plan, to_yaml

AS_OF = dt.date(2026, 11, 24)


def big_plan(strategies: int, bets: int) -> dict[str, object]:
    goals = [
        {
            "id": f"G{g}",
            "statement": f"Goal {g}",
            "measure": {"name": "delivery.lead_time", "scope": {"service": f"svc-{g}"}},
            "baseline": {"value": 100, "at": "2026-01-01"},
            "target": {"value": 10, "by": "2027-09-30"},
        }
        for g in range(20)
    ]
    return {
        "plan": "bench",
        "objective": "Fast checks.",
        "goals": goals,
        "strategies": [
            {
                "id": f"S{s}",
                "statement": f"Strategy {s}",
                "serves": [f"G{s % 20}"],
                "assumptions": [{"id": f"A{s}", "statement": "It works"}],
                "bets": [
                    {
                        "id": f"B{s}-{b}",
                        "tests": f"A{s}",
                        "hypothesis": "It moves the metric",
                        "service": f"svc-{b % 7}",
                        "experiment": {"flag": f"flag-{s}-{b}", "rollout": 0.1},
                        "primary_metric": {"name": "m", "direction": "increase", "minimum_effect": 0.01},
                        "decide_by": "2027-01-31" if b % 3 else "2026-10-01",
                    }
                    for b in range(bets)
                ],
                "actions": [{"what": f"Action {s}", "due": "2026-10-01" if s % 4 == 0 else "2027-05-01"}],
            }
            for s in range(strategies)
        ],
    }


def _best(fn: object, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    print(
        f"{'strategies':>10} {'bets':>6} {'yaml KB':>8} {'yaml load s':>11} {'read plan s':>11} "
        f"{'ratio':>6} {'check s':>8} {'bets/s checked':>15} {'findings':>8}"
    )
    for strategies in (10, 100, 400):
        text = to_yaml(big_plan(strategies, 5))
        yaml_s = _best(lambda text=text: yaml.safe_load(text))
        read_s = _best(lambda text=text: parse_plan(text, source="bench"))
        plan = parse_plan(text, source="bench")
        evidence = Evidence(
            readings={g.measure.key: Reading(AS_OF, 1.0) for g in plan.goals if g.measure},
            production_deployments={f"svc-{i}": (0 if i == 6 else 3) for i in range(7)},
        )
        check_s = _best(lambda plan=plan, evidence=evidence: check(plan, evidence, AS_OF))
        findings = len(check(plan, evidence, AS_OF))
        bets = len(plan.bets)
        print(
            f"{strategies:>10} {bets:>6} {len(text) / 1024:>8.0f} {yaml_s:>11.4f} {read_s:>11.4f} "
            f"{read_s / yaml_s:>6.2f} {check_s:>8.4f} {bets / check_s:>15,.0f} {findings:>8}"
        )
    print("ratio: reading the plan (libyaml load + JSON Schema + references) against yaml.safe_load alone")
