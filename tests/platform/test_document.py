"""The platform document's checks: any YAML-shaped input gives either records or problems, never a crash."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from missionos.platform.service import check_document, format_path

KINDS = ["junit", "sarif", "cyclonedx"]
FIELDS = [
    *("platform", "offers", "teams", "bindings", "languages", "services", "zones", "stages", "name"),
    *("evidence", "purl", "team", "needs", "created", "probe", "service", "deployment", "zone", "x"),
]
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(FIELDS),
            inner,
            max_size=5,
        ),
    ),
    max_leaves=25,
)


def _deployed(name: str) -> set[str] | None:
    return {"d-1"} if name == "api" else None


@settings(max_examples=300, deadline=None)
@given(values)
def test_any_document_gives_records_or_problems_with_paths(doc: Any) -> None:
    checked, problems = check_document(doc, deployed=_deployed, evidence_kinds=KINDS)
    for path, expected in problems:
        assert isinstance(format_path(path), str) and expected
    if not problems:
        assert all(o.name for o in checked.offers)
        assert all(b.service == "api" and b.deployment == "d-1" for b in checked.bindings)


def test_a_known_language_needs_no_purl_and_an_unknown_one_does() -> None:
    doc = {"offers": {"languages": ["Python", {"name": "zig", "purl": "zig"}, "cobol"]}}
    checked, problems = check_document(doc, deployed=_deployed, evidence_kinds=KINDS)
    proofs = {o.name: o.proof for o in checked.offers}
    assert proofs["Python"] == ("pypi", "conda") and proofs["zig"] == ("zig",)
    assert [format_path(p) for p, _ in problems] == ["offers.languages[2].purl"]


def test_every_problem_is_reported_at_once() -> None:
    doc = {
        "offers": {"stages": [{"name": "sast"}], "queues": []},
        "teams": [{"team": "A"}, {"team": "A", "needs": {"languages": "go"}}],
        "bindings": [{"service": "web", "deployment": "d-1"}, {"service": "api", "deployment": "d-2"}],
    }
    _checked, problems = check_document(doc, deployed=_deployed, evidence_kinds=KINDS)
    assert [format_path(p) for p, _ in problems] == [
        "offers.queues",
        "offers.stages[0].evidence",
        "teams[1].needs.languages",
        "teams[1].team",
        "bindings[0].service",
        "bindings[1].deployment",
    ]
