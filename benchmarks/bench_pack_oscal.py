"""Mapping packs through OSCAL component definitions, both ways, side by side with the YAML packs.

For the default pack and a synthetic organization pack of 1,000 checks over every MODERATE control: the time
to write the pack as a component definition, to validate it against the OSCAL 1.2.1 schema, and to read it
back as a pack, against reading the same pack from its YAML file (the baseline). Then one MODERATE assessment
of 50 services with the YAML pack and with the pack read back from OSCAL, which must judge every control the
same."""

from __future__ import annotations

import datetime as dt
import json
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import jsonschema_rs

from benchmarks.bench_compliance import _files
from missionos.compliance import oscal, pack_oscal
from missionos.compliance.assess import EvidenceRecord, SystemSpec, assess
from missionos.compliance.catalog import baseline
from missionos.compliance.evidence import parse
from missionos.compliance.pack import (
    DEFAULT_PACK,
    Check,
    Condition,
    Pack,
    default_pack,
    dump_yaml,
    pack_document,
)
from missionos.compliance.pack_file import read_pack

SCHEMA = Path(__file__).resolve().parents[1] / "tests" / "data" / "oscal" / "schemas-1.2.1"
NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
SERVICES = 50
RUNS = 5


def _best(fn: Callable[[], object], runs: int = RUNS) -> float:
    """The fastest of `runs` calls, in seconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def _large_pack(checks: int) -> Pack:
    rng = random.Random(11)
    controls = [c.id for c in baseline("moderate").controls]
    kinds = ["junit", "sarif", "cyclonedx", "slsa-provenance"]
    return Pack(
        name="agency-large",
        version="1.0.0",
        title="A large organization pack",
        checks=tuple(
            Check(
                id=f"check-{i:04d}",
                title=f"Synthetic check {i}",
                evidence=(rng.choice(kinds),),
                max_age_days=rng.choice((7, 14, 30)),
                require=(Condition("tests", "ge", 1), Condition(f"fact_{i % 17}", "absent")),
                controls={c: f"Check {i} implements {c} by its evidence." for c in rng.sample(controls, 10)},
            )
            for i in range(checks)
        ),
        inherited=default_pack().inherited,
        not_applicable=default_pack().not_applicable,
    )


def _both_ways(name: str, pack: Pack, yaml_path: Path, tmp: Path) -> Pack:
    validator = jsonschema_rs.validator_for(json.loads((SCHEMA / "oscal_component_schema.json").read_text()))
    out = tmp / f"{name}.json"
    write = _best(lambda: oscal.write(pack_oscal.component_definition(pack, NOW), out))
    doc = json.loads(out.read_text())
    validate = _best(lambda: list(validator.iter_errors(doc)))
    problems = len(list(validator.iter_errors(doc))) + len(oscal.dangling_references(doc))
    back: list[Pack] = []
    read_oscal = _best(lambda: back.append(pack_oscal.read_component_definition_pack(out).pack))
    read_yaml = _best(lambda: read_pack(yaml_path))
    controls = sum(len(c.controls) for c in pack.checks)
    same = back[-1] == pack
    print(
        f"{name}: {len(pack.checks):,} checks, {controls:,} control mappings; component definition "
        f"{out.stat().st_size / 1e3:,.0f} kB vs YAML {yaml_path.stat().st_size / 1e3:,.0f} kB"
    )
    print(
        f"  to OSCAL {write * 1e3:.1f} ms ({len(pack.checks) / write:,.0f} checks/s), schema-validated in "
        f"{validate * 1e3:.1f} ms ({problems} problems)"
    )
    print(
        f"  from OSCAL {read_oscal * 1e3:.1f} ms ({len(pack.checks) / read_oscal:,.0f} checks/s), "
        f"from YAML {read_yaml * 1e3:.1f} ms: OSCAL takes {read_oscal / read_yaml:.2f}x the YAML time; "
        f"same pack back: {same}"
    )
    return back[-1]


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        converted = _both_ways("default pack", default_pack(), DEFAULT_PACK, tmp)
        large = _large_pack(1_000)
        large_yaml = tmp / "large.yaml"
        large_yaml.write_text(dump_yaml(pack_document(large)))
        _both_ways("organization pack", large, large_yaml, tmp)

    rng = random.Random(7)
    services = tuple(f"svc-{i:02d}" for i in range(SERVICES))
    records = []
    for svc in services:
        for n in range(5):
            at = NOW - dt.timedelta(days=n * 6, hours=rng.random())
            for kind, raw in _files(rng, at).items():
                parsed = parse(kind, raw, f"{svc}-{n}.{kind}")
                records.append(
                    EvidenceRecord(len(records), kind, svc, parsed.produced_at or at, None, parsed.facts)
                )
    spec = SystemSpec("bench", services, "factory-pipeline")
    controls = baseline("moderate").controls
    results = {}
    timings = {}
    for label, pack in (("YAML pack", default_pack()), ("pack from OSCAL", converted)):
        timings[label] = _best(
            lambda pack=pack, label=label: results.__setitem__(
                label, assess(spec, "moderate", controls, pack, records, NOW)
            )
        )
    statuses = {
        label: [(c.control, c.status, len(c.findings)) for c in r.controls] for label, r in results.items()
    }
    same = statuses["YAML pack"] == statuses["pack from OSCAL"]
    yaml_s, oscal_s = timings["YAML pack"], timings["pack from OSCAL"]
    print(
        f"assess MODERATE: {len(controls)} controls x {SERVICES} services over {len(records):,} records: "
        f"YAML pack {yaml_s:.3f} s, pack from OSCAL {oscal_s:.3f} s ({oscal_s / yaml_s:.2f}x); "
        f"{len(controls) * SERVICES / oscal_s:,.0f} control-service judgements/s; same statuses: {same}"
    )


if __name__ == "__main__":
    main()
