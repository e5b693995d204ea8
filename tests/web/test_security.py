"""The authorization pattern every write endpoint uses."""

from __future__ import annotations

import pytest

from missionos.web.security import Principal, require


@pytest.mark.parametrize(
    ("role", "team", "wanted", "wanted_team", "allowed"),
    [
        ("viewer", None, "editor", None, False),
        ("editor", None, "editor", None, True),
        ("admin", None, "editor", None, True),
        ("editor", ("Intake",), "editor", "Intake", True),
        ("editor", ("Intake",), "editor", "Payments", False),
    ],
)
def test_roles_rank_and_teams_limit(
    role: str, team: tuple[str, ...] | None, wanted: str, wanted_team: str | None, allowed: bool
) -> None:
    assert Principal("p", role, team).may(wanted, wanted_team) is allowed


def test_unknown_role_is_refused_at_definition() -> None:
    with pytest.raises(ValueError, match="unknown role"):
        require("owner")
