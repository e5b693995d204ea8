"""The `experiments` bounded context (see DESIGN.md).

Its public surface is `__all__`: the names below, each loaded from its subject module on first use (so
importing the package costs nothing), and the public submodules `__all__` lists. Other contexts and the
shells import only these (tests/test_public_surface.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from missionos.surface import lazy_surface

if TYPE_CHECKING:
    from missionos.experiments import ofrep as ofrep
    from missionos.experiments import stats as stats
    from missionos.experiments import sticky as sticky
    from missionos.experiments.access import require_experiment as require_experiment
    from missionos.experiments.access import require_flag as require_flag
    from missionos.experiments.access import visible as visible
    from missionos.experiments.analysis import MetricResult as MetricResult
    from missionos.experiments.analysis import Source as Source
    from missionos.experiments.analysis import analyze as analyze
    from missionos.experiments.analysis import analyze_stats as analyze_stats
    from missionos.experiments.design import apply_document as apply_document
    from missionos.experiments.design import list_experiments as list_experiments
    from missionos.experiments.events import import_events as import_events
    from missionos.experiments.events import import_exposures as import_exposures
    from missionos.experiments.events import iter_file_records as iter_file_records
    from missionos.experiments.flags import evaluate as evaluate
    from missionos.experiments.flags import flag_history as flag_history
    from missionos.experiments.flags import get_flag as get_flag
    from missionos.experiments.flags import list_flags as list_flags
    from missionos.experiments.flags import save_flag as save_flag
    from missionos.experiments.flags import set_rollout as set_rollout
    from missionos.experiments.flags import validate_flag as validate_flag
    from missionos.experiments.overview import experiment_figures as experiment_figures
    from missionos.experiments.overview import experiments_overview as experiments_overview
    from missionos.experiments.serving import add_client_key as add_client_key
    from missionos.experiments.serving import ofrep_flag as ofrep_flag
    from missionos.experiments.serving import ofrep_flags as ofrep_flags
    from missionos.experiments.serving import sdk_payload as sdk_payload

__all__ = [
    "MetricResult",
    "Source",
    "add_client_key",
    "analyze",
    "analyze_stats",
    "apply_document",
    "evaluate",
    "experiment_figures",
    "experiments_overview",
    "flag_history",
    "get_flag",
    "import_events",
    "import_exposures",
    "iter_file_records",
    "list_experiments",
    "list_flags",
    "ofrep",
    "ofrep_flag",
    "ofrep_flags",
    "require_experiment",
    "require_flag",
    "save_flag",
    "sdk_payload",
    "set_rollout",
    "stats",
    "sticky",
    "validate_flag",
    "visible",
]

# Where each public name lives (the module, under this package).
_HOMES = {
    "MetricResult": "analysis",
    "Source": "analysis",
    "add_client_key": "serving",
    "analyze": "analysis",
    "analyze_stats": "analysis",
    "apply_document": "design",
    "evaluate": "flags",
    "experiment_figures": "overview",
    "experiments_overview": "overview",
    "flag_history": "flags",
    "get_flag": "flags",
    "import_events": "events",
    "import_exposures": "events",
    "iter_file_records": "events",
    "list_experiments": "design",
    "list_flags": "flags",
    "ofrep_flag": "serving",
    "ofrep_flags": "serving",
    "require_experiment": "access",
    "require_flag": "access",
    "save_flag": "flags",
    "sdk_payload": "serving",
    "set_rollout": "flags",
    "validate_flag": "flags",
    "visible": "access",
}
_SUBMODULES: frozenset[str] = frozenset(["ofrep", "stats", "sticky"])

__getattr__, __dir__ = lazy_surface(__name__, _HOMES, _SUBMODULES)
