"""Figures cut from the organization's records (one load per page) equal those each scope loads on its own."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from missionos import measures
from missionos.delivery import queries
from missionos.delivery.service import (
    delivery_metrics,
    list_services,
    list_teams,
    scope_records,
    weekly_figures,
)
from missionos.measures import Scope, Window
from missionos.store import Database
from tests.delivery.test_demo_delivery import TODAY, load_delivery_demo


def test_team_and_service_figures_cut_from_the_organization_records_are_exact(
    db: Database, tmp_path: Path
) -> None:
    load_delivery_demo(db, tmp_path)
    until = dt.datetime.combine(TODAY, dt.time(13, 7, 5, 250_000), dt.UTC)
    with db.session() as s:
        scopes = [Scope("org")]
        scopes += [Scope("team", t) for t in list_teams(s)]
        scopes += [Scope("service", x.name) for x in list_services(s)]
        for days in (30, 90, 400):
            window = Window.last(days, until=until)
            records = scope_records(s, queries.services_in(s, Scope("org")), window)
            for scope in scopes:
                selected = queries.services_in(s, scope)
                assert delivery_metrics(s, selected, window, records=records) == delivery_metrics(
                    s, selected, window
                ), (scope, days)
                assert weekly_figures(s, selected, window, records=records) == weekly_figures(
                    s, selected, window
                ), (scope, days)
        team = queries.services_in(s, Scope("team", list_teams(s)[0]))
        narrow = scope_records(s, team, window)
        with pytest.raises(ValueError):
            delivery_metrics(s, queries.services_in(s, Scope("org")), window, records=narrow)
        with pytest.raises(ValueError):
            delivery_metrics(s, team, Window.last(7, until=until), records=narrow)


def test_measures_read_in_one_reading_match_those_read_alone(db: Database, tmp_path: Path) -> None:
    load_delivery_demo(db, tmp_path)
    window = Window.last(120, until=dt.datetime.combine(TODAY, dt.time(9, 30), dt.UTC))
    with db.session() as s:
        scopes = [Scope("org"), *(Scope("service", x.name) for x in list_services(s))]
    names = [n for n in measures.names() if n.startswith("delivery.")]
    alone = {(n, scope): measures.query(db, n, scope, window) for n in names for scope in scopes}
    with measures.reading():  # the organization first: the services' figures are cut from its records
        together = {(n, scope): measures.query(db, n, scope, window) for n in names for scope in scopes}
    assert together == alone
