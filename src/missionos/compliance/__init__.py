"""The `compliance` bounded context (see DESIGN.md).

Its public surface is `__all__`: the names below, each loaded from its subject module on first use (so
importing the package costs nothing), and the public submodules `__all__` lists. Other contexts and the
shells import only these (tests/test_public_surface.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from missionos.surface import lazy_surface

if TYPE_CHECKING:
    from missionos.compliance import oscal as oscal
    from missionos.compliance import pack_oscal as pack_oscal
    from missionos.compliance import trust as trust
    from missionos.compliance.access import require_subject as require_subject
    from missionos.compliance.access import require_system as require_system
    from missionos.compliance.access import visible_systems as visible_systems
    from missionos.compliance.assess import LeveragedAuthorization as LeveragedAuthorization
    from missionos.compliance.assessments import assess_result as assess_result
    from missionos.compliance.assessments import assess_system as assess_system
    from missionos.compliance.assessments import controls as controls
    from missionos.compliance.assessments import history as history
    from missionos.compliance.assessments import latest as latest
    from missionos.compliance.cato import overview_cached as overview_cached
    from missionos.compliance.evidence import check_size as check_size
    from missionos.compliance.evidence import kinds as kinds
    from missionos.compliance.evidence import max_bytes as max_bytes
    from missionos.compliance.evidence_store import RevisionEvidence as RevisionEvidence
    from missionos.compliance.evidence_store import add_evidence as add_evidence
    from missionos.compliance.evidence_store import add_evidence_batch as add_evidence_batch
    from missionos.compliance.evidence_store import add_signing_key as add_signing_key
    from missionos.compliance.evidence_store import attest as attest
    from missionos.compliance.evidence_store import evidence_file as evidence_file
    from missionos.compliance.evidence_store import evidence_kinds as evidence_kinds
    from missionos.compliance.evidence_store import get_evidence as get_evidence
    from missionos.compliance.evidence_store import list_evidence as list_evidence
    from missionos.compliance.evidence_store import list_signing_keys as list_signing_keys
    from missionos.compliance.evidence_store import remove_signing_key as remove_signing_key
    from missionos.compliance.evidence_store import revision_evidence as revision_evidence
    from missionos.compliance.gating import accept_baseline as accept_baseline
    from missionos.compliance.gating import accepted_baseline as accepted_baseline
    from missionos.compliance.gating import gate as gate
    from missionos.compliance.gating import set_threshold as set_threshold
    from missionos.compliance.oscal_files import assessed_files as assessed_files
    from missionos.compliance.oscal_files import latest_files as latest_files
    from missionos.compliance.oscal_files import oscal_package as oscal_package
    from missionos.compliance.pack import default_pack as default_pack
    from missionos.compliance.pack import dump_yaml as dump_yaml
    from missionos.compliance.pack import pack_document as pack_document
    from missionos.compliance.pack_file import pack_for as pack_for
    from missionos.compliance.pack_file import read_pack as read_pack
    from missionos.compliance.service import STATUS_KEYS as STATUS_KEYS
    from missionos.compliance.systems import define_system as define_system
    from missionos.compliance.systems import get_system as get_system
    from missionos.compliance.systems import list_systems as list_systems
    from missionos.compliance.systems import remediation_spans as remediation_spans
    from missionos.compliance.systems import set_trust_policy as set_trust_policy
    from missionos.compliance.systems import span_days as span_days

__all__ = [
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
]

# Where each public name lives (the module, under this package).
_HOMES = {
    "LeveragedAuthorization": "assess",
    "RevisionEvidence": "evidence_store",
    "STATUS_KEYS": "service",
    "accept_baseline": "gating",
    "accepted_baseline": "gating",
    "add_evidence": "evidence_store",
    "add_evidence_batch": "evidence_store",
    "add_signing_key": "evidence_store",
    "assess_result": "assessments",
    "assess_system": "assessments",
    "assessed_files": "oscal_files",
    "attest": "evidence_store",
    "check_size": "evidence",
    "controls": "assessments",
    "default_pack": "pack",
    "define_system": "systems",
    "dump_yaml": "pack",
    "evidence_file": "evidence_store",
    "evidence_kinds": "evidence_store",
    "gate": "gating",
    "get_evidence": "evidence_store",
    "get_system": "systems",
    "history": "assessments",
    "kinds": "evidence",
    "latest": "assessments",
    "latest_files": "oscal_files",
    "list_evidence": "evidence_store",
    "list_signing_keys": "evidence_store",
    "list_systems": "systems",
    "max_bytes": "evidence",
    "oscal_package": "oscal_files",
    "overview_cached": "cato",
    "pack_document": "pack",
    "pack_for": "pack_file",
    "read_pack": "pack_file",
    "remediation_spans": "systems",
    "remove_signing_key": "evidence_store",
    "require_subject": "access",
    "require_system": "access",
    "revision_evidence": "evidence_store",
    "set_threshold": "gating",
    "set_trust_policy": "systems",
    "span_days": "systems",
    "visible_systems": "access",
}
_SUBMODULES: frozenset[str] = frozenset(["oscal", "pack_oscal", "trust"])

__getattr__, __dir__ = lazy_surface(__name__, _HOMES, _SUBMODULES)
