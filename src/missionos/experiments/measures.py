"""What the experiments context publishes: each experiment's verdict on its bet (metrics.md §3, Verdict)."""

from __future__ import annotations

import math
from typing import Any

from missionos.measures import Verdict, register_verdict_source
from missionos.store import Database
from missionos.times import as_utc


def _fingerprint(db: Database, experiment_key: str) -> Any | None:
    from sqlalchemy import func, select

    from missionos.experiments import service
    from missionos.experiments.models import Experiment, Exposure, Flag, MetricEvent

    with db.session() as session:
        if session.scalar(select(Experiment.id).where(Experiment.key == experiment_key)) is None:
            return None
        design = service.get_experiment(session, experiment_key).as_dict()
        exposures = session.execute(
            select(func.count(), func.max(Exposure.id)).where(Exposure.experiment_key == experiment_key)
        ).one()
        events = session.scalar(select(func.max(MetricEvent.id)))
        flag = session.execute(
            select(Flag.version, Flag.archived).where(Flag.key == (design["flag"] or experiment_key))
        ).one_or_none()
    return (repr(sorted(design.items())), tuple(exposures), events, tuple(flag) if flag else None)


def _allocation(db: Database, flag_key: str) -> float | None:
    """The share of units the flag exposes now: its first rollout or experiment rule's coverage (0 once
    archived); None when there is no such flag or it has no such rule."""
    from missionos.errors import NotFoundError
    from missionos.experiments import service

    with db.session() as session:
        try:
            flag = service.get_flag(session, flag_key)
        except NotFoundError:
            return None
    return 0.0 if flag.archived else flag.rollout


def _newest_exposure(db: Database, experiment_key: str) -> Any:
    from sqlalchemy import func, select

    from missionos.experiments.models import Exposure

    with db.session() as session:
        return session.scalar(
            select(func.max(Exposure.exposed_at)).where(Exposure.experiment_key == experiment_key)
        )


def experiment_verdict(db: Database, experiment_key: str) -> Verdict | None:
    """The verdict of experiment `experiment_key` (None if there is no such experiment), with its evidence."""
    fingerprint = _fingerprint(db, experiment_key)
    if fingerprint is None:
        return None
    # Kept with the fingerprint of its data: the plan pages ask for verdicts often, and an analysis only
    # changes when the design, the exposures or the events do (a commit of anything else keeps it).
    return db.cached(
        ("experiments.verdict", experiment_key),
        lambda: _verdict(db, experiment_key),
        max_age=math.inf,
        version=lambda: fingerprint,
    )


def _verdict(db: Database, experiment_key: str) -> Verdict:
    from missionos.experiments import service

    analysis = service.analyze(db, experiment_key)
    design = analysis.experiment
    primary = analysis.metrics[0] if analysis.metrics else None
    first = primary.comparisons[0] if primary is not None and primary.comparisons else None
    newest = _newest_exposure(db, experiment_key)
    newest = as_utc(newest)
    verdict = Verdict(
        experiment=experiment_key,
        status=analysis.verdict.status,
        evidence_url=f"/experiments/{experiment_key}",
        # the verdict rests on the exposures up to the newest one: that is when the evidence was in
        decided_at=newest or analysis.analyzed_at,
        summary=analysis.verdict.reason,
        primary_metric=design.primary_metric,
        allocation=_allocation(db, design.flag_key or experiment_key),
        effect=first.relative.effect if first is not None else None,
        ci=first.relative.ci if first is not None else None,
        started_at=design.started_at,
        running=design.status == "running",
    )
    return verdict


register_verdict_source(experiment_verdict)
