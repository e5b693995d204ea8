"""Checking a platform document: its sections, names and dates, read whole with every problem found.

`check_document` turns a document (from YAML or JSON, `read_platform_file` and `parse_text`) into offers,
teams' needs and deployment bindings, or lists each problem with its field path; `PlatformInvalid` carries
them, each with its line. It reads nothing stored: what delivery knows of deployments and what compliance
knows of evidence kinds are handed in.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from missionos import safeload
from missionos.errors import FieldError
from missionos.platform.verification import LANGUAGE_PURLS, OfferSpec
from missionos.times import read_iso

# The document's sections for each kind of offer or need.
SECTIONS = {"languages": "language", "services": "service", "zones": "zone", "stages": "stage"}
TOP = ("platform", "offers", "teams", "bindings")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .+#_/-]{0,199}$")
PURL_TYPE = re.compile(r"^[a-z][a-z0-9.+-]{0,49}$")
MAX_BYTES = 5_000_000

FieldPath = tuple[str | int, ...]


class PlatformInvalid(FieldError):
    """A platform document with problems; lists every one with its line, the first as the field."""

    def __init__(self, problems: Sequence[tuple[str, str, int | None]], *, source: str | None = None) -> None:
        field_path, expected, line = problems[0]
        super().__init__(field_path, expected, source=_at(source, line))
        self.problems = list(problems)
        self.document = source

    def __str__(self) -> str:
        out = []
        for path, expected, line in self.problems:
            where = _at(self.document, line)
            out.append(f"{where + ': ' if where else ''}{path}: expected {expected}")
        return "\n".join(out)


def _at(source: str | None, line: int | None) -> str | None:
    if source and line is not None:
        return f"{source}:{line}"
    return source


def format_path(path: FieldPath) -> str:
    """`("offers", "stages", 1, "evidence")` -> `offers.stages[1].evidence`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


# --- the document -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamIn:
    team: str
    created: dt.datetime | None
    probe: str | None
    needs: dict[str, list[str]]


@dataclass(frozen=True)
class BindingIn:
    service: str
    deployment: str
    zone: str | None
    services: tuple[str, ...]


@dataclass(frozen=True)
class Checked:
    offers: list[OfferSpec]
    teams: list[TeamIn]
    bindings: list[BindingIn]


class _Problems:
    def __init__(self) -> None:
        self.found: list[tuple[FieldPath, str]] = []

    def add(self, path: FieldPath, expected: str) -> None:
        self.found.append((path, expected))


def _name(value: Any, path: FieldPath, problems: _Problems, what: str) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        problems.add(path, f"{what}: a name of letters, digits, spaces or . + # _ / -")
        return None
    text = str(value).strip()
    if not NAME.fullmatch(text):
        problems.add(path, f"{what}: a name of letters, digits, spaces or . + # _ / -")
        return None
    return text


def _moment(value: Any, path: FieldPath, problems: _Problems) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), dt.UTC)
    elif isinstance(value, str):
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
                return dt.datetime.combine(dt.date.fromisoformat(value.strip()), dt.time(), dt.UTC)
            moment = read_iso(value.strip())
        except ValueError:
            problems.add(path, "an ISO 8601 date, e.g. 2026-06-01")
            return None
    else:
        problems.add(path, "an ISO 8601 date, e.g. 2026-06-01")
        return None
    if moment.tzinfo is None:
        problems.add(path, "a time with a UTC offset, e.g. 2026-06-01T09:00:00+00:00")
        return None
    return moment.astimezone(dt.UTC)


def _unknown(doc: dict[str, Any], allowed: Sequence[str], path: FieldPath, problems: _Problems) -> None:
    for key in doc:
        if key not in allowed:
            problems.add((*path, str(key)), f"one of the fields {', '.join(allowed)}")


def _offer(
    entry: Any, kind: str, path: FieldPath, platform: str, kinds: Sequence[str], problems: _Problems
) -> OfferSpec | None:
    if not isinstance(entry, dict):
        entry = {"name": entry}
    allowed = {
        "language": ("name", "description", "purl"),
        "stage": ("name", "description", "evidence"),
    }.get(kind, ("name", "description"))
    _unknown(entry, allowed, path, problems)
    name = _name(entry.get("name"), (*path, "name"), problems, f"the {kind}'s name")
    description = entry.get("description", "")
    if not isinstance(description, str) or len(description) > 2000:
        problems.add((*path, "description"), "a text of at most 2000 characters")
        description = ""
    proof: tuple[str, ...] = ()
    if kind == "language" and name is not None:
        declared = entry.get("purl")
        if declared is None:
            proof = LANGUAGE_PURLS.get(name.lower(), ())
            if not proof:
                known = ", ".join(sorted(LANGUAGE_PURLS))
                problems.add(
                    (*path, "purl"),
                    f"the purl type(s) that show {name} in an SBOM, e.g. purl: [pypi] "
                    f"(known without it: {known})",
                )
        else:
            listed = [declared] if isinstance(declared, str) else declared
            if (
                not isinstance(listed, list)
                or not listed
                or not all(isinstance(t, str) and PURL_TYPE.fullmatch(t) for t in listed)
            ):
                problems.add((*path, "purl"), "a purl type or a list of them, e.g. pypi or [npm]")
            else:
                proof = tuple(listed)
    if kind == "stage":
        evidence = entry.get("evidence")
        listed = [evidence] if isinstance(evidence, str) else evidence
        if not isinstance(listed, list) or not listed or not all(e in kinds for e in listed):
            problems.add(
                (*path, "evidence"),
                f"the kind of evidence that shows the stage ran, one or a list of {', '.join(kinds)}",
            )
        else:
            proof = tuple(str(e) for e in listed)
    if name is None:
        return None
    return OfferSpec(kind, name, platform, description.strip(), proof)


def _names(value: Any, path: FieldPath, problems: _Problems, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(path, f"a list of {what} names")
        return []
    out = []
    for i, item in enumerate(value):
        name = _name(item, (*path, i), problems, what)
        if name is not None and name not in out:
            out.append(name)
    return out


def _team(entry: Any, path: FieldPath, problems: _Problems) -> TeamIn | None:
    if not isinstance(entry, dict):
        problems.add(path, "a team: {team, created, probe, needs}")
        return None
    _unknown(entry, ("team", "created", "probe", "needs"), path, problems)
    team = _name(entry.get("team"), (*path, "team"), problems, "the team's name")
    created = _moment(entry["created"], (*path, "created"), problems) if "created" in entry else None
    probe = None
    if entry.get("probe") is not None:
        probe = _name(entry.get("probe"), (*path, "probe"), problems, "the hello-world service's name")
    raw = entry.get("needs") or {}
    needs: dict[str, list[str]] = {}
    if not isinstance(raw, dict):
        problems.add((*path, "needs"), f"a mapping of {', '.join(SECTIONS)} to lists of names")
    else:
        _unknown(raw, tuple(SECTIONS), (*path, "needs"), problems)
        for section, kind in SECTIONS.items():
            names = _names(raw.get(section), (*path, "needs", section), problems, kind)
            if names:
                needs[kind] = names
    return None if team is None else TeamIn(team, created, probe, needs)


def _binding(
    entry: Any, path: FieldPath, problems: _Problems, deployed: Callable[[str], set[str] | None]
) -> BindingIn | None:
    if not isinstance(entry, dict):
        problems.add(path, "a binding: {service, deployment, zone, services}")
        return None
    _unknown(entry, ("service", "deployment", "zone", "services"), path, problems)
    service = _name(entry.get("service"), (*path, "service"), problems, "the deployed service's name")
    deployment = entry.get("deployment")
    if isinstance(deployment, int) and not isinstance(deployment, bool):
        deployment = str(deployment)
    if not isinstance(deployment, str) or not deployment.strip() or len(deployment) > 200:
        problems.add((*path, "deployment"), "the id of the deployment, as delivery records it")
        deployment = None
    zone = None
    if entry.get("zone") is not None:
        zone = _name(entry.get("zone"), (*path, "zone"), problems, "the network zone")
    bound = _names(entry.get("services"), (*path, "services"), problems, "backing service")
    if service is not None and deployment is not None:
        ids = deployed(service)
        if ids is None:
            problems.add((*path, "service"), f"a service delivery knows; there is none named {service!r}")
            return None
        if deployment.strip() not in ids:
            problems.add(
                (*path, "deployment"),
                f"a successful production deployment of {service}; "
                f"there is none with id {deployment.strip()!r}",
            )
            return None
        return BindingIn(service, deployment.strip(), zone, tuple(bound))
    return None


def check_document(
    doc: Any, *, deployed: Callable[[str], set[str] | None], evidence_kinds: Sequence[str]
) -> tuple[Checked, list[tuple[FieldPath, str]]]:
    """`doc` as offers, teams and bindings, with every problem found (path, expected).

    `deployed(service)` gives the ids of the service's successful production deployments (None: the service
    is unknown); `evidence_kinds` are the kinds a stage may name as its proof."""
    problems = _Problems()
    empty = Checked([], [], [])
    if not isinstance(doc, dict):
        problems.add((), f"a mapping with any of {', '.join(TOP)}")
        return empty, problems.found
    _unknown(doc, TOP, (), problems)
    platform = doc.get("platform", "platform")
    if not isinstance(platform, str) or not NAME.fullmatch(platform.strip()):
        problems.add(("platform",), "the platform's name")
        platform = "platform"
    offers: list[OfferSpec] = []
    raw_offers = doc.get("offers") or {}
    if not isinstance(raw_offers, dict):
        problems.add(("offers",), f"a mapping of {', '.join(SECTIONS)} to lists of offers")
        raw_offers = {}
    _unknown(raw_offers, tuple(SECTIONS), ("offers",), problems)
    for section, kind in SECTIONS.items():
        entries = raw_offers.get(section) or []
        if not isinstance(entries, list):
            problems.add(("offers", section), f"a list of {kind} offers")
            continue
        seen: set[str] = set()
        for i, entry in enumerate(entries):
            offer = _offer(entry, kind, ("offers", section, i), platform.strip(), evidence_kinds, problems)
            if offer is None:
                continue
            if offer.name in seen:
                problems.add(("offers", section, i, "name"), f"a {kind} named once; {offer.name!r} repeats")
            seen.add(offer.name)
            offers.append(offer)
    teams: list[TeamIn] = []
    raw_teams = doc.get("teams") or []
    if not isinstance(raw_teams, list):
        problems.add(("teams",), "a list of teams and their needs")
        raw_teams = []
    for i, entry in enumerate(raw_teams):
        team = _team(entry, ("teams", i), problems)
        if team is not None:
            if any(t.team == team.team for t in teams):
                problems.add(("teams", i, "team"), f"a team named once; {team.team!r} repeats")
            teams.append(team)
    bindings: list[BindingIn] = []
    raw_bindings = doc.get("bindings") or []
    if not isinstance(raw_bindings, list):
        problems.add(("bindings",), "a list of deployment bindings")
        raw_bindings = []
    for i, entry in enumerate(raw_bindings):
        binding = _binding(entry, ("bindings", i), problems, deployed)
        if binding is not None:
            if any((b.service, b.deployment) == (binding.service, binding.deployment) for b in bindings):
                problems.add(("bindings", i, "deployment"), "a deployment bound once in a document")
            bindings.append(binding)
    return Checked(offers, teams, bindings), problems.found


def read_platform_file(path: Path) -> tuple[Any, yaml.Node | None]:
    """The document of a platform file (YAML or JSON) and its node tree (for line numbers)."""
    text = safeload.read_text(path, what="a readable platform file (YAML or JSON)", limit=MAX_BYTES)
    return parse_text(text, source=str(path))


def parse_text(text: str, *, source: str) -> tuple[Any, yaml.Node | None]:
    """YAML (or JSON) text as a document and its node tree; bad YAML names its line."""
    return safeload.load_document(text, source=source, expected="YAML or JSON")
