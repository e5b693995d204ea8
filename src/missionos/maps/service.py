"""Strategic maps: save a map's text as a new version (parsed first, so a bad map stores nothing), read any
version back, and draw it. Every save records its audit entry in the caller's transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from missionos import safeload
from missionos.accounts import audit
from missionos.errors import FieldError, InputError, NotFoundError
from missionos.maps import domain, owm, render
from missionos.maps.models import Map, MapVersion

KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
KINDS = ("wardley", "domain")
MAX_BYTES = 1_000_000


@dataclass(frozen=True)
class MapSummary:
    key: str
    kind: str
    title: str
    plan: str | None
    version: int
    rationale: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "title": self.title,
            "plan": self.plan,
            "version": self.version,
            "rationale": self.rationale,
        }


@dataclass(frozen=True)
class MapView:
    summary: MapSummary
    source: str
    parsed: owm.WardleyMap | domain.DomainMap
    history: list[dict[str, Any]]

    def svg(self) -> str:
        if isinstance(self.parsed, owm.WardleyMap):
            return render.wardley_svg(self.parsed)
        return render.domain_svg(self.parsed)

    def mermaid(self) -> str:
        if isinstance(self.parsed, owm.WardleyMap):
            return render.wardley_mermaid(self.parsed)
        return render.domain_mermaid(self.parsed)

    def description(self) -> str:
        if isinstance(self.parsed, owm.WardleyMap):
            return render.describe_wardley(self.parsed)
        return render.describe_domain(self.parsed)

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.summary.as_dict(),
            "map": self.parsed.as_dict(),
            "source": self.source,
            "history": self.history,
        }


def kind_of(path: Path) -> str:
    """A map file's kind from its name: `.owm`, `.wm`, `.txt` for Wardley, `.yaml`, `.json` for domain."""
    suffix = path.suffix.lower()
    if suffix in (".owm", ".wm", ".txt"):
        return "wardley"
    if suffix in (".yaml", ".yml", ".json"):
        return "domain"
    raise FieldError("--kind", "wardley or domain (the file's extension does not say which)")


def parse(kind: str, source: str, *, where: str | None = None) -> owm.WardleyMap | domain.DomainMap:
    """The map in `source`, or an `InputError` naming each problem."""
    if len(source.encode("utf-8")) > MAX_BYTES:
        raise InputError(f"expected a map of at most {MAX_BYTES:,} bytes", source=where)
    if kind == "wardley":
        return owm.parse(source, source=where)
    if kind == "domain":
        import yaml

        try:
            doc = safeload.load(source, source=where or "map")
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise InputError(
                "expected YAML", source=where, line=mark.line + 1 if mark is not None else None
            ) from None
        return domain.read(doc, source=where)
    raise FieldError("kind", f"one of {', '.join(KINDS)}")


def read_file(path: Path) -> str:
    return safeload.read_text(path, what="a readable map file", limit=MAX_BYTES)


def save(
    session: Session,
    key: str,
    kind: str,
    source: str,
    *,
    actor: str,
    plan: str | None = None,
    rationale: str = "",
    where: str | None = None,
) -> tuple[int, bool]:
    """Save `source` as the map's next version; returns (version, whether it changed anything)."""
    if not KEY.fullmatch(key):
        raise FieldError(
            "key", "a key of lower-case letters, digits, '.', '_' or '-', e.g. benefits-landscape"
        )
    parsed = parse(kind, source, where=where)
    row = session.scalars(select(Map).where(Map.key == key)).one_or_none()
    if row is not None and row.kind != kind:
        raise FieldError("kind", f"{row.kind}, the kind of the map {key!r} already saved")
    if row is None:
        row = Map(key=key, kind=kind, title=parsed.title, plan=plan)
        session.add(row)
        session.flush()
    latest = session.scalars(
        select(MapVersion).where(MapVersion.map_id == row.id).order_by(MapVersion.number.desc()).limit(1)
    ).one_or_none()
    if latest is not None and latest.source == source and (plan is None or plan == row.plan):
        return latest.number, False
    number = (latest.number if latest else 0) + 1
    row.title = parsed.title
    if plan is not None:
        row.plan = plan
    session.add(MapVersion(map_id=row.id, number=number, source=source, rationale=rationale, actor=actor))
    session.flush()
    audit.record(
        session, actor=actor, action="maps.save", kind=f"{kind}-map", key=key,
        before={"version": latest.number} if latest else None,
        after={"version": number, "rationale": rationale, "plan": row.plan},
    )  # fmt: skip
    return number, True


def list_maps(session: Session, *, plan: str | None = None) -> list[MapSummary]:
    latest = (
        select(MapVersion.map_id, func.max(MapVersion.number).label("number"))
        .group_by(MapVersion.map_id)
        .subquery()
    )
    query = (
        select(Map, MapVersion)
        .join(latest, latest.c.map_id == Map.id)
        .join(MapVersion, (MapVersion.map_id == Map.id) & (MapVersion.number == latest.c.number))
        .order_by(Map.key)
    )
    if plan:
        query = query.where(Map.plan == plan)
    return [
        MapSummary(m.key, m.kind, m.title, m.plan, v.number, v.rationale)
        for m, v in session.execute(query).all()
    ]


def get(session: Session, key: str, *, version: int | None = None) -> MapView:
    """A map at its latest version (or `version`), parsed, with its history newest first."""
    row = session.scalars(select(Map).where(Map.key == key)).one_or_none()
    if row is None:
        raise NotFoundError("map", key)
    versions = list(
        session.scalars(
            select(MapVersion).where(MapVersion.map_id == row.id).order_by(MapVersion.number.desc())
        )
    )
    chosen = versions[0] if version is None else next((v for v in versions if v.number == version), None)
    if chosen is None:
        raise NotFoundError("version of map " + key, str(version))
    history = [
        {"version": v.number, "rationale": v.rationale, "actor": v.actor, "at": v.created_at.isoformat()}
        for v in versions
    ]
    summary = MapSummary(row.key, row.kind, row.title, row.plan, chosen.number, chosen.rationale)
    return MapView(summary, chosen.source, parse(row.kind, chosen.source), history)


__all__ = ["KINDS", "MapSummary", "MapView", "get", "kind_of", "list_maps", "parse", "read_file", "save"]
