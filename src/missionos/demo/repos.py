"""Deterministic git repositories for the demo services, written with `git fast-import`."""

from __future__ import annotations

import datetime as dt
import random
import shutil
import subprocess
from pathlib import Path

from missionos.demo.org import DemoOrg, DemoService

AUTHORS = {
    "Intake": ["Amara Okafor", "Luis Romero", "Mei Chen", "Priya Natarajan"],
    "Eligibility": ["Dana Whitfield", "Tomasz Nowak", "Grace Liu"],
    "Payments": ["Harold Benson", "Ruth Alvarez", "Ken Ito"],
    "Platform": ["Sam Idowu", "Jo Park", "Elena Petrova"],
}
VERBS = ["Add", "Fix", "Refactor", "Update", "Tidy", "Speed up", "Document", "Test", "Remove", "Rename"]
TOPICS = {
    "intake-web": ["guided form step", "address lookup", "save-and-resume", "status page", "upload widget"],
    "intake-api": [
        "claim validation",
        "document upload",
        "reminder scheduler",
        "audit fields",
        "rate limits",
    ],
    "eligibility-engine": [
        "income rule",
        "household size rule",
        "hint generation",
        "date handling",
        "rule cache",
    ],
    "payments-batch": [
        "payment calculation",
        "payment file layout",
        "copybook fields",
        "restart logic",
        "JCL step",
    ],
    "factory-pipeline": [
        "build stage",
        "deploy gate",
        "cluster policy",
        "SBOM step",
        "provenance attestation",
    ],
}
MARKER = ".missionos-demo"


def ensure_repositories(org: DemoOrg) -> None:
    """Create each service's repository unless one for the same seed and period already exists."""
    stamp = f"seed={org.seed} end={org.today.isoformat()}"
    for service in org.services:
        path = org.repo_path(service.name)
        marker = path / ".git" / MARKER
        if marker.exists() and marker.read_text() == stamp:
            continue
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        _generate(path, service, org)
        marker.write_text(stamp)


def _generate(path: Path, service: DemoService, org: DemoOrg) -> None:
    rng = random.Random(f"{org.seed}:{service.name}")
    team = org.team_of(service.name)
    authors = AUTHORS[team]
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    moments = _commit_moments(rng, service, org)
    contents = {f: f"# {f}\n" for f in service.files}
    stream: list[bytes] = []
    for mark, moment in enumerate(moments, start=1):
        author = rng.choice(authors)
        email = author.lower().replace(" ", ".") + "@agency.example"
        touched = rng.sample(service.files, k=rng.randint(1, min(3, len(service.files))))
        verb, topic = rng.choice(VERBS), rng.choice(TOPICS[service.name])
        message = f"{verb} {topic}" if mark > 1 else "Initial commit: hello world"
        stamp = f"{int(moment.timestamp())} +0000"
        stream.append(f"commit refs/heads/main\nmark :{mark}\n".encode())
        stream.append(f"author {author} <{email}> {stamp}\ncommitter {author} <{email}> {stamp}\n".encode())
        data = message.encode()
        stream.append(b"data %d\n%s\n" % (len(data), data))
        if mark > 1:
            stream.append(f"from :{mark - 1}\n".encode())
        for name in service.files if mark == 1 else touched:
            contents[name] += f"{message} ({mark})\n"
            blob = contents[name].encode()
            stream.append(f"M 100644 inline {name}\n".encode() + b"data %d\n" % len(blob) + blob + b"\n")
    subprocess.run(["git", "-C", str(path), "fast-import", "--quiet"], input=b"".join(stream), check=True)
    subprocess.run(["git", "-C", str(path), "reset", "-q", "--hard", "main"], check=True)


def _commit_moments(rng: random.Random, service: DemoService, org: DemoOrg) -> list[dt.datetime]:
    """Working-hours commit times over the period, at the service's mean pace."""
    moments = []
    day = org.start
    while day < org.today:
        if day.weekday() < 5:
            for _ in range(_poisson(rng, service.commits_per_week / 5)):
                minute = rng.randint(8 * 60, 18 * 60)
                moments.append(
                    dt.datetime.combine(day, dt.time(minute // 60, minute % 60, rng.randint(0, 59)), dt.UTC)
                )
        day += dt.timedelta(days=1)
    moments.sort()
    first = dt.datetime.combine(org.start, dt.time(9, 0), dt.UTC)
    return [first, *[m for m in moments if m > first]]


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method; the means here are small.
    import math

    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
