"""Public service functions of the delivery context.

The façade: each subject lives in its own module, and every public name is re-exported here.
- `catalog`: teams, services and their repositories;
- `importing`: commits from git, and deployments, incidents and pull requests from files, the API and forges;
- `attribution`: which production deployment carried each change, and each deployment's kind;
- `figures`: the scopes, their records loaded once, the metrics, the weekly trend and readiness;
- `overview`: the figures of the delivery pages, computed once per change to the database;
- `published`: the production changes and deployments other contexts read, and the figures' listings.
"""

from __future__ import annotations

from missionos.delivery.attribution import attribute as attribute
from missionos.delivery.attribution import reattribute_from as reattribute_from
from missionos.delivery.attribution import refresh_all_kinds as refresh_all_kinds
from missionos.delivery.attribution import relink_pull_requests as relink_pull_requests
from missionos.delivery.catalog import ServiceInfo as ServiceInfo
from missionos.delivery.catalog import ensure_repository as ensure_repository
from missionos.delivery.catalog import ensure_service as ensure_service
from missionos.delivery.catalog import ensure_team as ensure_team
from missionos.delivery.catalog import list_services as list_services
from missionos.delivery.catalog import list_teams as list_teams
from missionos.delivery.catalog import require_services as require_services
from missionos.delivery.catalog import service_named as service_named
from missionos.delivery.catalog import service_teams as service_teams
from missionos.delivery.common import utc as utc
from missionos.delivery.figures import ScopeRecords as ScopeRecords
from missionos.delivery.figures import delivery_metrics as delivery_metrics
from missionos.delivery.figures import readiness as readiness
from missionos.delivery.figures import scope_of as scope_of
from missionos.delivery.figures import scope_records as scope_records
from missionos.delivery.figures import weekly_figures as weekly_figures
from missionos.delivery.importing import HEX as HEX
from missionos.delivery.importing import import_forge as import_forge
from missionos.delivery.importing import import_git as import_git
from missionos.delivery.importing import upsert_deployments as upsert_deployments
from missionos.delivery.importing import upsert_incidents as upsert_incidents
from missionos.delivery.importing import upsert_pull_requests as upsert_pull_requests
from missionos.delivery.overviews import Overview as Overview
from missionos.delivery.overviews import ScopeDetail as ScopeDetail
from missionos.delivery.overviews import ScopeView as ScopeView
from missionos.delivery.overviews import overview as overview
from missionos.delivery.overviews import scope_detail as scope_detail
from missionos.delivery.overviews import scope_view as scope_view
from missionos.delivery.published import ProductionChange as ProductionChange
from missionos.delivery.published import ProductionDeployment as ProductionDeployment
from missionos.delivery.published import changes as changes
from missionos.delivery.published import deployments as deployments
from missionos.delivery.published import incidents as incidents
from missionos.delivery.published import production_changes as production_changes
from missionos.delivery.published import production_deployments as production_deployments
from missionos.delivery.queries import ScopeServices as ScopeServices
