"""Maps drawn on the server as standalone SVG (no script, no CDN), and exported as Mermaid flowcharts."""

from __future__ import annotations

import re
from html import escape

from missionos.maps.domain import DomainMap
from missionos.maps.owm import WardleyMap

W, H = 900, 600
LEFT, TOP, RIGHT, BOTTOM = 40, 40, 20, 50
PLOT_W, PLOT_H = W - LEFT - RIGHT, H - TOP - BOTTOM
# Where the evolution axis is split into its four stages, as maps conventionally draw it.
STAGE_EDGES = (0.0, 0.174, 0.4, 0.7, 1.0)
METHOD_FILL = {"build": "#d9d9d9", "buy": "#a6a6a6", "outsource": "#444"}


def _x(evolution: float) -> float:
    return LEFT + evolution * PLOT_W


def _y(visibility: float) -> float:
    return TOP + (1.0 - visibility) * PLOT_H


def _t(x: float, y: float, text: str, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(text)}</text>'


def wardley_svg(wmap: WardleyMap) -> str:
    """The Wardley map as an SVG document: stages, value chain, movement, pipelines, notes, annotations.

    A map whose components link to what they move is a group (an image may hold no links); either way its
    title and description are its text alternative."""
    role = "group" if wmap.targets else "img"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="{role}" '
        f'aria-labelledby="map-title map-desc" class="wardley" font-family="sans-serif" font-size="12">',
        f'<title id="map-title">{escape(wmap.title or "Wardley map")}</title>',
        f'<desc id="map-desc">{escape(describe_wardley(wmap))}</desc>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#c0392b"/></marker></defs>',
        f'<rect x="{LEFT}" y="{TOP}" width="{PLOT_W}" height="{PLOT_H}" fill="#fff" stroke="#333"/>',
    ]
    for k, edge in enumerate(STAGE_EDGES[1:-1], start=1):
        parts.append(
            f'<line x1="{_x(edge):.1f}" y1="{TOP}" x2="{_x(edge):.1f}" y2="{TOP + PLOT_H}" '
            'stroke="#999" stroke-dasharray="4 4"/>'
        )
        del k
    for k, stage in enumerate(wmap.stages):
        mid = (STAGE_EDGES[k] + STAGE_EDGES[k + 1]) / 2
        parts.append(_t(_x(mid), TOP + PLOT_H + 18, stage, text_anchor="middle"))
    parts.append(_t(LEFT + PLOT_W / 2, H - 8, "Evolution →", text_anchor="middle", font_weight="bold"))
    parts.append(
        f'<text transform="translate(14 {TOP + PLOT_H / 2:.0f}) rotate(-90)" text-anchor="middle" '
        'font-weight="bold">Value chain (visibility) →</text>'
    )
    if wmap.title:
        parts.append(_t(LEFT, 24, wmap.title, font_size="16", font_weight="bold"))
    for p in wmap.pipelines:
        parent = wmap.components.get(p.name)
        if parent is None:
            continue
        y = _y(parent.visibility)
        parts.append(
            f'<rect class="pipeline" x="{_x(p.start) - 8:.1f}" y="{y + 6:.1f}" '
            f'width="{_x(p.end) - _x(p.start) + 16:.1f}" height="16" fill="none" stroke="#333"/>'
        )
    for link in wmap.links:
        a, b = wmap.components.get(link.source), wmap.components.get(link.target)
        if a is None or b is None:
            continue
        dash = ' stroke-dasharray="2 3"' if link.flow else ""
        parts.append(
            f'<line class="link" x1="{_x(a.evolution):.1f}" y1="{_y(a.visibility):.1f}" '
            f'x2="{_x(b.evolution):.1f}" y2="{_y(b.visibility):.1f}" stroke="#555"{dash}/>'
        )
        if link.annotation:
            mx = (_x(a.evolution) + _x(b.evolution)) / 2
            my = (_y(a.visibility) + _y(b.visibility)) / 2
            parts.append(_t(mx + 4, my - 4, link.annotation, font_style="italic", fill="#555"))
    for e in wmap.evolves:
        c = wmap.components.get(e.name)
        if c is None:
            continue
        y = _y(c.visibility)
        parts.append(
            f'<line class="evolve" x1="{_x(c.evolution) + 7:.1f}" y1="{y:.1f}" '
            f'x2="{_x(e.evolution) - 7:.1f}" y2="{y:.1f}" stroke="#c0392b" stroke-dasharray="5 4" '
            'marker-end="url(#arrow)"/>'
        )
        parts.append(
            f'<circle cx="{_x(e.evolution):.1f}" cy="{y:.1f}" r="6" fill="#fff" stroke="#c0392b" '
            'stroke-width="1.5"/>'
        )
        parts.append(_t(_x(e.evolution) + 9, y - 8, e.new_name or c.name, fill="#c0392b"))
    hrefs = {t.component: t.href for t in wmap.targets}
    for c in wmap.components.values():
        x, y = _x(c.evolution), _y(c.visibility)
        if c.kind == "anchor":
            node = _t(x, y + 4, c.name, text_anchor="middle", font_weight="bold", font_size="14")
        else:
            halo = ""
            if c.method:
                halo = (
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="13" fill="{METHOD_FILL[c.method]}" opacity="0.6"/>'
                )
            inertia = (
                f'<line x1="{x + 12:.1f}" y1="{y - 10:.1f}" x2="{x + 12:.1f}" y2="{y + 10:.1f}" '
                'stroke="#000" stroke-width="5"/>'
                if c.inertia
                else ""
            )
            node = (
                f'{halo}<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="#fff" stroke="#000" '
                'stroke-width="1.5"/>'
                f"{inertia}{_t(x + 9, y - 8, c.name)}"
            )
        group = f'<g class="component" data-name="{escape(c.name)}">{node}</g>'
        if c.name in hrefs:
            # An unseen area over the dot and its label takes the click, so the gaps between them (where the
            # plot frame lies underneath) open the link too.
            hit = (
                f'<rect class="hit" x="{x - 9:.1f}" y="{y - 22:.1f}" width="{18 + 7 * len(c.name):.1f}" '
                'height="31" fill="#fff" fill-opacity="0"/>'
            )
            group = f'<a href="{escape(hrefs[c.name])}">{hit}{group}</a>'
        parts.append(group)
    for n in wmap.notes:
        parts.append(_t(_x(n.evolution), _y(n.visibility), n.text, font_weight="bold", fill="#333"))
    for note in wmap.annotations:
        for vis, evo in note.points:
            parts.append(
                f'<circle cx="{_x(evo):.1f}" cy="{_y(vis):.1f}" r="9" fill="#fff" stroke="#666"/>'
                + _t(_x(evo), _y(vis) + 4, str(note.number), text_anchor="middle")
            )
    if wmap.annotations:
        vis, evo = wmap.annotations_at or (0.1, 0.75)
        x, y = _x(evo), _y(vis)
        for k, note in enumerate(sorted(wmap.annotations, key=lambda n: n.number)):
            parts.append(_t(x, y + 14 * k, f"{note.number}. {note.text}", font_size="11"))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def describe_wardley(wmap: WardleyMap) -> str:
    """A text alternative: each component, its stage, and what it needs."""
    needs: dict[str, list[str]] = {}
    for link in wmap.links:
        needs.setdefault(link.source, []).append(link.target)
    lines = []
    for c in sorted(wmap.components.values(), key=lambda c: -c.visibility):
        stage = next((wmap.stages[k] for k in range(4) if c.evolution < STAGE_EDGES[k + 1]), wmap.stages[-1])
        text = f"{c.name} ({stage}"
        text += f", {c.method})" if c.method else ")"
        if needs.get(c.name):
            text += " needs " + ", ".join(needs[c.name])
        lines.append(text)
    for e in wmap.evolves:
        lines.append(f"{e.name} evolves to {e.evolution:.2f}")
    return "; ".join(lines)


def _node_id(name: str, known: dict[str, str]) -> str:
    if name not in known:
        base = re.sub(r"[^A-Za-z0-9]", "_", name) or "n"
        known[name] = f"{base}_{len(known)}"
    return known[name]


def _label(text: str) -> str:
    return '"' + text.replace('"', "#quot;") + '"'


def wardley_mermaid(wmap: WardleyMap) -> str:
    """A Mermaid flowchart of the map: components grouped by evolution stage, the value chain as edges."""
    ids: dict[str, str] = {}
    lines = ["flowchart TB"]
    if wmap.title:
        lines.insert(0, f"---\ntitle: {wmap.title}\n---")
    for k, stage in enumerate(wmap.stages):
        members = [
            c
            for c in wmap.components.values()
            if STAGE_EDGES[k] <= c.evolution < STAGE_EDGES[k + 1] or (k == 3 and c.evolution == 1.0)
        ]
        if not members:
            continue
        lines.append(f"  subgraph stage{k}[{_label(stage)}]")
        for c in sorted(members, key=lambda c: -c.visibility):
            shape = f"(({_label(c.name)}))" if c.kind == "anchor" else f"[{_label(c.name)}]"
            lines.append(f"    {_node_id(c.name, ids)}{shape}")
        lines.append("  end")
    for link in wmap.links:
        arrow = "-.->" if link.flow else "-->"
        label = f"|{_label(link.annotation)}|" if link.annotation else ""
        lines.append(f"  {_node_id(link.source, ids)} {arrow}{label} {_node_id(link.target, ids)}")
    for e in wmap.evolves:
        target = e.new_name or f"{e.name} (evolved)"
        lines.append(f"  {_node_id(target, ids)}[{_label(target)}]")
        lines.append(f"  {_node_id(e.name, ids)} -. evolves .-> {_node_id(target, ids)}")
    return "\n".join(lines) + "\n"


TYPE_FILL = {"core": "#fde8c8", "supporting": "#dbe9f6", "generic": "#eeeeee"}


def _layers(dmap: DomainMap) -> list[list[str]]:
    """Contexts in layers: every upstream context above its downstream ones (cycles broken by order)."""
    depth = dict.fromkeys(dmap.contexts, 0)
    for _ in range(len(depth)):
        changed = False
        for r in dmap.relationships:
            if r.directed and depth[r.second] <= depth[r.first] and depth[r.first] < len(depth):
                depth[r.second] = depth[r.first] + 1
                changed = True
        if not changed:
            break
    layers: list[list[str]] = [[] for _ in range(max(depth.values(), default=0) + 1)]
    for name in dmap.contexts:
        layers[depth[name]].append(name)
    return [layer for layer in layers if layer]


def domain_svg(dmap: DomainMap) -> str:
    """The domain map as SVG: contexts as boxes (upstream above downstream), relationships labelled."""
    layers = _layers(dmap)
    box_w, box_h, gap_y = 190, 64, 70
    width = max(W, max((len(layer) for layer in layers), default=1) * (box_w + 30) + 40)
    height = 60 + len(layers) * (box_h + gap_y)
    where: dict[str, tuple[float, float]] = {}
    for row, layer in enumerate(layers):
        span = len(layer) * (box_w + 30) - 30
        for col, name in enumerate(layer):
            where[name] = ((width - span) / 2 + col * (box_w + 30), 50 + row * (box_h + gap_y))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        'aria-labelledby="map-title map-desc" class="domain" font-family="sans-serif" font-size="12">',
        f'<title id="map-title">{escape(dmap.title or "Domain map")}</title>',
        f'<desc id="map-desc">{escape(describe_domain(dmap))}</desc>',
    ]
    if dmap.title:
        parts.append(_t(20, 26, dmap.title, font_size="16", font_weight="bold"))
    # Each box spreads its relationships' ends along its edge, so two lines never share an end.
    ends: dict[str, int] = {}
    labels: list[str] = []
    for r in dmap.relationships:
        (x1, y1), (x2, y2) = where[r.first], where[r.second]
        shift_a = (ends.get(r.first, 0) % 5 - 2) * 30
        shift_b = (ends.get(r.second, 0) % 5 - 2) * 30
        ends[r.first] = ends.get(r.first, 0) + 1
        ends[r.second] = ends.get(r.second, 0) + 1
        ax, ay, bx, by = x1 + box_w / 2 + shift_a, y1 + box_h, x2 + box_w / 2 + shift_b, y2
        if y1 == y2:
            ay, by = y1 + box_h / 2, y2 + box_h / 2
            ax, bx = (x1 + box_w, x2) if x1 < x2 else (x1, x2 + box_w)
        dash = "" if r.directed else ' stroke-dasharray="6 4"'
        parts.append(
            f'<line class="relationship" x1="{ax:.1f}" y1="{ay:.1f}" x2="{bx:.1f}" y2="{by:.1f}" '
            f'stroke="#555" stroke-width="1.5"{dash}/>'
        )
        label = r.pattern + (" (U → D)" if r.directed else "")
        halo = {"paint_order": "stroke", "stroke": "#fff", "stroke_width": "4"}
        # The label sits in the gap just below the upstream box, staggered so that labels never overlap.
        rise = by - ay
        t = min(0.5, (20 + 16 * (len(labels) % 3)) / rise) if rise > 0 else 0.5
        lx, ly = ax + (bx - ax) * t, ay + rise * t
        labels.append(_t(lx + 6, ly + 4, label, fill="#333", font_style="italic", **halo))
    for name, ctx in dmap.contexts.items():
        x, y = where[name]
        parts.append(
            f'<g class="context" data-name="{escape(name)}"><rect x="{x:.1f}" y="{y:.1f}" width="{box_w}" '
            f'height="{box_h}" rx="10" fill="{TYPE_FILL.get(ctx.type, "#fff")}" stroke="#333"/>'
            + _t(x + 10, y + 20, name, font_weight="bold")
            + _t(x + 10, y + 37, f"{ctx.type}" + (f" · team {ctx.team}" if ctx.team else ""), fill="#444")
            + _t(x + 10, y + 53, ", ".join(ctx.services)[:34], fill="#444", font_size="11")
            + "</g>"
        )
    parts.extend(labels)  # over the boxes, each on a white halo
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def describe_domain(dmap: DomainMap) -> str:
    lines = [f"{c.name} ({c.type}" + (f", team {c.team})" if c.team else ")") for c in dmap.contexts.values()]
    for r in dmap.relationships:
        if r.directed:
            lines.append(f"{r.first} is upstream of {r.second} ({r.pattern})")
        else:
            lines.append(f"{r.first} and {r.second}: {r.pattern}")
    return "; ".join(lines)


def domain_mermaid(dmap: DomainMap) -> str:
    ids: dict[str, str] = {}
    lines = ["flowchart TB"]
    if dmap.title:
        lines.insert(0, f"---\ntitle: {dmap.title}\n---")
    for c in dmap.contexts.values():
        lines.append(f"  {_node_id(c.name, ids)}[{_label(c.name + ' (' + c.type + ')')}]")
    for r in dmap.relationships:
        arrow = "-->" if r.directed else "---"
        lines.append(f"  {_node_id(r.first, ids)} {arrow}|{_label(r.pattern)}| {_node_id(r.second, ids)}")
    return "\n".join(lines) + "\n"


__all__ = [
    "describe_domain",
    "describe_wardley",
    "domain_mermaid",
    "domain_svg",
    "wardley_mermaid",
    "wardley_svg",
]
