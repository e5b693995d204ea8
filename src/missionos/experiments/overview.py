"""What the experiments pages show: every experiment with its analysis, forest plot and bets, and one
experiment's analysis with its daily exposures; each kept by `Database.cached` until a change is committed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from missionos.experiments import forest
from missionos.experiments.analysis import Analysis, analyze, daily_exposures
from missionos.experiments.design import list_experiments
from missionos.store import Database

# The bets that name each experiment, by experiment key, each a dict with at least its `decide_by` date (or
# None). The caller reads them from the plans: the experiments context does not read the strategy context.
BetsOf = Callable[[Session], Mapping[str, list[dict[str, Any]]]]


def experiments_overview(db: Database, today: dt.date, bets_of: BetsOf) -> list[dict[str, Any]]:
    """A row per experiment: its design, analysis, forest plot (SVG text), the bets naming it, days running,
    the earliest decision date of its bets, whether that date passed undecided, and units per variation."""
    # Kept until anyone commits a change (and a minute at most, since days running move with the clock).
    return db.cached(("experiments.index", today), lambda: _overview_rows(db, today, bets_of), max_age=60)


def _overview_rows(db: Database, today: dt.date, bets_of: BetsOf) -> list[dict[str, Any]]:
    with db.session() as session:
        designs = list_experiments(session)
        bets = bets_of(session)
    analyses = [analyze(db, design.key) for design in designs]
    plots = forest.draw_all(analyses)
    rows = []
    for design, analysis, plot in zip(designs, analyses, plots, strict=True):
        tested_by = bets.get(design.key, [])
        decide_by = min((b["decide_by"] for b in tested_by if b["decide_by"]), default=None)
        rows.append(
            {
                "design": design,
                "analysis": analysis,
                "plot": plot,
                "bets": tested_by,
                "days": forest.days_running(design.started_at, analysis.analyzed_at),
                "decide_by": decide_by,
                "overdue": decide_by is not None
                and decide_by < today
                and analysis.verdict.status in ("inconclusive", "too early"),
                "units": [(v, analysis.counts.units.get(v, 0)) for v in design.variations],
                "total": sum(analysis.counts.units.values()),
            }
        )
    return rows


def experiment_figures(db: Database, key: str, today: dt.date) -> tuple[Analysis, list[dict[str, Any]]]:
    """Experiment `key`'s analysis and its new units per day and variation (`daily_exposures`)."""
    # The analysis is kept until anyone commits a change (a minute at most, as the overview is).
    return db.cached(
        ("experiments.page", key, today),
        lambda: (analyze(db, key), daily_exposures(db, key)),
        max_age=60,
    )
