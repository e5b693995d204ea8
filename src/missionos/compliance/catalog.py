"""Control catalogs and baselines: the NIST SP 800-53 rev5 content shipped as package data, or any OSCAL file.

The package data carries the catalog (release 5.2.0, with the SP 800-53A assessment objectives) and the four
SP 800-53B baseline profiles. `PROVENANCE.json` records where each file came from and its SHA-256; every read
verifies the hash, so altered content is refused rather than assessed against.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from missionos import safeload
from missionos.errors import FieldError, InputError, NotFoundError

DATA = Path(__file__).resolve().parent / "data"
BASELINES = ("low", "moderate", "high", "privacy")


@dataclass(frozen=True)
class Objective:
    """One SP 800-53A assessment objective (`CM-03b.[01]`) of a control."""

    label: str
    prose: str


@dataclass(frozen=True)
class Control:
    """A control or control enhancement of a catalog."""

    id: str  # OSCAL id, lower case: "cm-3", "ac-2.1"
    label: str  # as people write it: "CM-3", "AC-2(1)"
    title: str
    family: str  # group id: "cm"
    family_title: str
    statement: str
    objectives: tuple[Objective, ...] = ()


@dataclass(frozen=True)
class Catalog:
    """A flattened catalog: controls in catalog order, indexed by id."""

    title: str
    version: str
    uuid: str
    controls: tuple[Control, ...]
    families: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {c.id: c for c in self.controls})

    def get(self, control_id: str) -> Control:
        found: Control | None = self._by_id.get(control_id.lower())  # type: ignore[attr-defined]
        if found is None:
            raise NotFoundError("control", control_id)
        return found

    def __contains__(self, control_id: object) -> bool:
        return isinstance(control_id, str) and control_id.lower() in self._by_id  # type: ignore[attr-defined]

    def select(self, ids: Iterable[str]) -> Catalog:
        """The sub-catalog of `ids`, kept in catalog order."""
        wanted = {i.lower() for i in ids}
        missing = wanted - set(self._by_id)  # type: ignore[attr-defined]
        if missing:
            raise InputError(f"controls not in the catalog {self.title!r}: {', '.join(sorted(missing))}")
        return Catalog(
            self.title,
            self.version,
            self.uuid,
            tuple(c for c in self.controls if c.id in wanted),
            self.families,
        )


@dataclass(frozen=True)
class Baseline:
    """A profile resolved against its catalog: the controls a system on this baseline must meet."""

    name: str
    title: str
    profile_uuid: str
    catalog: Catalog

    @property
    def controls(self) -> tuple[Control, ...]:
        return self.catalog.controls


# -- package data with provenance ------------------------------------------------------------------------


class ProvenanceError(InputError):
    """A package-data file does not match the SHA-256 recorded in its provenance."""


@cache
def provenance() -> dict[str, Any]:
    """The provenance record of the package data (source, licence and SHA-256 of each file)."""
    doc: dict[str, Any] = json.loads((DATA / "PROVENANCE.json").read_text())
    return doc


def read_verified(name: str) -> bytes:
    """The bytes of package-data file `name`, after checking them against the recorded SHA-256."""
    expected = provenance()["sha256"].get(name)
    if expected is None:
        raise ProvenanceError("no provenance recorded for this file", source=name)
    raw = (DATA / name).read_bytes()
    actual = hashlib.sha256(raw).hexdigest()
    if actual != expected:
        raise ProvenanceError(
            f"SHA-256 is {actual}, provenance records {expected}; the shipped content was altered",
            source=str(DATA / name),
        )
    return raw


@cache
def nist_catalog() -> Catalog:
    """The NIST SP 800-53 rev5 catalog shipped with Mission OS (hash-verified)."""
    return parse_catalog(json.loads(read_verified("catalog.min.json")), source="catalog.min.json")


@cache
def baseline(name: str) -> Baseline:
    """One of the shipped SP 800-53B baselines (`low`, `moderate`, `high`, `privacy`), resolved."""
    key = name.lower()
    if key not in BASELINES:
        raise FieldError("baseline", f"one of {', '.join(BASELINES)}, or an OSCAL profile file")
    file = f"{key.upper()}-baseline-profile.min.json"
    doc = json.loads(read_verified(file))
    return resolve_profile(doc, nist_catalog(), name=key, source=file)


def load_baseline(spec: str) -> Baseline:
    """A shipped baseline by name, or an OSCAL profile or catalog read from a file path."""
    if spec.lower() in BASELINES:
        return baseline(spec)
    path = Path(spec)
    if not path.is_file():
        raise FieldError(
            "baseline", f"one of {', '.join(BASELINES)}, or the path of an OSCAL profile/catalog"
        )
    doc = _read_json(path)
    if "profile" in doc:
        return resolve_profile(doc, _import_catalog(doc, path), name=path.stem, source=str(path))
    if "catalog" in doc:
        cat = parse_catalog(doc, source=str(path))
        return Baseline(path.stem, cat.title, cat.uuid, cat)
    raise InputError(
        "expected an OSCAL catalog or profile (top-level 'catalog' or 'profile')", source=str(path)
    )


PACKAGE_CATALOG = "catalog.json"  # the catalog's file name in an OSCAL package, beside the profile


def baseline_package(spec: str) -> tuple[dict[str, Any], bytes]:
    """The baseline `spec` as an OSCAL package carries it: its profile, whose import names `catalog.json`, and
    the bytes of that catalog (the shipped NIST files, or the files the path names; a bare catalog gets a
    profile that includes all of it)."""
    if spec.lower() in BASELINES:
        profile = json.loads(read_verified(f"{spec.upper()}-baseline-profile.min.json"))
        return _import_beside(profile), read_verified("catalog.min.json")
    path = Path(spec)
    doc = _read_json(path)
    if "catalog" in doc:
        body = doc["catalog"]
        generated = {
            "profile": {
                "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"missionos:profile:{body.get('uuid')}")),
                "metadata": {
                    "title": f"All of {body.get('metadata', {}).get('title', path.stem)}",
                    "last-modified": body.get("metadata", {}).get("last-modified", "2000-01-01T00:00:00Z"),
                    "version": str(body.get("metadata", {}).get("version", "1")),
                    "oscal-version": str(body.get("metadata", {}).get("oscal-version", "1.2.1")),
                },
                "imports": [{"href": PACKAGE_CATALOG, "include-all": {}}],
            }
        }
        return generated, path.read_bytes()
    if "profile" not in doc:
        raise InputError(
            "expected an OSCAL catalog or profile (top-level 'catalog' or 'profile')", source=str(path)
        )
    found = _catalog_path(doc, path)
    return _import_beside(doc), found.read_bytes() if found else read_verified("catalog.min.json")


def _import_beside(profile: dict[str, Any]) -> dict[str, Any]:
    """`profile` with its first import pointed at `catalog.json`, and the back-matter resource that the
    import named (links to where the profile once sat) dropped."""
    body = dict(profile["profile"])
    imports = [dict(i) for i in body.get("imports") or [{}]]
    old = str(imports[0].get("href", ""))
    imports[0]["href"] = PACKAGE_CATALOG
    body["imports"] = imports[:1]
    if old.startswith("#") and isinstance(body.get("back-matter"), dict):
        resources = [r for r in body["back-matter"].get("resources", []) if r.get("uuid") != old[1:]]
        body["back-matter"] = {**body["back-matter"], "resources": resources}
        if not resources:
            del body["back-matter"]
    return {"profile": body}


def _catalog_path(doc: Mapping[str, Any], path: Path) -> Path | None:
    """The catalog file beside a profile that its first import names (None: the shipped NIST catalog)."""
    href = str((doc["profile"].get("imports") or [{}])[0].get("href", ""))
    targets = [href]
    if href.startswith("#"):
        resources = doc["profile"].get("back-matter", {}).get("resources", [])
        res: Mapping[str, Any] = next((r for r in resources if r.get("uuid") == href[1:]), {})
        targets = [str(link.get("href", "")) for link in res.get("rlinks", [])]
    for target in targets:
        candidate = (path.parent / target).resolve()
        if target.endswith(".json") and candidate.is_file():
            return candidate
    return None


def load_catalog_file(path: Path) -> Catalog:
    """An OSCAL catalog (JSON) from a file."""
    doc = _read_json(path)
    if "catalog" not in doc:
        raise InputError("expected an OSCAL catalog (top-level 'catalog')", source=str(path))
    return parse_catalog(doc, source=str(path))


def _read_json(path: Path) -> dict[str, Any]:
    try:
        doc = safeload.loads_json(path.read_bytes(), source=str(path))
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", source=str(path), line=exc.lineno) from None
    if not isinstance(doc, dict):
        raise InputError("expected a JSON object", source=str(path))
    return doc


def _import_catalog(doc: Mapping[str, Any], path: Path) -> Catalog:
    """The catalog a profile imports: a file beside it, or the NIST catalog when it names SP 800-53 rev5."""
    imports = doc["profile"].get("imports") or []
    if not imports:
        raise FieldError("profile.imports", "at least one import", source=str(path))
    href = str(imports[0].get("href", ""))
    targets = [href]
    if href.startswith("#"):
        resources = doc["profile"].get("back-matter", {}).get("resources", [])
        res = next((r for r in resources if r.get("uuid") == href[1:]), None)
        if res is None:
            raise FieldError("profile.imports[0].href", "a back-matter resource uuid", source=str(path))
        targets = [str(link.get("href", "")) for link in res.get("rlinks", [])]
    for target in targets:
        candidate = (path.parent / target).resolve()
        if target.endswith(".json") and candidate.is_file():
            return load_catalog_file(candidate)
    if any(re.search(r"800-53.?rev5|SP800-53/rev5", t) for t in targets):
        return nist_catalog()
    raise InputError(f"cannot find the imported catalog {href!r} beside the profile", source=str(path))


# -- parsing -----------------------------------------------------------------------------------------------


def _label(item: Mapping[str, Any], *, cls: str | None = None) -> str | None:
    for prop in item.get("props", ()):
        if prop.get("name") == "label" and prop.get("class") == cls:
            return str(prop["value"])
    return None


def _prose(part: Mapping[str, Any], depth: int = 0) -> Iterator[str]:
    label = _label(part)
    text = part.get("prose", "")
    if text or label:
        yield ("  " * depth) + " ".join(x for x in (label, text) if x)
    for sub in part.get("parts", ()):
        yield from _prose(sub, depth + (1 if (text or label) else 0))


_PARAM = re.compile(r"\{\{\s*insert:\s*param,\s*([\w.\-]+)\s*\}\}")


def _objectives(part: Mapping[str, Any]) -> Iterator[Objective]:
    for sub in part.get("parts", ()):
        if sub.get("name") != "assessment-objective":
            continue
        if sub.get("prose"):
            yield Objective(_label(sub, cls="sp800-53a") or _label(sub) or sub.get("id", ""), sub["prose"])
        yield from _objectives(sub)


def _controls(items: Iterable[Mapping[str, Any]], family: str, family_title: str) -> Iterator[Control]:
    for item in items:
        parts = {p.get("name"): p for p in item.get("parts", ())}
        statement = "\n".join(_prose(parts["statement"])) if "statement" in parts else ""
        statement = _PARAM.sub(lambda m: f"[{m.group(1)}]", statement)
        objectives = (
            tuple(_objectives(parts["assessment-objective"])) if "assessment-objective" in parts else ()
        )
        if not objectives and "assessment-objective" in parts and parts["assessment-objective"].get("prose"):
            objectives = (Objective(item["id"].upper(), parts["assessment-objective"]["prose"]),)
        yield Control(
            id=str(item["id"]).lower(),
            label=_label(item) or str(item["id"]).upper(),
            title=str(item.get("title", "")),
            family=family,
            family_title=family_title,
            statement=statement,
            objectives=objectives,
        )
        yield from _controls(item.get("controls", ()), family, family_title)


def parse_catalog(doc: Mapping[str, Any], *, source: str) -> Catalog:
    """Flatten an OSCAL catalog document (groups, controls and enhancements) into a `Catalog`."""
    try:
        body = doc["catalog"]
        controls: list[Control] = []
        families: dict[str, str] = {}
        stack = list(body.get("groups", ()))
        while stack:  # groups may nest (the NIST basic catalog does); families are the groups with ids
            group = stack.pop(0)
            gid = str(group.get("id", "") or group.get("title", ""))
            families[gid] = group.get("title", gid)
            controls.extend(_controls(group.get("controls", ()), gid, families[gid]))
            stack[:0] = group.get("groups", ())
        if body.get("controls"):
            families.setdefault("", "Ungrouped")
            controls.extend(_controls(body["controls"], "", "Ungrouped"))
        return Catalog(
            title=str(body["metadata"]["title"]),
            version=str(body["metadata"].get("version", "")),
            uuid=str(body["uuid"]),
            controls=tuple(controls),
            families=families,
        )
    except (KeyError, TypeError) as exc:
        raise InputError(f"not an OSCAL catalog: missing or malformed {exc}", source=source) from None


def resolve_profile(doc: Mapping[str, Any], catalog: Catalog, *, name: str, source: str) -> Baseline:
    """Resolve a profile's `include-all`, `include-controls` and `exclude-controls` against `catalog`."""
    try:
        body = doc["profile"]
        chosen: set[str] = set()
        for imp in body["imports"]:
            if "include-all" in imp:
                chosen |= {c.id for c in catalog.controls}
            for inc in imp.get("include-controls", ()):
                chosen |= {i.lower() for i in inc.get("with-ids", ())}
            for exc in imp.get("exclude-controls", ()):
                chosen -= {i.lower() for i in exc.get("with-ids", ())}
        title = str(body["metadata"]["title"])
        uuid = str(body["uuid"])
    except (KeyError, TypeError) as exc:
        raise InputError(f"not an OSCAL profile: missing or malformed {exc}", source=source) from None
    return Baseline(name=name, title=title, profile_uuid=uuid, catalog=catalog.select(chosen))
