"""The allowed arrows between the rooms of the house (docs/architecture.md), read from the import graph.

Each module belongs to a room: the kernel (errors, config, store, the measures registry, ...), `accounts`,
`ingest`, one of the bounded contexts, or a shell (`cli`, `web`, the demo runner). A room may import only the
rooms its row in `ALLOWED` names. Every import counts, at module level and inside functions (the graph of
tests/test_architecture.py), so a lazy import cannot hide an arrow.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from missionos.contexts import CONTEXTS
from tests.test_architecture import Import, graph

KERNEL = frozenset(
    {
        "missionos",
        "errors",
        "config",
        "encoding",
        "safeload",
        "recordfiles",
        "links",
        "store",
        "times",
        "contexts",
        "measures",
        "surface",
    }
)
SHELLS = frozenset({"cli", "web", "demo"})
BOUNDED = frozenset(
    {"delivery", "flow", "experiments", "compliance", "strategy", "friction", "maps", "platform"}
)
BASE = KERNEL | {"accounts"}

# Which rooms each room may import, besides itself.
ALLOWED: dict[str, frozenset[str]] = {
    # The kernel is below everything: it imports only the kernel.
    **{room: KERNEL for room in KERNEL},
    # Identity, tokens, sessions and the audit log: nothing but the store and the errors (and, for the
    # package's lazy public names only, the kernel's `surface`; test_accounts_imports_only_... holds that).
    "accounts": frozenset({"store", "errors", "surface"}),
    # Reading from outside on a schedule or a push: it feeds delivery and flow through their public surface.
    "ingest": BASE | {"delivery", "flow"},
    # The organization file declares teams, services (delivery) and value streams (flow).
    "organization": BASE | {"delivery", "flow"},
    "delivery": BASE,
    "flow": BASE,
    # A flag or an experiment belongs to the team of its service, which delivery's catalog knows.
    "experiments": BASE | {"delivery"},
    # Reviews and deployments are evidence.
    "compliance": BASE | {"delivery"},
    # The strategy reads the other contexts only through the measures registry.
    "strategy": BASE,
    # Blockers sit on a value stream's steps.
    "friction": BASE | {"flow"},
    "maps": BASE,
    # An offer is verified by production deployments and their supply-chain evidence.
    "platform": BASE | {"delivery", "compliance"},
    # The shells sit on top and may call anything below them.
    "cli": BASE | BOUNDED | {"ingest", "organization", "web", "demo"},
    "web": BASE | BOUNDED | {"ingest", "organization"},
    "demo": BASE | BOUNDED | {"ingest", "organization"},
}

# Narrow exceptions, each with its reason: (importing module prefix, imported module).
EXCEPTIONS: dict[tuple[str, str], str] = {
    # The one low-level client for every remote source: pagination bound to the origin, no token elsewhere.
    ("delivery.forges", "ingest.http"): "the GitHub and GitLab readers send through the one HTTP client",
    ("flow.importers", "ingest.http"): "the GitHub issues and Jira readers send through the one HTTP client",
    ("delivery.hooks", "ingest.payload"): "a forge's webhook payload is read with the inbox's field helpers",
    ("flow.hooks", "ingest.payload"): "a forge's webhook payload is read with the inbox's field helpers",
}


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "missionos"


def _demo_step(module: str) -> bool:
    """A context's demo step (`missionos.<ctx>.demo`): it is handed the demo organization and may set up
    other contexts' records through their services, as the demo runner does."""
    parts = module.split(".")
    return len(parts) == 3 and parts[2] == "demo" and parts[1] in BOUNDED


def _excepted(i: Import) -> bool:
    source = i.source.removeprefix("missionos.")
    target = i.target.removeprefix("missionos.")
    return any(source.startswith(s) and target == t for s, t in EXCEPTIONS)


def violations(imports: tuple[Import, ...]) -> list[str]:
    found = []
    for i in imports:
        here, there = room(i.source), room(i.target)
        if here == there:
            continue
        if _demo_step(i.source) and there in ALLOWED["demo"] | {"demo"}:
            continue
        if here in ALLOWED and there in ALLOWED[here]:
            continue
        if _excepted(i):
            continue
        where = "in a function" if i.lazy else "at module level"
        found.append(f"{i.source} line {i.line} imports {i.target} {where}: {here} may not import {there}")
    return sorted(found)


def test_every_room_has_a_row() -> None:
    rooms = {room(m) for i in graph() for m in (i.source, i.target)}
    assert rooms <= set(ALLOWED), f"rooms without a row in ALLOWED: {sorted(rooms - set(ALLOWED))}"
    assert {c.name for c in CONTEXTS} <= set(ALLOWED)


def test_imports_follow_the_allowed_arrows() -> None:
    found = violations(graph())
    assert not found, "imports against the allowed arrows (docs/architecture.md):\n" + "\n".join(found)


def test_nothing_below_the_shells_imports_a_shell() -> None:
    below = [
        i
        for i in graph()
        if room(i.source) not in SHELLS
        and room(i.target) in SHELLS
        and not (_demo_step(i.source) and i.target == "missionos.demo.org")
    ]
    assert not below, below


def test_accounts_imports_only_the_store_and_the_errors() -> None:
    reached = defaultdict(set)
    for i in graph():
        if room(i.source) == "accounts" and room(i.target) != "accounts":
            if (i.source, i.target) == ("missionos.accounts", "missionos.surface"):
                continue  # the package's lazy loading of its public names
            reached[room(i.target)].add(i.source)
    assert set(reached) <= {"store", "errors"}, dict(reached)


def test_strategy_reads_other_contexts_only_through_measures() -> None:
    others = [i for i in graph() if room(i.source) == "strategy" and room(i.target) in BOUNDED - {"strategy"}]
    assert not others, others


@pytest.mark.parametrize(
    ("source", "target", "allowed"),
    [
        ("missionos.strategy.service", "missionos.delivery.service", False),
        ("missionos.accounts.audit", "missionos.delivery.models", False),
        ("missionos.delivery.service", "missionos.web.deps", False),
        ("missionos.compliance.service", "missionos.delivery.service", True),
        ("missionos.web.delivery", "missionos.delivery.service", True),
        ("missionos.delivery.forges", "missionos.ingest.http", True),
        ("missionos.delivery.service", "missionos.ingest.sync", False),
        ("missionos.flow.demo", "missionos.demo.org", True),
    ],
)
def test_the_rules_catch_a_planted_import(source: str, target: str, allowed: bool) -> None:
    planted = (Import(source, target, 1, False),)
    assert (violations(planted) == []) is allowed


def test_the_rules_read_the_real_graph() -> None:
    # Guard against a graph that silently lost its edges (a moved source folder, say).
    assert len(graph()) > 500
    assert Import("missionos.web.app", "missionos.contexts", 20, False) in {
        Import(i.source, i.target, 20, False) for i in graph()
    }
