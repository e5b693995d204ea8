"""The `delivery` bounded context: services, repositories, deployments, incidents and DORA metrics.

Its public surface is `__all__`: the names below, each loaded from its subject module on first use (so
importing the package costs nothing), and the public submodules `__all__` lists. Other contexts and the
shells import only these (tests/test_public_surface.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from missionos.surface import lazy_surface

if TYPE_CHECKING:
    from missionos.delivery import files as files
    from missionos.delivery import gitlog as gitlog
    from missionos.delivery import hooks as hooks
    from missionos.delivery import queries as queries
    from missionos.delivery import settings as settings
    from missionos.delivery.catalog import ServiceInfo as ServiceInfo
    from missionos.delivery.catalog import ensure_service as ensure_service
    from missionos.delivery.catalog import list_services as list_services
    from missionos.delivery.catalog import list_teams as list_teams
    from missionos.delivery.catalog import require_services as require_services
    from missionos.delivery.catalog import service_teams as service_teams
    from missionos.delivery.figures import delivery_metrics as delivery_metrics
    from missionos.delivery.figures import readiness as readiness
    from missionos.delivery.figures import scope_of as scope_of
    from missionos.delivery.files import read_deployments as read_deployments
    from missionos.delivery.files import read_incidents as read_incidents
    from missionos.delivery.forges import ApiPages as ApiPages
    from missionos.delivery.forges import ForgeData as ForgeData
    from missionos.delivery.forges import SavedPages as SavedPages
    from missionos.delivery.forges import api_client as api_client
    from missionos.delivery.forges import read_github as read_github
    from missionos.delivery.forges import read_gitlab as read_gitlab
    from missionos.delivery.importing import import_forge as import_forge
    from missionos.delivery.importing import import_git as import_git
    from missionos.delivery.importing import upsert_deployments as upsert_deployments
    from missionos.delivery.importing import upsert_incidents as upsert_incidents
    from missionos.delivery.importing import upsert_pull_requests as upsert_pull_requests
    from missionos.delivery.models import Deployment as Deployment
    from missionos.delivery.models import Incident as Incident
    from missionos.delivery.models import Service as Service
    from missionos.delivery.organization import Declared as Declared
    from missionos.delivery.organization import RepositorySpec as RepositorySpec
    from missionos.delivery.organization import ServiceSpec as ServiceSpec
    from missionos.delivery.organization import TeamSpec as TeamSpec
    from missionos.delivery.organization import declare_services as declare_services
    from missionos.delivery.organization import declare_teams as declare_teams
    from missionos.delivery.organization import teams_and_services as teams_and_services
    from missionos.delivery.overviews import ScopeView as ScopeView
    from missionos.delivery.overviews import overview as overview
    from missionos.delivery.overviews import scope_detail as scope_detail
    from missionos.delivery.published import deployments as deployments
    from missionos.delivery.published import incidents as incidents
    from missionos.delivery.published import production_changes as production_changes
    from missionos.delivery.published import production_deployments as production_deployments
    from missionos.delivery.records import DeploymentRecord as DeploymentRecord
    from missionos.delivery.records import ImportSummary as ImportSummary
    from missionos.delivery.records import IncidentRecord as IncidentRecord
    from missionos.delivery.records import PullRequestRecord as PullRequestRecord
    from missionos.delivery.records import ReviewRecord as ReviewRecord

__all__ = [
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
]

# Where each public name lives (the module, under this package).
_HOMES = {
    "ApiPages": "forges",
    "Declared": "organization",
    "Deployment": "models",
    "DeploymentRecord": "records",
    "ForgeData": "forges",
    "ImportSummary": "records",
    "Incident": "models",
    "IncidentRecord": "records",
    "PullRequestRecord": "records",
    "RepositorySpec": "organization",
    "ReviewRecord": "records",
    "SavedPages": "forges",
    "ScopeView": "overviews",
    "Service": "models",
    "ServiceInfo": "catalog",
    "ServiceSpec": "organization",
    "TeamSpec": "organization",
    "api_client": "forges",
    "declare_services": "organization",
    "declare_teams": "organization",
    "delivery_metrics": "figures",
    "deployments": "published",
    "ensure_service": "catalog",
    "import_forge": "importing",
    "import_git": "importing",
    "incidents": "published",
    "list_services": "catalog",
    "list_teams": "catalog",
    "overview": "overviews",
    "production_changes": "published",
    "production_deployments": "published",
    "read_deployments": "files",
    "read_github": "forges",
    "read_gitlab": "forges",
    "read_incidents": "files",
    "readiness": "figures",
    "require_services": "catalog",
    "scope_detail": "overviews",
    "scope_of": "figures",
    "service_teams": "catalog",
    "teams_and_services": "organization",
    "upsert_deployments": "importing",
    "upsert_incidents": "importing",
    "upsert_pull_requests": "importing",
}
_SUBMODULES: frozenset[str] = frozenset(["files", "gitlog", "hooks", "queries", "settings"])

__getattr__, __dir__ = lazy_surface(__name__, _HOMES, _SUBMODULES)
