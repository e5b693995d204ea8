"""Reading domain maps and refusing bad ones, naming every field."""

from __future__ import annotations

import pytest
import yaml

from missionos.errors import InputError
from missionos.maps import domain
from tests.maps.samples import DOMAINS


def test_contexts_and_relationships_are_read_with_aliases() -> None:
    dmap = domain.read(yaml.safe_load(DOMAINS))
    assert dmap.contexts["Menu"].services == ("menu-api",) and dmap.contexts["Payments"].type == "generic"
    patterns = [(r.first, r.second, r.pattern, r.directed) for r in dmap.relationships]
    assert patterns == [
        ("Stock", "Menu", "customer-supplier", True),
        ("Payments", "Menu", "anticorruption-layer", True),
        ("Menu", "Stock", "shared-kernel", False),
    ]


def test_every_bad_field_is_named() -> None:
    doc = {
        "contexts": [{"name": "A", "type": "central"}, {"name": "A"}, {"type": "core"}],
        "relationships": [
            {"upstream": "A", "downstream": "Z", "pattern": "conformist"},
            {"between": ["A"], "pattern": "partnership"},
            {"upstream": "A", "downstream": "A", "pattern": "friendship"},
        ],
    }
    with pytest.raises(InputError) as caught:
        domain.read(doc, source="domains.yaml")
    text = str(caught.value)
    for expected in (
        "contexts[0].type: expected one of core, supporting, generic",
        "contexts[1].name: expected a name used once",
        "contexts[2].name: expected the context's name",
        "relationships[0]: expected a declared context, not 'Z'",
        "relationships[1].between: expected two contexts",
        "relationships[2].pattern: expected one of",
    ):
        assert expected in text
