"""Verified platform capabilities: record what a platform advertises, what each team needs and what each
production deployment was bound to; report which offers production has proven and what each team waits for.

The façade: each subject lives in its own module, and every public name is re-exported here.
- `document`: checking a platform document (YAML or JSON) whole, every problem with its line;
- `apply`: storing it whole or not at all, each write audited in the caller's transaction; withdrawing;
- `overviews`: what production deployments used, the offers each verified or not, and each team's path;
- `verification`: the rules that verify offers and measure teams' gaps, pure functions over plain records.
Deployments are read through the delivery context's service, SBOM purls and evidence kinds through the
compliance context's service.
"""

from __future__ import annotations

from missionos.platform.apply import advertise as advertise
from missionos.platform.apply import apply_document as apply_document
from missionos.platform.apply import check as check
from missionos.platform.apply import declare_needs as declare_needs
from missionos.platform.apply import record_binding as record_binding
from missionos.platform.apply import withdraw as withdraw
from missionos.platform.document import MAX_BYTES as MAX_BYTES
from missionos.platform.document import NAME as NAME
from missionos.platform.document import PURL_TYPE as PURL_TYPE
from missionos.platform.document import SECTIONS as SECTIONS
from missionos.platform.document import TOP as TOP
from missionos.platform.document import BindingIn as BindingIn
from missionos.platform.document import Checked as Checked
from missionos.platform.document import FieldPath as FieldPath
from missionos.platform.document import PlatformInvalid as PlatformInvalid
from missionos.platform.document import TeamIn as TeamIn
from missionos.platform.document import check_document as check_document
from missionos.platform.document import format_path as format_path
from missionos.platform.document import parse_text as parse_text
from missionos.platform.document import read_platform_file as read_platform_file
from missionos.platform.overviews import EPOCH as EPOCH
from missionos.platform.overviews import Overview as Overview
from missionos.platform.overviews import offers as offers
from missionos.platform.overviews import overview as overview
from missionos.platform.overviews import production_uses as production_uses
from missionos.platform.overviews import team as team

__all__ = [
    "SECTIONS",
    "Overview",
    "PlatformInvalid",
    "advertise",
    "apply_document",
    "check",
    "check_document",
    "declare_needs",
    "offers",
    "overview",
    "parse_text",
    "production_uses",
    "read_platform_file",
    "record_binding",
    "team",
    "withdraw",
]
