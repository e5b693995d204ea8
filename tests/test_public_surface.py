"""Each context's public surface is exact: its package's sorted `__all__`, and nothing else from outside.

- Another context, `ingest`, `organization` and the shells import a context only as
  `from missionos.<context> import name` with `name` in its `__all__`, or a submodule that `__all__` lists as
  public (`from missionos.delivery import settings`). Importing `missionos.<context>.<private module>` from
  outside fails, naming the file and line. Tests and benchmarks may reach inside.
- `__all__` is the snapshot below: a change to a context's surface is a change to this test, on purpose.
- Every name resolves, importing the package loads none of its modules, and no public name shadows a
  submodule (importing the submodule would replace the name with the module).
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

SURFACE: dict[str, list[str]] = {
    "accounts": [
        "ANONYMOUS",
        "LOCAL",
        "ROLES",
        "Principal",
        "Setting",
        "audit",
        "limits",
        "sessions",
        "settings",
        "sign_in_configured",
        "throttle",
        "tokens",
        "users",
    ],
    "compliance": [
        "STATUS_KEYS",
        "LeveragedAuthorization",
        "RevisionEvidence",
        "accept_baseline",
        "accepted_baseline",
        "add_evidence",
        "add_evidence_batch",
        "add_signing_key",
        "assess_result",
        "assess_system",
        "assessed_files",
        "attest",
        "check_size",
        "controls",
        "default_pack",
        "define_system",
        "dump_yaml",
        "evidence_file",
        "evidence_kinds",
        "gate",
        "get_evidence",
        "get_system",
        "history",
        "kinds",
        "latest",
        "latest_files",
        "list_evidence",
        "list_signing_keys",
        "list_systems",
        "max_bytes",
        "oscal",
        "oscal_package",
        "overview_cached",
        "pack_document",
        "pack_for",
        "pack_oscal",
        "read_pack",
        "remediation_spans",
        "remove_signing_key",
        "require_subject",
        "require_system",
        "revision_evidence",
        "set_threshold",
        "set_trust_policy",
        "span_days",
        "trust",
        "visible_systems",
    ],
    "delivery": [
        "ApiPages",
        "Declared",
        "Deployment",
        "DeploymentRecord",
        "ForgeData",
        "ImportSummary",
        "Incident",
        "IncidentRecord",
        "PullRequestRecord",
        "RepositorySpec",
        "ReviewRecord",
        "SavedPages",
        "ScopeView",
        "Service",
        "ServiceInfo",
        "ServiceSpec",
        "TeamSpec",
        "api_client",
        "declare_services",
        "declare_teams",
        "delivery_metrics",
        "deployments",
        "ensure_service",
        "files",
        "gitlog",
        "hooks",
        "import_forge",
        "import_git",
        "incidents",
        "list_services",
        "list_teams",
        "overview",
        "production_changes",
        "production_deployments",
        "queries",
        "read_deployments",
        "read_github",
        "read_gitlab",
        "read_incidents",
        "readiness",
        "require_services",
        "scope_detail",
        "scope_of",
        "service_teams",
        "settings",
        "teams_and_services",
        "upsert_deployments",
        "upsert_incidents",
        "upsert_pull_requests",
    ],
    "experiments": [
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
    ],
    "flow": [
        "DAY",
        "ImportSummary",
        "StreamDefinition",
        "StreamFigures",
        "StreamView",
        "Transition",
        "TransitionRecord",
        "TypeMap",
        "WorkItem",
        "WorkItemRecord",
        "apply_stream",
        "count_lines",
        "duration",
        "get_stream",
        "glance",
        "hooks",
        "import_csv",
        "importers",
        "item_detail",
        "list_streams",
        "metrics",
        "parse_stream",
        "percent",
        "percentile",
        "read_stream_file",
        "require_stream",
        "stream_glance",
        "stream_items",
        "stream_metrics",
        "stream_view",
        "upsert_work",
        "visible_streams",
        "vsm",
        "zone",
    ],
    "friction": [
        "add_blocker",
        "apply_register",
        "blocker_detail",
        "clear_blocker",
        "read_register_file",
        "register",
        "set_stream_value",
        "stream_values",
    ],
    "ingest": [
        "Processor",
        "http",
        "import_devlake",
        "inbox",
        "payload",
        "processor",
        "read_config",
        "read_devlake",
        "sync",
    ],
    "maps": [
        "get",
        "kind_of",
        "list_maps",
        "read_file",
        "save",
    ],
    "platform": [
        "SECTIONS",
        "advertise",
        "apply_document",
        "check",
        "declare_needs",
        "overview",
        "read_platform_file",
        "record_binding",
        "team",
        "withdraw",
    ],
    "strategy": [
        "Applied",
        "Goal",
        "GoalView",
        "MeasureRef",
        "PlanView",
        "apply_plan",
        "assess_plan",
        "check_text",
        "diff_versions",
        "direction_text",
        "evaluate",
        "evaluate_cached",
        "get_plan",
        "history",
        "history_line",
        "home_plan",
        "learning",
        "list_plans",
        "litmus",
        "loop",
        "manual_series_names",
        "plan_json",
        "plan_yaml",
        "record_value",
        "record_verdict",
        "replan",
        "report_html",
        "sparkline_svg",
        "story",
        "target_text",
        "today",
    ],
}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted((SRC / "missionos").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "missionos"


def _submodules(context: str) -> set[str]:
    package = importlib.import_module(f"missionos.{context}")
    return {m.name for m in pkgutil.iter_modules(package.__path__)}


def outside_imports_breaking_the_surface(modules: dict[str, Path]) -> list[str]:
    found = []
    for module, path in modules.items():
        here = _room(module)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [(a.name, None) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    stem = ".".join(base + ([node.module] if node.module else []))
                else:
                    stem = node.module or ""
                targets = [(stem, a.name) for a in node.names]
            else:
                continue
            for stem, name in targets:
                context = _room(stem)
                if context not in SURFACE or context == here or not stem.startswith("missionos."):
                    continue
                public = set(SURFACE[context])
                inner = stem.split(".")[2:]
                where = f"{path.relative_to(SRC)} line {node.lineno}"
                if inner and inner[0] not in public:
                    found.append(f"{where}: imports {stem}, a private module of {context}")
                elif not inner and name is not None and name not in public:
                    found.append(f"{where}: imports {name} from {context}, which its __all__ does not list")
    return sorted(found)


@pytest.mark.parametrize("context", sorted(SURFACE))
def test_the_surface_is_the_snapshot(context: str) -> None:
    package = importlib.import_module(f"missionos.{context}")
    assert package.__all__ == SURFACE[context], (
        f"missionos.{context}.__all__ changed: update SURFACE in this test if the change is meant"
    )
    assert len(set(package.__all__)) == len(package.__all__)


@pytest.mark.parametrize("context", sorted(SURFACE))
def test_every_public_name_resolves_and_none_shadows_a_submodule(context: str) -> None:
    package = importlib.import_module(f"missionos.{context}")
    submodules = _submodules(context)
    public_submodules = {n for n in package.__all__ if isinstance(getattr(package, n), type(sys))}
    for name in package.__all__:
        getattr(package, name)
        if name not in public_submodules:
            # importing the submodule would bind its name on the package, hiding the function or class
            assert name not in submodules, f"{context}.{name} is named like a submodule of {context}"
    with pytest.raises(AttributeError):
        package.no_such_name  # noqa: B018


def test_importing_a_context_package_loads_none_of_its_modules() -> None:
    code = (
        "import sys\n"
        + "".join(f"import missionos.{c}\n" for c in sorted(SURFACE))
        + "print(sorted(m for m in sys.modules if m.count('.') >= 2 and m.startswith('missionos.')))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


def test_outside_imports_go_through_the_surface() -> None:
    found = outside_imports_breaking_the_surface(_modules())
    assert not found, "imports past a context's public surface:\n" + "\n".join(found)


def test_the_check_catches_a_planted_private_import(tmp_path: Path) -> None:
    web = tmp_path / "missionos" / "web"
    web.mkdir(parents=True)
    (web / "planted.py").write_text(
        "from missionos.delivery.queries_private import x\nfrom missionos.delivery import not_public\n"
        "from missionos.delivery import service_teams\n"
    )
    global SRC
    real, SRC = SRC, tmp_path
    try:
        found = outside_imports_breaking_the_surface({"missionos.web.planted": web / "planted.py"})
    finally:
        SRC = real
    assert len(found) == 2 and "private module of delivery" in found[0] and "not_public" in found[1]
