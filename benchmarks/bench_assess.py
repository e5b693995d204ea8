"""`compliance assess` with open vulnerabilities tracked as POA&M items: the MODERATE baseline for a system
of 50 services with 10,000 evidence records (scans with partial fingerprints, SBOMs with vulnerabilities,
VEX documents, test reports, provenance), goal under 5 s. Side by side, the baseline: the same workload at
the demo's size (3 services, 3,506 records), measured in the same run."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import tempfile
import time
from pathlib import Path

from missionos.compliance import service
from missionos.compliance.evidence import parse
from missionos.compliance.models import Evidence
from missionos.store import open_database

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
GOAL_SECONDS = 5.0
SIZES = (("demo size (baseline)", 3, 3_506), ("goal size", 50, 10_000))
RULES = [f"py/rule-{i}" for i in range(30)]
CVES = [f"CVE-2026-{1000 + i}" for i in range(25)]


def _stamp(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _sarif(rng: random.Random, at: dt.datetime) -> bytes:
    results = []
    for _ in range(rng.randint(2, 12)):  # findings drawn from a small pool, so most persist across scans
        rule = rng.choice(RULES)
        line = rng.randint(1, 5)
        results.append(
            {
                "ruleId": rule,
                "level": "warning",
                "message": {"text": f"{rule} found"},
                "properties": {"security-severity": f"{rng.uniform(2.0, 9.5):.1f}"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": f"src/m{line}.py"},
                            "region": {"startLine": rng.randint(1, 400)},
                        }
                    }
                ],
                "partialFingerprints": {
                    "primaryLocationLineHash": f"{hash((rule, line)) & 0xFFFFFFFF:08x}:1"
                },
            }
        )
    results.append({"ruleId": "py/ok", "kind": "pass", "level": "none", "message": {"text": "passed"}})
    doc = {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "CodeQL"}},
                "invocations": [{"executionSuccessful": True, "endTimeUtc": _stamp(at)}],
                "results": results,
            }
        ],
    }
    return json.dumps(doc).encode()


def _vulnerability(rng: random.Random, cve: str, state: str | None) -> dict[str, object]:
    vuln: dict[str, object] = {
        "id": cve,
        "ratings": [{"severity": rng.choice(["critical", "high", "medium", "low"])}],
        "affects": [{"ref": f"pkg:pypi/lib{CVES.index(cve)}@1.0"}],
    }
    if state:
        vuln["analysis"] = {"state": state, "justification": "code_not_reachable"}
    return vuln


def _bom(rng: random.Random, at: dt.datetime) -> bytes:
    return json.dumps(
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.5",
            "metadata": {"timestamp": _stamp(at)},
            "components": [
                {"name": f"lib{i}", "version": "1.0", "licenses": [{"license": {"id": "MIT"}}]}
                for i in range(40)
            ],
            "vulnerabilities": [_vulnerability(rng, c, None) for c in rng.sample(CVES, rng.randint(0, 4))],
        }
    ).encode()


def _vex(rng: random.Random, at: dt.datetime) -> bytes:
    return json.dumps(
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.5",
            "metadata": {"timestamp": _stamp(at)},
            "vulnerabilities": [
                _vulnerability(rng, c, rng.choice(["not_affected", "exploitable", "in_triage"]))
                for c in rng.sample(CVES, 5)
            ],
        }
    ).encode()


def _files(rng: random.Random, at: dt.datetime, n: int) -> dict[str, bytes]:
    tests = rng.randint(50, 400)
    junit = (
        f'<testsuites><testsuite name="s" tests="{tests}" failures="0" errors="0" skipped="1" '
        f'timestamp="{_stamp(at)}"/></testsuites>'
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
    third = {"vex": _vex(rng, at)} if n % 4 == 0 else {"slsa-provenance": prov}
    return {"junit": junit, "sarif": _sarif(rng, at), "cyclonedx": _bom(rng, at), **third}


def _measure(label: str, services_count: int, records: int, tmp: Path) -> tuple[float, int]:
    rng = random.Random(7)
    db = open_database(f"sqlite:///{tmp / f'bench-{services_count}.db'}")
    services = [f"svc-{i:02d}" for i in range(services_count)]
    per_service = records // (services_count * 4)
    rows: list[tuple[Evidence, str]] = []
    for svc in services:
        for n in range(per_service):
            at = NOW - dt.timedelta(days=n * 90 / per_service, hours=rng.random())
            for kind, raw in _files(rng, at, n).items():
                parsed = parse(kind, raw, f"{svc}-{n}.{kind}")
                row = Evidence(
                    kind=kind,
                    source=f"{svc}-{n}.{kind}",
                    subject=f"{svc}@run-{n}",
                    collected_at=parsed.produced_at or at,
                    sha256=f"{rng.getrandbits(256):064x}",
                    facts=parsed.facts,
                )
                rows.append((row, svc))
    with db.session() as session:
        session.add_all(r for r, _svc in rows)
        session.flush()
        for row, svc in rows:  # what `evidence add` keeps for each file: when each finding was first seen
            if row.kind in ("sarif", "cyclonedx", "vex"):
                service.record_first_seen(session, svc, row.facts["findings"], row.collected_at, row.id)
        service.define_system(session, "bench", services=services, provider="factory-pipeline", actor="bench")
    started = time.perf_counter()
    with db.session() as session:
        done = service.assess_system(session, "bench", now=NOW)
    took = time.perf_counter() - started
    items = [f for f in done.result.findings() if f.kind == "vulnerability"]
    late = sum(1 for f in items if f.overdue)
    tracked = next(c for c in done.result.controls if c.control == "si-2")
    print(
        f"{label}: MODERATE, {len(done.result.controls)} controls x {services_count} services over "
        f"{len(rows):,} records in {took:.2f} s ({len(rows) / took:,.0f} records/s); "
        f"{len(items):,} open vulnerabilities ({late:,} past deadline); SI-2 reads {tracked.status_text()!r}"
    )
    db.dispose()
    return took, len(rows)


def profile(services_count: int = 3, records: int = 3_506) -> None:
    """Where the time of one assessment goes (`python -c "from benchmarks.bench_assess import profile;
    profile()"`)."""
    import cProfile
    import pstats

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MISSIONOS_HOME"] = tmp
        with cProfile.Profile() as prof:
            _measure("profiled", services_count, records, Path(tmp))
    pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


def main() -> None:
    import missionos.delivery.service  # noqa: F401  loaded once per process, not part of either figure
    from missionos.compliance.pack import default_pack

    default_pack()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MISSIONOS_HOME"] = tmp
        figures = [_measure(label, svc, records, Path(tmp)) for label, svc, records in SIZES]
    (base, base_n), (goal, goal_n) = figures
    print(
        f"ratio: {goal_n / base_n:.1f}x the records in {goal / base:.1f}x the time of the demo-size "
        "baseline; "
        f"{goal / GOAL_SECONDS:.2f}x of the {GOAL_SECONDS:.0f} s budget"
    )


if __name__ == "__main__":
    main()
