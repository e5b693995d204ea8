"""Public service functions of the compliance context: the façade the CLI, the web pages and other contexts
call. Each subject has its own module, and this one re-exports them:

- `systems`: the systems under assessment and their trust policies; `access`: the team limits on them;
- `evidence_store`: evidence files and attestations as recorded, signing keys, and the evidence an assessment
  reads (`evidence` parses the files);
- `assessments`: assessing a system and the stored history;
- `gate`: the drift gate, its threshold and the accepted baseline;
- `cato`: what the authorizing official reads; `oscal_files`: the OSCAL package of an assessment.

They hold the database work, while the arithmetic lives in `assess`.
"""

from __future__ import annotations

from missionos.compliance.access import (
    require_subject as require_subject,
)
from missionos.compliance.access import (
    require_system as require_system,
)
from missionos.compliance.access import (
    system_teams as system_teams,
)
from missionos.compliance.access import (
    visible_systems as visible_systems,
)
from missionos.compliance.assess import (
    STATUSES as STATUSES,
)
from missionos.compliance.assessments import (
    STATUS_KEYS as STATUS_KEYS,
)
from missionos.compliance.assessments import (
    Assessed as Assessed,
)
from missionos.compliance.assessments import (
    StoredAssessment as StoredAssessment,
)
from missionos.compliance.assessments import (
    assess_result as assess_result,
)
from missionos.compliance.assessments import (
    assess_system as assess_system,
)
from missionos.compliance.assessments import (
    controls as controls,
)
from missionos.compliance.assessments import (
    forget_assessments as forget_assessments,
)
from missionos.compliance.assessments import (
    history as history,
)
from missionos.compliance.assessments import (
    history_counts as history_counts,
)
from missionos.compliance.assessments import (
    latest as latest,
)
from missionos.compliance.assessments import (
    poam_items as poam_items,
)
from missionos.compliance.assessments import (
    satisfied_share as satisfied_share,
)
from missionos.compliance.cato import (
    CATO_CRITERIA as CATO_CRITERIA,
)
from missionos.compliance.cato import (
    cato_checklist as cato_checklist,
)
from missionos.compliance.cato import (
    freshness as freshness,
)
from missionos.compliance.cato import (
    overview as overview,
)
from missionos.compliance.cato import (
    overview_cached as overview_cached,
)
from missionos.compliance.evidence_store import (
    DERIVED_KINDS as DERIVED_KINDS,
)
from missionos.compliance.evidence_store import (
    SBOM_KINDS as SBOM_KINDS,
)
from missionos.compliance.evidence_store import (
    SIGNED_KINDS as SIGNED_KINDS,
)
from missionos.compliance.evidence_store import (
    EvidenceInfo as EvidenceInfo,
)
from missionos.compliance.evidence_store import (
    RevisionEvidence as RevisionEvidence,
)
from missionos.compliance.evidence_store import (
    _keep_file as _keep_file,
)
from missionos.compliance.evidence_store import (
    _records_for as _records_for,
)
from missionos.compliance.evidence_store import (
    add_evidence as add_evidence,
)
from missionos.compliance.evidence_store import (
    add_evidence_batch as add_evidence_batch,
)
from missionos.compliance.evidence_store import (
    add_signing_key as add_signing_key,
)
from missionos.compliance.evidence_store import (
    attest as attest,
)
from missionos.compliance.evidence_store import (
    aware as aware,
)
from missionos.compliance.evidence_store import (
    built_revisions as built_revisions,
)
from missionos.compliance.evidence_store import (
    derived_evidence as derived_evidence,
)
from missionos.compliance.evidence_store import (
    evidence_file as evidence_file,
)
from missionos.compliance.evidence_store import (
    evidence_kinds as evidence_kinds,
)
from missionos.compliance.evidence_store import (
    evidence_store as evidence_store,
)
from missionos.compliance.evidence_store import (
    first_seen_of as first_seen_of,
)
from missionos.compliance.evidence_store import (
    get_evidence as get_evidence,
)
from missionos.compliance.evidence_store import (
    list_evidence as list_evidence,
)
from missionos.compliance.evidence_store import (
    list_signing_keys as list_signing_keys,
)
from missionos.compliance.evidence_store import (
    record_first_seen as record_first_seen,
)
from missionos.compliance.evidence_store import (
    remove_signing_key as remove_signing_key,
)
from missionos.compliance.evidence_store import (
    revision_evidence as revision_evidence,
)
from missionos.compliance.evidence_store import (
    summarize as summarize,
)
from missionos.compliance.evidence_store import (
    trusted_keys as trusted_keys,
)
from missionos.compliance.gating import (
    GATED_SEVERITIES as GATED_SEVERITIES,
)
from missionos.compliance.gating import (
    GOOD as GOOD,
)
from missionos.compliance.gating import (
    BaselineInfo as BaselineInfo,
)
from missionos.compliance.gating import (
    GateVerdict as GateVerdict,
)
from missionos.compliance.gating import (
    Regression as Regression,
)
from missionos.compliance.gating import (
    accept_baseline as accept_baseline,
)
from missionos.compliance.gating import (
    accepted_baseline as accepted_baseline,
)
from missionos.compliance.gating import (
    compare as compare,
)
from missionos.compliance.gating import (
    compare_findings as compare_findings,
)
from missionos.compliance.gating import (
    drift as drift,
)
from missionos.compliance.gating import (
    finding_snapshot as finding_snapshot,
)
from missionos.compliance.gating import (
    gate as gate,
)
from missionos.compliance.gating import (
    set_threshold as set_threshold,
)
from missionos.compliance.oscal_files import (
    assessed_files as assessed_files,
)
from missionos.compliance.oscal_files import (
    latest_files as latest_files,
)
from missionos.compliance.oscal_files import (
    oscal_files as oscal_files,
)
from missionos.compliance.oscal_files import (
    oscal_package as oscal_package,
)
from missionos.compliance.systems import (
    SystemInfo as SystemInfo,
)
from missionos.compliance.systems import (
    define_system as define_system,
)
from missionos.compliance.systems import (
    get_system as get_system,
)
from missionos.compliance.systems import (
    list_systems as list_systems,
)
from missionos.compliance.systems import (
    remediation_spans as remediation_spans,
)
from missionos.compliance.systems import (
    set_trust_policy as set_trust_policy,
)
from missionos.compliance.systems import (
    span_days as span_days,
)
from missionos.errors import ConflictError as ConflictError

__all__ = [
    "DERIVED_KINDS",
    "STATUSES",
    "STATUS_KEYS",
    "Assessed",
    "BaselineInfo",
    "ConflictError",
    "EvidenceInfo",
    "GateVerdict",
    "RevisionEvidence",
    "StoredAssessment",
    "SystemInfo",
    "accept_baseline",
    "accepted_baseline",
    "add_evidence",
    "add_evidence_batch",
    "assess_system",
    "assessed_files",
    "attest",
    "compare",
    "controls",
    "define_system",
    "derived_evidence",
    "evidence_kinds",
    "forget_assessments",
    "freshness",
    "gate",
    "get_evidence",
    "get_system",
    "history",
    "latest",
    "latest_files",
    "list_evidence",
    "list_systems",
    "poam_items",
    "revision_evidence",
    "set_threshold",
    "set_trust_policy",
]
