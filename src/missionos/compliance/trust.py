"""The supply-chain trust policy of a system: who may build its artifacts, from which source repositories, and
who may sign their provenance.

Build provenance names its builder and its source, but anyone can write a provenance statement, and a
signature only shows who wrote it. A statement counts as evidence for a system only when the system's policy
allows its builder (`builders`) and its source repository (`sources`); signed provenance counts as signed only
when an allowed signer (`signers`: the name of a trusted key, or a certificate identity such as a GitHub
workflow) signed it. Patterns are shell globs matched against the whole value (`*` also matches `/`), so
`…/builder_go_slsa3.yml@refs/tags/v*` allows released builders and refuses `…@refs/heads/malicious`. Without
a policy nothing is trusted (fail closed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from missionos.errors import FieldError

FIELDS = ("builders", "sources", "signers")


@dataclass(frozen=True)
class TrustPolicy:
    builders: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    signers: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, list[str]]:
        return {"builders": list(self.builders), "sources": list(self.sources), "signers": list(self.signers)}

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any] | None) -> TrustPolicy | None:
        if not doc:
            return None
        return cls(*(tuple(str(v) for v in doc.get(f) or ()) for f in FIELDS))


def policy(builders: Sequence[str], sources: Sequence[str], signers: Sequence[str]) -> TrustPolicy:
    """A policy from patterns given on the command line or the API, checked."""
    found = TrustPolicy(*(tuple(p.strip() for p in v if p.strip()) for v in (builders, sources, signers)))
    if not found.builders:
        raise FieldError("--builder", "at least one allowed builder id (a glob pattern)")
    if not found.sources:
        raise FieldError("--source", "at least one allowed source repository (a glob pattern)")
    return found


def source_repository(uri: str) -> str:
    """A source URI as a policy names it: without `git+`, the `@ref` and a trailing `.git`
    (`git+https://github.com/org/repo@refs/heads/main` is `https://github.com/org/repo`)."""
    text = uri.strip().removeprefix("git+")
    scheme, sep, rest = text.partition("://")
    if sep:
        rest = rest.split("@", 1)[0] if "/" in rest.split("@", 1)[0] else rest
        text = f"{scheme}://{rest}"
    else:
        text = text.split("@", 1)[0]
    return text.removesuffix(".git").rstrip("/")


def _allowed(value: str, patterns: Sequence[str]) -> bool:
    return bool(value) and any(fnmatchcase(value, p) for p in patterns)


def judge(facts: Mapping[str, Any], found: TrustPolicy | None) -> dict[str, Any]:
    """Provenance facts with the policy's verdict: `trusted_builder`, `trusted_source`, `trusted_signer`,
    `trust` (`verified` when builder and source are allowed, else `untrusted`) and `untrusted_because`."""
    builder = str(facts.get("builder") or "")
    source = str(facts.get("source") or "")
    signers = [str(s) for s in facts.get("signed_by") or ()]
    signed = facts.get("signature") == "verified"
    if found is None:
        verdict = {"trusted_builder": False, "trusted_source": False, "trusted_signer": False}
        why = ["the system has no trust policy (compliance trust set)"]
    else:
        verdict = {
            "trusted_builder": _allowed(builder, found.builders),
            "trusted_source": _allowed(source, found.sources),
            "trusted_signer": signed and any(_allowed(s, found.signers) for s in signers),
        }
        why = []
        if not verdict["trusted_builder"]:
            why.append(f"builder {builder!r} is not allowed")
        if not verdict["trusted_source"]:
            why.append(f"source {source or '(none named)'!r} is not allowed")
        if not verdict["trusted_signer"]:
            why.append(
                "no allowed signer signed it"
                if signed
                else f"its signature is {facts.get('signature', 'unsigned')}"
            )
    trusted = verdict["trusted_builder"] and verdict["trusted_source"]
    return {**facts, **verdict, "trust": "verified" if trusted else "untrusted", "untrusted_because": why}
