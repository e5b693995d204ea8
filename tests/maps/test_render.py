"""Maps drawn as SVG (well-formed, with a text alternative and links) and exported to Mermaid."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import yaml

from missionos.maps import domain, owm, render
from tests.maps.samples import DOMAINS, KITCHEN

SVG = "{http://www.w3.org/2000/svg}"


def test_the_wardley_svg_draws_each_component_at_its_place() -> None:
    m = owm.parse(KITCHEN)
    root = ET.fromstring(render.wardley_svg(m))
    groups = {g.get("data-name"): g for g in root.iter(f"{SVG}g") if g.get("class") == "component"}
    assert set(groups) == set(m.components)
    circle = groups["Meal"].find(f"{SVG}circle")
    assert circle is not None
    # evolution 0.55 across the plot from x=40 over 840 px; visibility 0.82 down from y=40 over 510 px
    assert float(circle.get("cx", "0")) == round(40 + 0.55 * 840, 1)
    assert float(circle.get("cy", "0")) == round(40 + (1 - 0.82) * 510, 1)
    assert len([ln for ln in root.iter(f"{SVG}line") if ln.get("class") == "evolve"]) == 2
    links = {a.get("href") for a in root.iter(f"{SVG}a")}
    assert links == {"/strategy/plans/kitchen-2027#strategy-S1", "/delivery/services/oven-booking"}
    desc = root.find(f"{SVG}desc")
    assert desc is not None and "Meal (Good) needs Recipes, Ingredients, Oven" in (desc.text or "")
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert {"Novel", "Emerging", "Good", "Best"} <= set(labels)


def test_text_in_a_map_is_escaped() -> None:
    svg = render.wardley_svg(owm.parse('title <script>alert(1)</script>\ncomponent A&B "x" [0.5, 0.5]\n'))
    assert "<script>" not in svg and "A&amp;B &quot;x&quot;" in svg
    ET.fromstring(svg)


def test_the_mermaid_export_groups_by_stage_and_keeps_the_value_chain() -> None:
    text = render.wardley_mermaid(owm.parse(KITCHEN))
    assert text.startswith("---\ntitle: Community kitchen\n---\nflowchart TB\n")
    assert 'subgraph stage2["Good"]' in text and '(("Diners"))' in text
    assert '-->|"fresh daily"|' in text and "-. evolves .->" in text
    assert text.count(" --> ") + text.count("-->|") == 5


def test_the_domain_map_puts_upstream_above_downstream() -> None:
    dmap = domain.read(yaml.safe_load(DOMAINS))
    root = ET.fromstring(render.domain_svg(dmap))
    y = {
        g.get("data-name"): float(g.find(f"{SVG}rect").get("y", "0"))  # type: ignore[union-attr]
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "context"
    }
    assert y["Stock"] < y["Menu"] and y["Payments"] < y["Menu"]
    mermaid = render.domain_mermaid(dmap)
    assert '-->|"anticorruption-layer"|' in mermaid and '---|"shared-kernel"|' in mermaid
