"""The audit log records writes in the writer's transaction."""

from __future__ import annotations

import pytest

from missionos.accounts import audit
from missionos.store import Database


def test_record_and_list_newest_first(db: Database) -> None:
    with db.session() as session:
        audit.record(session, actor="cli:ana", action="create", kind="plan", key="p1", after={"v": 1})
        audit.record(
            session, actor="cli:ana", action="update", kind="plan", key="p1", before={"v": 1}, after={"v": 2}
        )
    with db.session() as session:
        found = audit.entries(session, kind="plan", key="p1")
    assert [(e.action, e.before, e.after) for e in found] == [
        ("update", {"v": 1}, {"v": 2}),
        ("create", None, {"v": 1}),
    ]
    assert found[0].at.tzinfo is not None


def test_entry_rolls_back_with_the_failed_write(db: Database) -> None:
    with pytest.raises(RuntimeError), db.session() as session:
        audit.record(session, actor="x", action="create", kind="flag", key="f")
        raise RuntimeError("write failed")
    with db.session() as session:
        assert audit.entries(session) == []
