"""The friction register on both databases: prices from real flow data, clearing and its measured effect."""

from __future__ import annotations

import pytest

from missionos.accounts import audit
from missionos.errors import ConflictError, InputError, NotFoundError
from missionos.friction import service
from missionos.store import Database
from tests.friction import scenario


def test_a_blocker_is_priced_from_the_wait_before_its_step(db: Database) -> None:
    scenario.load(db)
    with db.session() as s:
        service.add_blocker(s, scenario.blocker(), actor="ana")
        service.set_stream_value(s, "approvals", 200.0, actor="ana")
    with db.session() as s:
        (view,) = service.register(s, now=scenario.NOW)
    # All five items pass Approval within the 90 days before NOW; their median wait is 2 days.
    p = view.price
    assert p.wait_source == "measured" and p.wait_days == pytest.approx(2.0)
    assert p.items_per_month == pytest.approx(5 * 30 / 90)
    assert p.cost_per_month == pytest.approx(2.0 * (5 / 3) * 200.0)
    assert p.cd3 == pytest.approx(p.cost_per_month / 4)
    assert view.age_days == pytest.approx(92)


def test_clearing_measures_the_wait_before_and_after(db: Database) -> None:
    scenario.load(db)
    with db.session() as s:
        service.add_blocker(s, scenario.blocker(), actor="ana")
        service.clear_blocker(s, "sign-off", note="Delegated to team leads", actor="ana", at=scenario.CLEARED)
    with db.session() as s:
        detail = service.blocker_detail(s, "sign-off", now=scenario.NOW)
        assert service.register(s, now=scenario.NOW) == []  # no longer open
        (cleared,) = service.register(s, status="cleared", now=scenario.NOW)
    effect = detail.effect
    assert effect is not None and detail.view.status == "cleared" and cleared.key == "sign-off"
    assert (effect.before_items, effect.after_items) == (3, 2)
    assert effect.before_wait_hours == pytest.approx(4 * 24) and effect.after_wait_hours == pytest.approx(24)
    assert effect.change == pytest.approx(-0.75)


def test_the_what_if_removes_the_wait_before_the_step_from_the_lead_time(db: Database) -> None:
    scenario.load(db)
    with db.session() as s:
        service.add_blocker(s, scenario.blocker(), actor="ana")
    with db.session() as s:
        detail = service.blocker_detail(s, "sign-off", now=scenario.NOW)
    assert detail.what_if is not None
    assert detail.what_if.lead_time_hours - detail.what_if.without_hours == pytest.approx(48.0)
    assert "set it with `missionos friction value`" in detail.view.price.missing


def test_every_write_is_audited(db: Database) -> None:
    scenario.load(db)
    with db.session() as s:
        service.add_blocker(s, scenario.blocker(), actor="ana")
        service.set_stream_value(s, "approvals", 50.0, actor="ben")
        service.clear_blocker(s, "sign-off", note="done", actor="cy", at=scenario.CLEARED)
    with db.session() as s:
        actions = {(e.actor, e.action) for e in audit.entries(s)}
    assert actions >= {
        ("ana", "friction.blocker.add"),
        ("ben", "friction.value.set"),
        ("cy", "friction.blocker.clear"),
    }


def test_bad_blockers_are_refused_whole_naming_each_field(db: Database) -> None:
    scenario.load(db)
    good = scenario.blocker(key="good")
    bad = scenario.blocker(key="Bad Key", stream="nowhere", effort_days=0, raised="31/01/2026", colour="red")
    with db.session() as s, pytest.raises(InputError) as caught:
        service.apply_register(s, {"blockers": [good, bad]}, actor="ana", source="reg.yaml")
    text = str(caught.value)
    assert text.startswith("reg.yaml: ")
    for field in ("blockers[1].key", "blockers[1].stream", "blockers[1].effort_days", "blockers[1].raised"):
        assert field in text
    assert "blockers[1].colour" in text
    with db.session() as s:
        assert service.register(s, status="all") == []  # the good one was not stored either


def test_a_step_must_belong_to_the_stream(db: Database) -> None:
    scenario.load(db)
    with (
        db.session() as s,
        pytest.raises(InputError, match="step: expected a step of approvals: Build, Approval"),
    ):
        service.add_blocker(s, scenario.blocker(step="QA"), actor="ana")


def test_applying_a_register_twice_changes_nothing(db: Database) -> None:
    scenario.load(db)
    doc = {
        "values": {"approvals": {"value_per_day": 75, "currency": "EUR"}},
        "blockers": [scenario.blocker()],
    }
    with db.session() as s:
        first = service.apply_register(s, doc, actor="ana")
    with db.session() as s:
        second = service.apply_register(s, doc, actor="ana")
    assert first["added"] == 1 and second == {"added": 0, "updated": 0, "unchanged": 1, "values": 1}


def test_keys_are_unique_and_clearing_is_once(db: Database) -> None:
    scenario.load(db)
    with db.session() as s:
        service.add_blocker(s, scenario.blocker(), actor="ana")
    with db.session() as s, pytest.raises(ConflictError):
        service.add_blocker(s, scenario.blocker(), actor="ana")
    with db.session() as s:
        service.clear_blocker(s, "sign-off", note="done", actor="ana", at=scenario.CLEARED)
    with db.session() as s, pytest.raises(ConflictError):
        service.clear_blocker(s, "sign-off", note="again", actor="ana")
    with db.session() as s, pytest.raises(NotFoundError):
        service.blocker_detail(s, "nope")
