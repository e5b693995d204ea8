"""SPDX SBOMs (kind `spdx`): SPDX 2.x JSON, SPDX 2.x tag-value, and SPDX 3 JSON-LD. The facts are the
document's packages, each with its concluded (else declared) licence.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from missionos.compliance.evidence.common import (
    Parsed,
    as_array,
    as_object,
    as_string,
    load_json,
    parse_time,
    parser,
    sbom_facts,
)
from missionos.errors import FieldError, InputError


def _spdx_package(
    name: str, version: str, purl: str, concluded: str | None, declared: str | None
) -> dict[str, Any]:
    """One SPDX package as the facts keep it: the concluded licence, else the declared one."""
    licence = concluded if concluded not in (None, "", "NOASSERTION", "NONE") else declared
    known = licence not in (None, "", "NOASSERTION", "NONE")
    return {"name": name, "version": version, "purl": purl, "licences": [str(licence)] if known else []}


@parser("spdx")
def parse_spdx(raw: bytes, source: str) -> Parsed:
    """An SPDX 2.x document, JSON or tag-value: its packages and their concluded (else declared) licences."""
    if not raw.lstrip().startswith(b"{"):
        return _parse_spdx_tag_value(raw, source)
    doc = as_object(load_json(raw, source), "$", source)
    if "@graph" in doc or "@context" in doc:
        return _parse_spdx3(doc, source)
    version = as_string(doc.get("spdxVersion"), "spdxVersion", source)
    if not version.startswith("SPDX-2."):
        raise FieldError("spdxVersion", "an SPDX 2.x version such as 'SPDX-2.3'", source=source)
    info = as_object(doc.get("creationInfo"), "creationInfo", source)
    produced = parse_time(info.get("created"), "creationInfo.created", source)
    packages = []
    for i, pkg_ in enumerate(as_array(doc.get("packages", []), "packages", source)):
        pkg = as_object(pkg_, f"packages[{i}]", source)
        purl = next(
            (
                str(ref.get("referenceLocator"))
                for ref in pkg.get("externalRefs", []) or []
                if isinstance(ref, dict) and ref.get("referenceType") == "purl"
            ),
            "",
        )
        packages.append(
            _spdx_package(
                as_string(pkg.get("name"), f"packages[{i}].name", source),
                str(pkg.get("versionInfo", "")),
                purl,
                pkg.get("licenseConcluded"),
                pkg.get("licenseDeclared"),
            )
        )
    return Parsed(sbom_facts("SPDX", version, str(doc.get("name", "")) or None, packages), produced)


SPDX3_CONTEXT = "https://spdx.org/rdf/3."
_SPDX3_NO_LICENCE = ("NoAssertionLicense", "NoneLicense")


def _parse_spdx3(doc: dict[str, Any], source: str) -> Parsed:
    """An SPDX 3.0 JSON-LD document: its `software_Package` elements, each with its concluded (else declared)
    licence, reached through `hasConcludedLicense` / `hasDeclaredLicense` relationships."""
    context = doc.get("@context")
    contexts = context if isinstance(context, list) else [context]
    if not any(isinstance(c, str) and c.startswith(SPDX3_CONTEXT) for c in contexts):
        raise FieldError(
            "@context",
            f"the SPDX 3 JSON-LD context ({SPDX3_CONTEXT}x/spdx-context.jsonld)",
            source=source,
        )
    graph = as_array(doc.get("@graph"), "@graph", source)
    elements: dict[str, dict[str, Any]] = {}
    infos: list[tuple[int, dict[str, Any]]] = []
    for i, item in enumerate(graph):
        el = as_object(item, f"@graph[{i}]", source)
        if not isinstance(el.get("type"), str):
            raise FieldError(f"@graph[{i}].type", "the element's type, e.g. software_Package", source=source)
        key = el.get("spdxId") or el.get("@id")
        if isinstance(key, str):
            elements[key] = el
        if el["type"] == "CreationInfo":
            infos.append((i, el))
    if not infos:
        raise FieldError("@graph", "a CreationInfo element with specVersion and created", source=source)
    i, info = infos[0]
    version = as_string(info.get("specVersion"), f"@graph[{i}].specVersion", source)
    if not version.startswith("3."):
        raise FieldError(f"@graph[{i}].specVersion", "an SPDX 3.x version such as '3.0.1'", source=source)
    produced = max(parse_time(el.get("created"), f"@graph[{j}].created", source) for j, el in infos)
    licences: dict[tuple[str, str], str] = {}  # (package id, relationship type) -> licence
    for el in graph:
        kind = el.get("relationshipType")
        if kind in ("hasConcludedLicense", "hasDeclaredLicense") and isinstance(el.get("from"), str):
            targets = el.get("to") if isinstance(el.get("to"), list) else [el.get("to")]
            found = [_spdx3_licence(elements.get(t) if isinstance(t, str) else None, t) for t in targets]
            known = [f for f in found if f]
            if known:
                licences[(el["from"], kind)] = " AND ".join(known)
    packages = []
    for j, el in enumerate(graph):
        if el.get("type") != "software_Package":
            continue
        pid = str(el.get("spdxId") or el.get("@id") or "")
        purl = el.get("software_packageUrl") or next(
            (
                str(x.get("identifier"))
                for x in el.get("externalIdentifier") or []
                if isinstance(x, dict) and x.get("externalIdentifierType") == "packageUrl"
            ),
            "",
        )
        packages.append(
            _spdx_package(
                as_string(el.get("name"), f"@graph[{j}].name", source),
                str(el.get("software_packageVersion", "")),
                str(purl),
                licences.get((pid, "hasConcludedLicense")),
                licences.get((pid, "hasDeclaredLicense")),
            )
        )
    name = next(
        (str(el.get("name")) for el in graph if el.get("type") == "SpdxDocument" and el.get("name")), None
    )
    return Parsed(sbom_facts("SPDX", f"SPDX-{version}", name, packages), produced)


def _spdx3_licence(el: Mapping[str, Any] | None, ref: Any) -> str | None:
    """The licence an SPDX 3 licence element (or a reference to a listed or individual licence) names."""
    if el is None:
        text = str(ref or "")
        if not text or text.endswith(_SPDX3_NO_LICENCE):
            return None
        return text.rsplit("/", 1)[-1]  # e.g. https://spdx.org/licenses/MIT
    for key in ("simplelicensing_licenseExpression", "expandedlicensing_licenseId", "name"):
        value = el.get(key)
        if isinstance(value, str) and value and value not in ("NOASSERTION", "NONE"):
            return value
    return None


def _spdx_tags(raw: bytes, source: str) -> list[tuple[int, str, str]]:
    """The (line, tag, value) pairs of an SPDX tag-value document (`<text>` values may span lines)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(
            "not UTF-8 text; expected an SPDX tag-value or JSON document", source=source
        ) from None
    pairs: list[tuple[int, str, str]] = []
    lines = text.splitlines()
    n = 0
    while n < len(lines):
        line = lines[n]
        n += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        tag, colon, value = line.partition(":")
        if not colon or not tag.strip() or " " in tag.strip():
            raise InputError(f"expected 'Tag: value', got {line.strip()[:60]!r}", source=source, line=n)
        start, value = n, value.strip()
        if value.startswith("<text>"):
            while "</text>" not in value and n < len(lines):
                value += "\n" + lines[n]
                n += 1
            if "</text>" not in value:
                raise InputError("a <text> value is not closed with </text>", source=source, line=start)
            value = value.removeprefix("<text>").split("</text>", 1)[0]
        pairs.append((start, tag.strip(), value))
    return pairs


def _parse_spdx_tag_value(raw: bytes, source: str) -> Parsed:
    tags = _spdx_tags(raw, source)
    first = {tag: (line, value) for line, tag, value in reversed(tags)}
    if "SPDXVersion" not in first:
        raise FieldError(
            "SPDXVersion", "an SPDX 2.x document (JSON, or tag-value from 'SPDXVersion:')", source=source
        )
    version = first["SPDXVersion"][1]
    if not version.startswith("SPDX-2."):
        raise FieldError("SPDXVersion", "an SPDX 2.x version such as 'SPDX-2.3'", source=source)
    if "Created" not in first:
        raise FieldError("Created", "the document's creation time", source=source)
    produced = parse_time(first["Created"][1], f"Created (line {first['Created'][0]})", source)
    packages: list[dict[str, Any]] = []
    current: dict[str, str] | None = None

    def close() -> None:
        if current is not None:
            packages.append(
                _spdx_package(
                    current["PackageName"],
                    current.get("PackageVersion", ""),
                    current.get("purl", ""),
                    current.get("PackageLicenseConcluded"),
                    current.get("PackageLicenseDeclared"),
                )
            )

    for line, tag, value in tags:
        if tag == "PackageName":
            close()
            if not value:
                raise FieldError(f"PackageName (line {line})", "a package name", source=source)
            current = {"PackageName": value}
        elif tag in ("FileName", "SnippetSPDXID", "LicenseID"):  # a file, snippet or licence section follows
            close()
            current = None
        elif current is not None and tag == "ExternalRef":
            parts = value.split()
            if len(parts) >= 3 and parts[1] == "purl" and "purl" not in current:
                current["purl"] = parts[2]
        elif current is not None and tag not in current:
            current[tag] = value
    close()
    name = first.get("DocumentName", (0, ""))[1]
    return Parsed(sbom_facts("SPDX", version, name or None, packages), produced)
