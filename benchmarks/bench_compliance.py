"""Assess the MODERATE baseline for a system of 50 services with 10,000 evidence records (goal: under 5 s),
then write and validate the OSCAL output. Side by side: the same assessment without the per-subject check
cache (every control re-runs its checks), to show what the cache buys."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import tempfile
import time
from pathlib import Path

import jsonschema_rs
from sqlalchemy import select

from missionos.compliance import assess as assess_module
from missionos.compliance import oscal, service
from missionos.compliance.assess import LeveragedAuthorization
from missionos.compliance.evidence import parse
from missionos.compliance.models import Evidence
from missionos.compliance.trust import TrustPolicy
from missionos.store import open_database

SERVICES = 50
RECORDS = 10_000
NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
SCHEMAS = Path(__file__).resolve().parents[1] / "tests" / "data" / "oscal" / "schemas-1.2.1"
GOAL_SECONDS = 5.0


def _files(rng: random.Random, at: dt.datetime) -> dict[str, bytes]:
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    tests = rng.randint(50, 400)
    junit = (
        f'<testsuites><testsuite name="s" tests="{tests}" failures="0" errors="0" skipped="1" '
        f'timestamp="{stamp}"/></testsuites>'
    ).encode()
    results = [
        {
            "ruleId": f"rule-{rng.randint(1, 40)}",
            "level": "warning",
            "message": {"text": "finding"},
            "properties": {"security-severity": f"{rng.uniform(1, 6.9):.1f}"},
            "locations": [
                {"physicalLocation": {"artifactLocation": {"uri": f"src/m{rng.randint(1, 30)}.py"}}}
            ],
        }
        for _ in range(rng.randint(0, 4))
    ]
    sarif = json.dumps(
        {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "scanner"}}, "results": results}]}
    ).encode()
    bom = json.dumps(
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.5",
            "metadata": {"timestamp": stamp},
            "components": [
                {"name": f"lib{i}", "version": "1.0", "licenses": [{"license": {"id": "MIT"}}]}
                for i in range(40)
            ],
        }
    ).encode()
    prov = json.dumps(
        {
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "img", "digest": {"sha256": f"{rng.getrandbits(256):064x}"}}],
            "predicateType": "https://slsa.dev/provenance/v1",
            "predicate": {
                "buildDefinition": {
                    "buildType": "bt",
                    "resolvedDependencies": [
                        {"uri": "git", "digest": {"gitCommit": f"{rng.getrandbits(160):040x}"}}
                    ],
                },
                "runDetails": {"builder": {"id": "https://factory.example/pipeline"}},
            },
        }
    ).encode()
    return {"junit": junit, "sarif": sarif, "cyclonedx": bom, "slsa-provenance": prov}


def main() -> None:
    rng = random.Random(7)
    services = [f"svc-{i:02d}" for i in range(SERVICES)]
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MISSIONOS_HOME"] = tmp
        db = open_database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        started = time.perf_counter()
        rows = []
        per_kind = RECORDS // (SERVICES * 4)
        for svc in services:
            for n in range(per_kind):
                at = NOW - dt.timedelta(days=n * 90 / per_kind, hours=rng.random())
                for kind, raw in _files(rng, at).items():
                    parsed = parse(kind, raw, f"{svc}-{n}.{kind}")
                    rows.append(
                        Evidence(
                            kind=kind,
                            source=f"{svc}-{n}.{kind}",
                            subject=f"{svc}@run-{n}",
                            collected_at=parsed.produced_at or at,
                            sha256=f"{rng.getrandbits(256):064x}",
                            facts=parsed.facts,
                        )
                    )
        parse_time = time.perf_counter() - started
        with db.session() as session:
            session.add_all(rows)
            service.define_system(
                session,
                "bench",
                services=services,
                provider="factory-pipeline",
                authorization=LeveragedAuthorization("Agency ATO of factory-pipeline", dt.date(2026, 1, 15)),
                actor="bench",
            )
            # every provenance record is judged against the policy at each assessment
            service.set_trust_policy(
                session, "bench", TrustPolicy(("https://factory.example/*",), ("git",)), actor="bench"
            )
        print(
            f"evidence: {len(rows):,} records for {SERVICES} services, parsed in {parse_time:.2f} s "
            f"({len(rows) / parse_time:,.0f} files/s)"
        )

        started = time.perf_counter()
        with db.session() as session:
            done = service.assess_system(session, "bench", now=NOW)
        cached = time.perf_counter() - started
        counts = done.result.counts()
        controls = len(done.result.controls)
        print(
            f"assess MODERATE: {controls} controls x {SERVICES} services over {len(rows):,} records in "
            f"{cached:.2f} s ({controls * SERVICES / cached:,.0f} control-service judgements/s); {counts}"
        )
        print(f"  against the goal of {GOAL_SECONDS:.0f} s: {cached / GOAL_SECONDS:.2f}x of the budget")

        with db.session() as session:
            records = service._records_for(session, done.system, NOW)
        started = time.perf_counter()
        with db.session() as session:
            everything = session.execute(select(Evidence.facts)).all()
        naive = time.perf_counter() - started
        print(
            f"  peer: decoding the facts of all {len(everything):,} records, as a naive loader would, takes "
            f"{naive:.2f} s alone ({naive / cached:.1f}x the whole selective assessment)"
        )
        controls_list = done.baseline.controls
        started = time.perf_counter()
        assess_module.assess(done.system.spec(), "moderate", controls_list, done.pack, records, NOW)
        pure = time.perf_counter() - started
        original = assess_module.Evaluator.outcome
        assess_module.Evaluator.outcome = lambda self, check, subject: self._run(check, subject)  # type: ignore[method-assign]
        try:
            started = time.perf_counter()
            assess_module.assess(done.system.spec(), "moderate", controls_list, done.pack, records, NOW)
            uncached = time.perf_counter() - started
        finally:
            assess_module.Evaluator.outcome = original  # type: ignore[method-assign]
        print(
            f"  of which the judgement itself over {len(records):,} loaded records: {pure:.2f} s; "
            f"peer without the per-subject check cache: {uncached:.2f} s ({uncached / pure:.1f}x slower)"
        )

        started = time.perf_counter()
        ar = oscal.assessment_results(done.result, done.baseline, done.pack, done.system.services)
        poam = oscal.poam(done.result, done.system.services)
        out = Path(tmp) / "oscal"
        oscal.write(ar, out / "assessment-results.json")
        oscal.write(poam, out / "poam.json")
        write_time = time.perf_counter() - started
        started = time.perf_counter()
        errors = 0
        for model, path in (("assessment-results", "assessment-results.json"), ("poam", "poam.json")):
            schema = json.loads((SCHEMAS / f"oscal_{model}_schema.json").read_text())
            doc = json.loads((out / path).read_text())
            errors += sum(1 for _ in jsonschema_rs.validator_for(schema).iter_errors(doc))
            errors += len(oscal.dangling_references(doc))
        validate_time = time.perf_counter() - started
        size = sum(p.stat().st_size for p in out.iterdir())
        print(
            f"OSCAL: wrote {size / 1e6:.1f} MB (assessment results and POA&M) in {write_time:.2f} s; "
            f"validated against the 1.2.1 schemas with references checked in {validate_time:.2f} s "
            f"({errors} problems)"
        )
        db.dispose()


if __name__ == "__main__":
    main()
