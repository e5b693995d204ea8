"""The measures registry: the one port through which contexts publish named measures.

A context registers each measure once, at import of its `measures` module:

    @measure("delivery.lead_time", unit="hours", direction=Direction.LOWER_IS_BETTER,
             description="Median lead time for changes", scopes=("service", "team", "org"))
    def lead_time(db: Database, scope: Scope, window: Window) -> Series: ...

`strategy` (and the web pages) then read every figure through `query(name, scope, window)` without knowing
which context computes it. Contexts also publish experiment verdicts and service readiness here, so the
strategy context needs no import of theirs.
"""

from missionos.measures.registry import (
    Direction,
    Measure,
    MeasureFn,
    Point,
    Registry,
    Scope,
    Series,
    Verdict,
    VerdictSource,
    Window,
    default_registry,
    describe,
    get,
    load_publishers,
    measure,
    memoized,
    memoized_already,
    names,
    query,
    reading,
    register_verdict_source,
    verdict_for,
)

__all__ = [
    "Direction",
    "Measure",
    "MeasureFn",
    "Point",
    "Registry",
    "Scope",
    "Series",
    "Verdict",
    "VerdictSource",
    "Window",
    "default_registry",
    "describe",
    "get",
    "load_publishers",
    "measure",
    "memoized",
    "memoized_already",
    "names",
    "query",
    "reading",
    "register_verdict_source",
    "verdict_for",
]
