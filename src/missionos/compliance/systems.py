"""The systems under assessment: what each is (baseline, services, provider, mapping pack, remediation
limits, leveraged authorization) and who may build and sign its artifacts."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionos.accounts import audit
from missionos.compliance.assess import LeveragedAuthorization, SystemSpec
from missionos.compliance.catalog import load_baseline
from missionos.compliance.models import System
from missionos.compliance.pack import SEVERITY_DEFAULTS
from missionos.compliance.pack_file import pack_for
from missionos.compliance.trust import TrustPolicy
from missionos.errors import FieldError, NotFoundError


@dataclass(frozen=True)
class SystemInfo:
    name: str
    description: str
    baseline: str
    services: tuple[str, ...]
    provider: str | None
    pack: str | None
    remediation_days: dict[str, int] | None = None  # where the system differs from its pack
    authorization: LeveragedAuthorization | None = None
    trust_policy: TrustPolicy | None = None

    def spec(self) -> SystemSpec:
        return SystemSpec(
            self.name,
            self.services,
            self.provider,
            remediation_days=self.remediation_days,
            authorization=self.authorization,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "baseline": self.baseline,
            "services": list(self.services),
            "provider": self.provider,
            "pack": self.pack,
            "remediation_days": self.remediation_days,
            "provider_authorization": self.authorization.as_dict() if self.authorization else None,
            "trust_policy": self.trust_policy.as_dict() if self.trust_policy else None,
        }


def _info(row: System) -> SystemInfo:
    lev = row.provider_authorization
    return SystemInfo(
        row.name,
        row.description,
        row.baseline,
        tuple(row.services),
        row.provider,
        row.pack,
        dict(row.remediation_days) if row.remediation_days else None,
        LeveragedAuthorization(lev["title"], dt.date.fromisoformat(lev["date_authorized"])) if lev else None,
        TrustPolicy.from_dict(row.trust_policy),
    )


def span_days(text: str, *, field: str) -> int:
    """Days in a span such as `30d`, `12w` or `1y` (how long evidence or an attestation stays valid)."""
    match = re.fullmatch(r"(\d+)([dwy])", text.strip())
    if not match or int(match.group(1)) == 0:
        raise FieldError(field, "a positive span such as 30d, 12w or 1y")
    return int(match.group(1)) * {"d": 1, "w": 7, "y": 365}[match.group(2)]


def remediation_spans(values: Sequence[str]) -> dict[str, int]:
    """`severity=span` settings such as `high=15d` (from `--remediation`), as days per severity."""
    out: dict[str, int] = {}
    for value in values:
        severity, eq, span = value.partition("=")
        severity = severity.strip().lower()
        if not eq or severity not in SEVERITY_DEFAULTS:
            raise FieldError(
                "--remediation",
                f"severity=span with a severity of {', '.join(SEVERITY_DEFAULTS)}, "
                f"e.g. high=15d (not {value!r})",
            )
        out[severity] = span_days(span, field=f"--remediation {severity}")
    return out


def define_system(
    session: Session,
    name: str,
    *,
    baseline: str = "moderate",
    services: Sequence[str] = (),
    provider: str | None = None,
    description: str = "",
    pack: str | None = None,
    remediation_days: dict[str, int] | None = None,
    authorization: LeveragedAuthorization | None = None,
    actor: str,
) -> SystemInfo:
    """Create or update the system `name` (idempotent, audited as `actor`); the baseline and pack are checked
    before storing.
    `remediation_days` sets the days a finding of a severity may stay open, where the system differs from
    its pack (FedRAMP's defaults otherwise). `authorization` is the provider's leveraged authorization,
    without which inherited controls are not relied on."""
    if not name.strip():
        raise FieldError("name", "a system name")
    if authorization is not None and not provider:
        raise FieldError("--provider-authorization", "a --provider whose authorization it is")
    load_baseline(baseline)
    if pack:
        pack_for(pack)
    row = session.scalar(select(System).where(System.name == name))
    before = _info(row).as_dict() if row is not None else None
    if row is None:
        row = System(name=name)
        session.add(row)
    row.baseline = baseline.lower() if Path(baseline).suffix == "" else baseline
    row.services = sorted(dict.fromkeys(services))
    row.provider = provider or None
    row.description = description
    row.pack = pack
    row.remediation_days = dict(remediation_days) if remediation_days else None
    row.provider_authorization = authorization.as_dict() if authorization else None
    session.flush()
    info = _info(row)
    if before != info.as_dict():
        audit.record(
            session,
            actor=actor,
            action="create" if before is None else "update",
            kind="compliance.system",
            key=name,
            before=before,
            after=info.as_dict(),
        )
    return info


def set_trust_policy(session: Session, name: str, found: TrustPolicy, *, actor: str) -> dict[str, Any]:
    """Store who may build and sign system `name`'s artifacts (audited as `actor`); returns the policy before
    and after."""
    row = _system_row(session, name)
    before = row.trust_policy
    row.trust_policy = found.as_dict()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="update",
        kind="compliance.trust_policy",
        key=name,
        before=before,
        after=row.trust_policy,
    )
    return {"before": before, "after": row.trust_policy}


def _system_row(session: Session, name: str) -> System:
    row = session.scalar(select(System).where(System.name == name))
    if row is None:
        raise NotFoundError("system", name)
    return row


def get_system(session: Session, name: str) -> SystemInfo:
    return _info(_system_row(session, name))


def list_systems(session: Session) -> list[SystemInfo]:
    return [_info(r) for r in session.scalars(select(System).order_by(System.name))]
