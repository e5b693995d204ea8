"""Raw evidence files are kept in the database, so every server host reads the same ones."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
from alembic import command
from sqlalchemy import text

from missionos.compliance import service
from missionos.store import Database
from missionos.store.migrate import alembic_config
from tests.compliance import samples


def test_the_raw_file_comes_back_byte_for_byte_from_any_host(client: httpx.Client, db: Database) -> None:
    report = samples.junit(5, 1)
    added = client.post(
        "/api/v1/compliance/evidence", params={"kind": "junit", "subject": "web"}, content=report
    )
    evidence_id, path = added.json()["id"], Path(added.json()["raw_path"])
    path.unlink()  # another host: this one's disk copy is not there
    raw = client.get(f"/api/v1/compliance/evidence/{evidence_id}/raw")
    assert raw.status_code == 200 and raw.content == report
    assert raw.headers["x-content-sha256"] == hashlib.sha256(report).hexdigest()
    missing = client.get("/api/v1/compliance/evidence/999999/raw")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith(
        "application/problem+json"
    )


def test_the_same_file_for_two_subjects_is_kept_once(db: Database) -> None:
    with db.session() as session:
        for subject in ("web", "api"):
            service.add_evidence(session, samples.junit(), kind="junit", subject=subject, source="r.xml")
    with db.session() as session:
        assert session.execute(text("select count(*) from compliance_evidence_file")).scalar_one() == 1
        assert session.execute(text("select count(*) from compliance_evidence")).scalar_one() == 2


def test_the_migration_brings_files_kept_only_on_disk_into_the_database(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        config = alembic_config(db.engine)
        command.upgrade(config, "heads")
        command.downgrade(config, "compliance_0002")  # a database from before the files were kept in it
        raw = samples.sarif()
        on_disk = tmp_path / "evidence" / "ab" / "raw"
        on_disk.parent.mkdir(parents=True)
        on_disk.write_bytes(raw)
        digest = hashlib.sha256(raw).hexdigest()
        with db.engine.begin() as conn:
            for path in (str(on_disk), str(tmp_path / "gone")):
                conn.execute(
                    text(
                        "insert into compliance_evidence (kind, source, subject, collected_at, sha256, "
                        "facts, raw_path, recorded_by, created_at) values ('sarif', 's', 'web', "
                        "'2026-11-01 00:00:00', :sha, '{}', :path, '', '2026-11-01 00:00:00')"
                    ),
                    {"sha": digest if path == str(on_disk) else "0" * 64, "path": path},
                )
        command.upgrade(config, "heads")
        with db.engine.connect() as conn:
            rows = conn.execute(text("select sha256, size, content from compliance_evidence_file")).all()
        assert [(r[0], r[1], bytes(r[2])) for r in rows] == [(digest, len(raw), raw)], (
            "the gone file is skipped"
        )
    finally:
        db.dispose()


def test_the_same_file_sent_twice_at_once_is_kept_once_and_neither_fails(db: Database) -> None:
    import threading

    raw = samples.cyclonedx()
    digest = hashlib.sha256(raw).hexdigest()
    failures: list[BaseException] = []
    with db.session() as first:
        service._keep_file(first, digest, raw)  # not committed yet: the second writer cannot see it

        def second() -> None:
            try:
                with db.session() as other:
                    service._keep_file(other, digest, raw)  # waits for the first writer, then does nothing
            except BaseException as exc:  # reported below
                failures.append(exc)

        writer = threading.Thread(target=second)
        writer.start()
        writer.join(timeout=0.5)
        assert writer.is_alive() or failures == [], "the second writer either waits or has found the file"
    writer.join(timeout=30)
    assert failures == []
    with db.session() as session:
        assert session.execute(text("select count(*) from compliance_evidence_file")).scalar_one() == 1
