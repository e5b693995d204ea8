"""What the experiments context publishes: each experiment's verdict on its bet (METRICS.md §3, Verdict)."""

from __future__ import annotations

from missionos.measures import Verdict, register_verdict_source
from missionos.store import Database


def experiment_verdict(db: Database, experiment_key: str) -> Verdict | None:
    """The verdict of experiment `experiment_key` (None if there is no such experiment), with its evidence."""
    from sqlalchemy import select

    from missionos.experiments import service
    from missionos.experiments.models import Experiment

    with db.session() as session:
        if session.scalar(select(Experiment.id).where(Experiment.key == experiment_key)) is None:
            return None
    analysis = service.analyze(db, experiment_key)
    return Verdict(
        experiment=experiment_key,
        status=analysis.verdict.status,
        evidence_url=f"/experiments/{experiment_key}",
        decided_at=analysis.analyzed_at,
        summary=analysis.verdict.reason,
    )


register_verdict_source(experiment_verdict)
