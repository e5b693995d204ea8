"""What the experiments context publishes: each experiment's verdict on its bet (metrics.md §3, Verdict)."""

from __future__ import annotations

import threading
from typing import Any

from missionos.measures import Verdict, register_verdict_source
from missionos.store import Database

_lock = threading.Lock()
# (database url, experiment key) -> (fingerprint of the data, verdict): the plan pages ask for verdicts often,
# and an analysis only changes when the design, the exposures or the events do.
_cache: dict[tuple[str, str], tuple[Any, Verdict]] = {}


def _fingerprint(db: Database, experiment_key: str) -> Any | None:
    from sqlalchemy import func, select

    from missionos.experiments import service
    from missionos.experiments.models import Experiment, Exposure, MetricEvent

    with db.session() as session:
        if session.scalar(select(Experiment.id).where(Experiment.key == experiment_key)) is None:
            return None
        design = service.get_experiment(session, experiment_key).as_dict()
        exposures = session.execute(
            select(func.count(), func.max(Exposure.id)).where(Exposure.experiment_key == experiment_key)
        ).one()
        events = session.scalar(select(func.max(MetricEvent.id)))
    return (repr(sorted(design.items())), tuple(exposures), events)


def experiment_verdict(db: Database, experiment_key: str) -> Verdict | None:
    """The verdict of experiment `experiment_key` (None if there is no such experiment), with its evidence."""
    from missionos.experiments import service

    fingerprint = _fingerprint(db, experiment_key)
    if fingerprint is None:
        return None
    key = (db.url, experiment_key)
    with _lock:
        cached = _cache.get(key)
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    analysis = service.analyze(db, experiment_key)
    verdict = Verdict(
        experiment=experiment_key,
        status=analysis.verdict.status,
        evidence_url=f"/experiments/{experiment_key}",
        decided_at=analysis.analyzed_at,
        summary=analysis.verdict.reason,
    )
    with _lock:
        _cache[key] = (fingerprint, verdict)
    return verdict


register_verdict_source(experiment_verdict)
