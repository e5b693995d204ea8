"""Reading commits straight from git: `git log` streamed through a pipe, parsed as it arrives.

No Python git library is involved: one `git log` process writes every commit's fields and touched files,
separated by control characters that cannot occur in them, and this module turns them into `CommitRecord`s.
"""

from __future__ import annotations

import codecs
import datetime as dt
import subprocess
from collections.abc import Iterator
from pathlib import Path

from missionos.delivery.records import CommitRecord
from missionos.errors import InputError

RECORD, FIELD = "\x1e", "\x1f"
FORMAT = "%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%cI%x1f%B%x1f"


def _git(path: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise InputError(done.stderr.strip() or f"git {' '.join(args)} failed", source=str(path))
    return done.stdout


def resolve(path: Path, revision: str) -> str:
    """The full sha of `revision` in the repository at `path`."""
    if not (path / ".git").exists() and not (path / "HEAD").exists():
        raise InputError("not a git repository", source=str(path))
    return _git(path, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}").strip()


def is_ancestor(path: Path, older: str, newer: str) -> bool:
    done = subprocess.run(
        ["git", "-C", str(path), "merge-base", "--is-ancestor", older, newer],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def count(path: Path, revisions: list[str]) -> int:
    """How many commits `git log revisions` would stream (for the progress bar)."""
    return int(_git(path, "rev-list", "--count", *revisions).strip() or 0)


def _moment(text: str) -> tuple[dt.datetime, int]:
    moment = dt.datetime.fromisoformat(text)
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    return moment.astimezone(dt.UTC), minutes


def read_commits(path: Path, revisions: list[str]) -> Iterator[CommitRecord]:
    """Every commit of `git log revisions`, newest first, with the files it touches (none for merges)."""
    proc = subprocess.Popen(
        [
            "git",
            "-C",
            str(path),
            "log",
            "-z",
            "--name-only",
            "--no-renames",
            f"--format={FORMAT}",
            *revisions,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    pending = ""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    try:
        while True:
            chunk = proc.stdout.read(1 << 20)
            if not chunk:
                break
            pending += decoder.decode(chunk)
            records = pending.split(RECORD)
            pending = records.pop()
            for raw in records:
                if raw:
                    yield _parse(raw)
        if pending:
            yield _parse(pending)
    finally:
        proc.stdout.close()
        stderr = proc.stderr.read().decode() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
        code = proc.wait()
    if code != 0:
        raise InputError(stderr.strip() or "git log failed", source=str(path))


def _parse(raw: str) -> CommitRecord:
    head, _, tail = raw.rpartition(FIELD)
    sha, parents, author, email, authored, committed, message = head.split(FIELD, 6)
    authored_at, author_offset = _moment(authored)
    committed_at, committer_offset = _moment(committed)
    files = tuple(f for f in tail.strip("\x00\n").split("\x00") if f)
    return CommitRecord(
        sha=sha,
        parents=tuple(parents.split()),
        author=author,
        author_email=email,
        authored_at=authored_at,
        author_offset=author_offset,
        committed_at=committed_at,
        committer_offset=committer_offset,
        message=message.rstrip("\n"),
        files=files,
    )
