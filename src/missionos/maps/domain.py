"""Domain maps: bounded contexts and how they relate, from a YAML document.

```yaml
title: Benefits domains
contexts:
  - {name: Intake, type: core, team: Intake, services: [intake-web, intake-api]}
  - {name: Eligibility, type: core, team: Eligibility, services: [eligibility-engine]}
relationships:
  - {upstream: Eligibility, downstream: Intake, pattern: customer-supplier}
  - {between: [Intake, Payments], pattern: partnership}
```

A context's `type` is core, supporting or generic. Directed patterns (upstream → downstream):
customer-supplier, conformist, anticorruption-layer (acl), open-host, published-language. Symmetric ones
(`between` two contexts): shared-kernel, partnership, separate-ways.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from missionos.errors import InputError

TYPES = ("core", "supporting", "generic")
DIRECTED = ("customer-supplier", "conformist", "anticorruption-layer", "open-host", "published-language")
SYMMETRIC = ("shared-kernel", "partnership", "separate-ways")
ALIASES = {
    "acl": "anticorruption-layer",
    "ohs": "open-host",
    "pl": "published-language",
    "sk": "shared-kernel",
}


@dataclass(frozen=True)
class BoundedContext:
    name: str
    type: str
    team: str | None
    services: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class Relationship:
    first: str  # upstream, or one side of a symmetric pattern
    second: str  # downstream, or the other side
    pattern: str

    @property
    def directed(self) -> bool:
        return self.pattern in DIRECTED


@dataclass
class DomainMap:
    title: str = ""
    contexts: dict[str, BoundedContext] = field(default_factory=dict)
    relationships: list[Relationship] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "contexts": [
                {"name": c.name, "type": c.type, "team": c.team, "services": list(c.services)}
                for c in self.contexts.values()
            ],
            "relationships": [
                {"upstream": r.first, "downstream": r.second, "pattern": r.pattern}
                if r.directed
                else {"between": [r.first, r.second], "pattern": r.pattern}
                for r in self.relationships
            ],
        }


def read(doc: Any, *, source: str | None = None) -> DomainMap:
    """The domain map of a parsed YAML document, or an `InputError` naming every bad field."""
    problems: list[str] = []
    out = DomainMap()
    if not isinstance(doc, dict) or set(doc) - {"title", "contexts", "relationships"}:
        raise InputError("expected a mapping with title, contexts and relationships", source=source)
    out.title = str(doc.get("title") or "")
    contexts = doc.get("contexts")
    if not isinstance(contexts, list) or not contexts:
        problems.append("contexts: expected a list of bounded contexts")
        contexts = []
    for k, c in enumerate(contexts):
        at = f"contexts[{k}]"
        if not isinstance(c, dict) or not isinstance(c.get("name"), str) or not c["name"].strip():
            problems.append(f"{at}.name: expected the context's name")
            continue
        kind = c.get("type", "supporting")
        if kind not in TYPES:
            problems.append(f"{at}.type: expected one of {', '.join(TYPES)}")
        services = c.get("services", [])
        if not isinstance(services, list) or not all(isinstance(s, str) for s in services):
            problems.append(f"{at}.services: expected a list of service names")
            services = []
        team = c.get("team")
        if team is not None and not isinstance(team, str):
            problems.append(f"{at}.team: expected a team name")
            team = None
        name = c["name"].strip()
        if name in out.contexts:
            problems.append(f"{at}.name: expected a name used once; {name!r} repeats")
        out.contexts[name] = BoundedContext(
            name, str(kind), team, tuple(services), str(c.get("description", ""))
        )
    relationships = doc.get("relationships", []) or []
    if not isinstance(relationships, list):
        problems.append("relationships: expected a list")
        relationships = []
    for k, r in enumerate(relationships):
        at = f"relationships[{k}]"
        if not isinstance(r, dict):
            problems.append(f"{at}: expected a mapping")
            continue
        pattern = ALIASES.get(str(r.get("pattern")), str(r.get("pattern")))
        ends: list[Any]
        if pattern in DIRECTED:
            ends = [r.get("upstream"), r.get("downstream")]
            if set(r) - {"upstream", "downstream", "pattern"}:
                problems.append(f"{at}: expected upstream, downstream and pattern for {pattern}")
        elif pattern in SYMMETRIC:
            between = r.get("between")
            ends = list(between) if isinstance(between, list) else []
            if len(ends) != 2:
                problems.append(f"{at}.between: expected two contexts for {pattern}")
                continue
        else:
            problems.append(f"{at}.pattern: expected one of {', '.join(DIRECTED + SYMMETRIC)}")
            continue
        for end in ends:
            if end not in out.contexts:
                problems.append(f"{at}: expected a declared context, not {end!r}")
        if all(end in out.contexts for end in ends):
            out.relationships.append(Relationship(str(ends[0]), str(ends[1]), pattern))
    if problems:
        raise InputError("; ".join(problems), source=source)
    return out


__all__ = ["DIRECTED", "SYMMETRIC", "TYPES", "BoundedContext", "DomainMap", "Relationship", "read"]
