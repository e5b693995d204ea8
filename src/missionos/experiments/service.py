"""The experiments context's public service: flags, experiments, exposures, events, analysis and verdicts.

The CLI and the web layer call these functions. Each subject has its module, re-exported here: `flags`,
`serving` (OpenFeature remote evaluation, client keys and the SDK payload), `design` (metrics and
experiments), `events` (exposures and metric events), `analysis`, `access` (team limits) and `overview`
(what the pages show, kept until the database changes). They hold the SQL (through `warehouse`) and the
rules, and the statistics live in `stats`.
"""

from __future__ import annotations

from missionos.experiments.access import require_experiment, require_flag, visible
from missionos.experiments.analysis import (
    WAREHOUSE_COLUMNS,
    Analysis,
    MetricResult,
    Source,
    analyze,
    analyze_stats,
    daily_exposures,
)
from missionos.experiments.design import (
    ApplyReport,
    ExperimentInfo,
    MetricInfo,
    apply_document,
    get_experiment,
    list_experiments,
    list_metrics,
    validate_experiment,
    validate_metric,
)
from missionos.experiments.events import (
    CHUNK,
    clear_experiment_data,
    event_key,
    import_events,
    import_exposures,
    iter_file_records,
    read_records,
)
from missionos.experiments.flags import (
    KEY_PATTERN,
    RULE_FIELDS,
    FlagChange,
    FlagInfo,
    FlagVersionInfo,
    evaluate,
    features,
    flag_history,
    get_flag,
    list_flags,
    save_flag,
    set_rollout,
    validate_flag,
    validate_rule,
)
from missionos.experiments.overview import experiment_figures, experiments_overview
from missionos.experiments.serving import add_client_key, ofrep_flag, ofrep_flags, sdk_payload

__all__ = [
    "CHUNK",
    "KEY_PATTERN",
    "RULE_FIELDS",
    "WAREHOUSE_COLUMNS",
    "Analysis",
    "ApplyReport",
    "ExperimentInfo",
    "FlagChange",
    "FlagInfo",
    "FlagVersionInfo",
    "MetricInfo",
    "MetricResult",
    "Source",
    "add_client_key",
    "analyze",
    "analyze_stats",
    "apply_document",
    "clear_experiment_data",
    "daily_exposures",
    "evaluate",
    "event_key",
    "experiment_figures",
    "experiments_overview",
    "features",
    "flag_history",
    "get_experiment",
    "get_flag",
    "import_events",
    "import_exposures",
    "iter_file_records",
    "list_experiments",
    "list_flags",
    "list_metrics",
    "ofrep_flag",
    "ofrep_flags",
    "read_records",
    "require_experiment",
    "require_flag",
    "save_flag",
    "sdk_payload",
    "set_rollout",
    "validate_experiment",
    "validate_flag",
    "validate_metric",
    "validate_rule",
    "visible",
]
