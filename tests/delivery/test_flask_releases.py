"""Flask's real history around its 1.0 release (tests/data/delivery): seven releases, no incident at all.

The 805 commits are replayed into a real git repository with their authors, times, messages and parents (the
files are left out: the service has no path prefix, so every non-merge commit is a change), and the releases
are imported as production deployments. Release 1.0 carries "revert copyright year to project start" and two
git reverts of work done during its own cycle; 1.0.1 carries `Revert "Add python_requires metadata for
PyPI"`, which undid a 1.0 change that broke installs. With the default patterns both count as rollbacks, each
of the release before it: a change failure rate of 2 in 7 with no incident.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from missionos.delivery import settings
from missionos.delivery.files import read_deployments
from missionos.delivery.service import delivery_metrics, deployments, import_git, scope_of, upsert_deployments
from missionos.measures import Window
from missionos.store import Database
from tests.datafiles import FLASK_COMMITS, FLASK_RELEASES

WINDOW = Window(dt.datetime(2018, 4, 1, tzinfo=dt.UTC), dt.datetime(2019, 8, 1, tzinfo=dt.UTC))
RELEASES = ["0.12.3", "1.0", "0.12.4", "1.0.1", "1.0.2", "1.0.3", "1.0.4"]


def _signature(name: str, email: str, when: str) -> str:
    moment = dt.datetime.fromisoformat(when)
    offset = moment.utcoffset() or dt.timedelta()
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{name} <{email}> {int(moment.timestamp())} {sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def replay(path: Path) -> dict[str, str]:
    """A git repository at `path` holding the vendored commits (branch main at the newest release); each
    original sha with the sha it has there."""
    with gzip.open(FLASK_COMMITS, "rt", encoding="utf-8") as fh:
        commits = [json.loads(line) for line in fh]
    mark = {c["sha"]: n for n, c in enumerate(commits, start=1)}
    stream = bytearray()
    for n, c in enumerate(commits, start=1):
        parents = [p for p in c["parents"] if p in mark]
        if not parents:
            stream += b"reset refs/heads/replay\n"
        message = c["message"].encode("utf-8")
        stream += (
            f"commit refs/heads/replay\nmark :{n}\n"
            f"author {_signature(c['author_name'], c['author_email'], c['author_date'])}\n"
            f"committer {_signature(c['committer_name'], c['committer_email'], c['committer_date'])}\n"
            f"data {len(message)}\n"
        ).encode()
        stream += message + b"\n"
        for k, parent in enumerate(parents):
            stream += f"{'from' if k == 0 else 'merge'} :{mark[parent]}\n".encode()
    stream += f"reset refs/heads/main\nfrom :{mark[commits[-1]['sha']]}\n".encode()
    env = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True, env=env)
    marks = path / "marks"
    subprocess.run(
        ["git", "-C", str(path), "fast-import", "--quiet", f"--export-marks={marks}"],
        input=bytes(stream),
        check=True,
        env=env,
    )
    by_mark = dict(line.split() for line in marks.read_text().splitlines())
    return {c["sha"]: by_mark[f":{n}"] for n, c in enumerate(commits, start=1)}


@pytest.fixture
def flask(db: Database, tmp_path: Path) -> Database:
    shas = replay(tmp_path / "flask")
    records, lines = read_deployments(FLASK_RELEASES)
    with db.session() as s:
        summary = import_git(s, tmp_path / "flask", service="flask", branch="main")
        assert summary.inserted == 805
        upsert_deployments(
            s,
            [replace(r, revision=shas[r.revision]) for r in records],
            source=str(FLASK_RELEASES),
            lines=lines,
        )
    return db


def figures(db: Database) -> tuple[dict[str, str], set[str], dict[str, object]]:
    with db.session() as s:
        scope = scope_of(s, services=["flask"])
        rows = deployments(s, scope, WINDOW)
        doc = delivery_metrics(s, scope, WINDOW)
    return (
        {r["id"]: r["kind"] for r in rows},
        {r["id"] for r in rows if r["failed"]},
        doc["change_failure_rate"],
    )


def test_flask_releases_with_the_default_patterns(flask: Database) -> None:
    kinds, failed, cfr = figures(flask)
    assert sorted(kinds) == sorted(RELEASES)
    assert {k for k, v in kinds.items() if v != "planned"} == {"1.0", "1.0.1"}
    assert kinds["1.0"] == "rollback" and kinds["1.0.1"] == "rollback"
    assert failed == {"0.12.3", "0.12.4"}, "each rollback fails the release before it"
    assert (cfr["failed"], cfr["total"]) == (2, 7)
    assert cfr["rate"] == pytest.approx(2 / 7)  # 28.6 %, with no incident


def test_flask_release_1_0_said_planned_is_planned(flask: Database) -> None:
    records, _ = read_deployments(FLASK_RELEASES)
    (release,) = [r for r in records if r.id == "1.0"]
    with flask.session() as s:
        # the release record sent again, now saying what it was: a feature release
        revision = next(
            d["revision"] for d in deployments(s, scope_of(s, services=["flask"]), WINDOW) if d["id"] == "1.0"
        )
        upsert_deployments(
            s, [replace(release, revision=revision, kind="planned", kind_explicit=True)], source="t"
        )
    kinds, failed, cfr = figures(flask)
    assert kinds["1.0"] == "planned" and kinds["1.0.1"] == "rollback"
    assert failed == {"0.12.4"}
    assert (cfr["failed"], cfr["total"]) == (1, 7) and cfr["rate"] == pytest.approx(1 / 7)  # 14.3 %


def test_flask_releases_with_git_revert_messages_only_or_no_inference(flask: Database) -> None:
    with flask.session() as s:
        settings.update(s, rollback_pattern=r'^Revert "', actor="test")
    kinds, failed, _ = figures(flask)
    # "revert copyright year" no longer counts, but 1.0 also carries `Revert "Handle BaseExceptions (#2222)"`
    assert kinds["1.0"] == "rollback" and failed == {"0.12.3", "0.12.4"}
    with flask.session() as s:
        settings.update(s, infer_kinds=False, actor="test")
    kinds, failed, cfr = figures(flask)
    assert set(kinds.values()) == {"planned"} and failed == set()
    assert (cfr["failed"], cfr["rate"]) == (0, 0.0)
