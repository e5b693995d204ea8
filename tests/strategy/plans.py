"""Plan texts shared by the strategy tests."""

from __future__ import annotations

VALID = """\
plan: benefits-2027                       # id, unique
title: Benefits Modernization 2027
objective: Residents get a decision in days, not months.
owner: Program Executive Officer
horizon: 2027-09-30
goals:
  - id: G1
    statement: Median lead time under 10 days
    measure: {name: toy.lead_time, scope: {stream: claims}}
    baseline: {value: 94, at: 2026-10-01}
    target: {value: 10, by: 2027-09-30}
  - id: G2
    statement: Throughput up
    measure: {name: toy.throughput, scope: {org: null}}
    baseline: {value: 10, at: 2026-10-01}
    target: {value: 20, by: 2027-09-30}
strategies:
  - id: S1
    statement: Replace paper intake with a guided digital form
    serves: [G1]
    assumptions:
      - {id: A1, statement: Residents will finish a digital form without calling for help}
    bets:
      - id: B1
        tests: A1
        hypothesis: A guided form raises completed submissions by at least 2 points
        service: intake-web
        experiment: {flag: toy-guided-intake, rollout: 0.05}
        primary_metric: {name: intake_completed, direction: increase, minimum_effect: 0.02}
        guardrails: [{name: support_calls, direction: decrease}]
        decide_by: 2027-01-31
    actions:
      - {what: Ship hello world to production, owner: Intake team, due: 2026-12-15}
  - id: S2
    statement: Automate eligibility hints
    serves: [G2]
    assumptions:
      - {id: A2, statement: Caseworkers trust the hints}
    bets:
      - id: B2
        tests: A2
        service: intake-web
        experiment: {flag: toy-hints}
        primary_metric: {name: hours, direction: decrease, minimum_effect: 0.2}
        decide_by: 2027-02-01
"""


def child(parent_strategy: str = "S1", key: str = "intake-2027") -> str:
    return f"""\
plan: {key}
parent: {{plan: benefits-2027, strategy: {parent_strategy}}}
objective: Residents finish their claim online.
goals:
  - id: I1
    statement: Throughput up
    measure: {{name: toy.throughput, scope: {{team: Intake}}}}
    baseline: {{value: 1, at: 2026-10-01}}
    target: {{value: 5, by: 2027-09-30}}
strategies:
  - id: IS1
    statement: Remind about documents
    serves: [I1]
    bets:
      - id: IB1
        service: intake-web
        experiment: {{flag: toy-reminder}}
        primary_metric: {{name: stalled, direction: decrease, minimum_effect: 0.1}}
        decide_by: 2027-01-01
"""
