"""Reading Wardley maps in OWM text, and refusing bad ones with every problem and its line."""

from __future__ import annotations

import pytest

from missionos.errors import InputError
from missionos.maps import owm
from tests.maps.samples import KITCHEN


def test_every_statement_is_read() -> None:
    m = owm.parse(KITCHEN)
    assert m.title == "Community kitchen"
    assert m.components["Diners"].kind == "anchor"
    meal = m.components["Meal"]
    assert (meal.visibility, meal.evolution) == (0.82, 0.55)
    assert m.components["Recipes"].method == "build" and m.components["Ingredients"].method == "buy"
    energy = m.components["Energy"]
    assert energy.method == "outsource" and energy.inertia
    # The pipeline's members take its visibility and span its evolution.
    (pipe,) = m.pipelines
    assert pipe.members == ("Wood fire", "Gas hob") and (pipe.start, pipe.end) == (0.20, 0.62)
    assert m.components["Gas hob"].visibility == 0.50
    assert [(k.source, k.target, k.flow, k.annotation) for k in m.links][2] == (
        "Meal",
        "Ingredients",
        None,
        "fresh daily",
    )
    assert m.links[-1].flow == "+<>"
    assert [(e.name, e.evolution, e.new_name) for e in m.evolves] == [
        ("Oven", 0.75, None),
        ("Recipes", 0.55, "Shared recipe book"),
    ]
    assert m.annotations[0].points == ((0.45, 0.50), (0.20, 0.85)) and m.annotations_at == (0.15, 0.05)
    assert m.notes[0].text == "Volunteers cook on Saturdays"
    assert m.stages == ("Novel", "Emerging", "Good", "Best") and m.style == "wardley"
    assert m.notices == ["line 29: `market` is read but not drawn"]
    assert [(t.kind, t.ref, t.href) for t in m.targets] == [
        ("strategy", "kitchen-2027/S1", "/strategy/plans/kitchen-2027#strategy-S1"),
        ("service", "oven-booking", "/delivery/services/oven-booking"),
    ]


def test_every_problem_is_reported_with_its_line() -> None:
    bad = "\n".join(
        [
            "title Broken",
            "component A [0.5, 1.7]",  # 2: evolution out of range
            "component B [0.5]",  # 3: one coordinate
            "component C [0.4, 0.4]",
            "component C [0.3, 0.3]",  # 5: named twice
            "A->Nowhere",  # link to an unknown component
            "evolve C sideways",  # 7
            "frobnicate the map",  # 8
            "link C -> strategy:nope",  # 9
        ]
    )
    with pytest.raises(InputError) as caught:
        owm.parse(bad, source="kitchen.owm")
    text = str(caught.value)
    assert text.startswith("kitchen.owm: ")
    for expected in (
        "line 2: expected an evolution between 0 and 1, not 1.7",
        "line 3: expected coordinates [visibility, evolution]",
        "line 5: expected a component named once; 'C' is on line 4 too",
        "line 7: expected `evolve NAME EVOLUTION`",
        "line 8: expected a statement of the map syntax",
        "line 9: expected `link COMPONENT -> strategy:PLAN/ID`",
        "link A->Nowhere: expected a declared component, not 'Nowhere'",
    ):
        assert expected in text


def test_an_unclosed_pipeline_block_is_named() -> None:
    with pytest.raises(InputError, match="line 2: expected the pipeline block of 'P' closed"):
        owm.parse("component P [0.5, 0.5]\npipeline P\n{\n  component X [0.3]\n")


def test_comments_and_blank_lines_are_ignored_but_a_note_keeps_its_slashes() -> None:
    m = owm.parse(
        "// a map\n\ncomponent A [0.5, 0.5] // the only one\nnote see http://x.example/a [0.1, 0.1]\n"
    )
    assert list(m.components) == ["A"] and m.notes[0].text == "see http://x.example/a"
