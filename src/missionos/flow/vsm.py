"""The current-state value-stream map as SVG, in the Martin and Osterling layout.

Process boxes carry P/T and %C&A; wait triangles before them carry W/T; the timeline ladder below runs
W/T on its upper rungs and P/T on its lower ones; a summary box gives the total lead time, total process
time, activity ratio and rolled %C&A; the constraint is drawn in red. Output is deterministic (golden files).
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from missionos.flow.metrics import StepFigures, StreamFigures

BOX_W, BOX_H, TRI_W, GAP = 138, 96, 56, 22
CELL = TRI_W + GAP + BOX_W + GAP
LEFT, TOP = 24, 64
RED, INK, MUTED, LINE = "#c62828", "#1b1f24", "#5b6470", "#8a94a0"


def duration(hours: float | None) -> str:
    """Hours as people read them on a VSM: minutes, hours or days."""
    if hours is None:
        return "—"
    if hours < 1:
        return f"{hours * 60:.0f} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} d"


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f}%"


def _text(x: float, y: float, body: str, *, size: int = 12, anchor: str = "middle", **attrs: str) -> str:
    extra = "".join(f" {k.replace('_', '-')}={quoteattr(v)}" for k, v in attrs.items())
    head = f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{extra}>'
    return f"{head}{escape(body)}</text>"


def render(
    figures: StreamFigures,
    *,
    steps: Sequence[StepFigures] | None = None,
    subtitle: str | None = None,
    link: str | None = None,
) -> str:
    """The map of `figures` (or of `steps`, for a what-if) as a standalone SVG document."""
    steps = tuple(steps if steps is not None else figures.steps)
    constraint = figures.constraint[0][0] if figures.constraint else None
    share = dict(figures.constraint)
    width = LEFT * 2 + CELL * len(steps) + 230
    height = 360
    ladder_hi, ladder_lo = TOP + BOX_H + 86, TOP + BOX_H + 126
    total_lt = sum(s.lead_time_hours or 0.0 for s in steps)
    total_pt = sum(s.process_time_hours or 0.0 for s in steps)
    known = [s.pct_complete_accurate for s in steps if s.pct_complete_accurate is not None]
    rolled = None
    if known:
        rolled = 1.0
        for value in known:
            rolled *= value
    ratio = total_pt / total_lt if total_lt else None
    said = (
        f"The constraint is {constraint}: {percent(share[constraint])} of the time items spend in the steps."
        if constraint
        else "No item was done in the window, so there is no constraint to show."
    )
    window = f"{figures.window.since.date().isoformat()} to {figures.window.until.date().isoformat()}"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-labelledby="vsm-title vsm-desc" class="vsm" '
        'font-family="system-ui, sans-serif">',
        f'<title id="vsm-title">Value-stream map of {escape(figures.stream)}</title>',
        f'<desc id="vsm-desc">{escape(said)} Lead time {duration(total_lt)}, process time '
        f"{duration(total_pt)}, activity ratio {percent(ratio)}.</desc>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        _text(
            LEFT,
            26,
            f"{figures.stream} · {'future state (what-if)' if subtitle else 'current state'}",
            size=16,
            anchor="start",
            font_weight="600",
        ),
        _text(
            LEFT,
            46,
            subtitle or f"{figures.items_done} items done, {window} (medians per item)",
            size=12,
            anchor="start",
            fill=MUTED,
        ),
    ]
    x = LEFT
    for k, step in enumerate(steps):
        hot = step.name == constraint
        stroke = RED if hot else INK
        tri_x, box_x = x, x + TRI_W + GAP
        cy = TOP + BOX_H / 2
        # Wait triangle (inventory) before the step, with W/T under it.
        out.append(
            f'<g class="wait" data-step={quoteattr(step.name)}>'
            f'<polygon points="{tri_x + TRI_W / 2:.1f},{cy - 24:.1f} {tri_x:.1f},{cy + 22:.1f} '
            f'{tri_x + TRI_W:.1f},{cy + 22:.1f}" fill="{"#ffebe9" if hot else "#fff8c5"}" stroke="{stroke}" '
            f'stroke-width="{2.5 if hot else 1.2}"/>'
            + _text(tri_x + TRI_W / 2, cy + 16, "I", size=16, font_weight="700")
            + _text(tri_x + TRI_W / 2, cy + 42, f"W/T {duration(step.wait_before_hours)}", size=11)
            + "</g>"
        )
        # Push arrow from the triangle to the box.
        out.append(
            f'<line x1="{tri_x + TRI_W + 2:.1f}" y1="{cy:.1f}" x2="{box_x - 4:.1f}" y2="{cy:.1f}" '
            f'stroke="{LINE}" stroke-width="1.5" marker-end="url(#arrow)"/>'
        )
        # Process box with its data box.
        label = escape(step.name)
        box = [
            f'<g class="step{" constraint" if hot else ""}" data-step={quoteattr(step.name)}>',
            f'<rect x="{box_x}" y="{TOP}" width="{BOX_W}" height="{BOX_H}" rx="3" fill="#ffffff" '
            f'stroke="{stroke}" stroke-width="{3 if hot else 1.4}"/>',
            f'<rect x="{box_x}" y="{TOP}" width="{BOX_W}" height="24" fill="{RED if hot else "#12263f"}"/>',
            f'<text x="{box_x + BOX_W / 2:.1f}" y="{TOP + 17}" font-size="13" text-anchor="middle" '
            f'fill="#ffffff" font-weight="600">{label}</text>',
            _text(box_x + 10, TOP + 44, f"P/T {duration(step.process_time_hours)}", anchor="start"),
            _text(box_x + 10, TOP + 62, f"%C&A {percent(step.pct_complete_accurate)}", anchor="start"),
            _text(box_x + 10, TOP + 80, f"L/T {duration(step.lead_time_hours)}", anchor="start", fill=MUTED),
        ]
        if hot:
            box.append(
                _text(
                    box_x + BOX_W / 2,
                    TOP - 8,
                    f"Constraint · {percent(share[step.name])} of step time",
                    size=11,
                    fill=RED,
                    font_weight="700",
                )
            )
        box.append("</g>")
        out.extend(box)
        if k + 1 < len(steps):
            out.append(
                f'<line x1="{box_x + BOX_W + 2}" y1="{cy:.1f}" x2="{box_x + BOX_W + GAP - 2}" y2="{cy:.1f}" '
                f'stroke="{LINE}" stroke-width="1.5"/>'
            )
        # Timeline ladder: wait on the upper rung under the triangle, process on the lower rung under the box.
        w_end, p_end = box_x - GAP / 2, box_x + BOX_W + GAP / 2
        out.append(
            f'<polyline class="ladder" points="{x:.1f},{ladder_hi} {w_end:.1f},{ladder_hi} '
            f"{w_end:.1f},{ladder_lo} {p_end:.1f},{ladder_lo} {p_end:.1f},{ladder_hi} "
            f'{x + CELL:.1f},{ladder_hi}" '
            'fill="none" '
            f'stroke="{RED if hot else INK}" stroke-width="{2.5 if hot else 1.5}"/>'
        )
        out.append(_text((x + w_end) / 2, ladder_hi - 6, duration(step.wait_before_hours), size=11))
        out.append(_text((w_end + p_end) / 2, ladder_lo + 16, duration(step.process_time_hours), size=11))
        x += CELL
    # Summary box at the end of the ladder.
    sx = x + 10
    rows = [
        ("Lead time", duration(total_lt)),
        ("Process time", duration(total_pt)),
        ("Activity ratio", percent(ratio)),
        ("Rolled %C&A", percent(rolled)),
    ]
    out.append(
        f'<g class="summary"><rect x="{sx}" y="{TOP}" width="190" height="{24 + 22 * len(rows)}" rx="3" '
        f'fill="#eef1f4" stroke="{INK}"/>'
    )
    out.append(_text(sx + 95, TOP + 17, "Summary", size=13, font_weight="600"))
    for i, (row_name, row_value) in enumerate(rows):
        y = TOP + 40 + 22 * i
        out.append(_text(sx + 10, y, row_name, anchor="start"))
        out.append(_text(sx + 180, y, row_value, anchor="end", font_weight="600"))
    out.append("</g>")
    out.append(
        f'<line x1="{x:.1f}" y1="{ladder_hi}" x2="{sx + 190}" y2="{ladder_hi}" '
        f'stroke="{INK}" stroke-width="1"/>'
    )
    out.append(_text(sx + 95, ladder_hi - 6, f"L/T {duration(total_lt)}", size=11, font_weight="600"))
    out.append(_text(sx + 95, ladder_lo + 16, f"P/T {duration(total_pt)}", size=11, font_weight="600"))
    out.append(_text(LEFT, height - 18, said, size=12, anchor="start", fill=RED if constraint else MUTED))
    if link:
        out.insert(1, f"<a href={quoteattr(link)}>")
        out.append("</a>")
    out.insert(
        1,
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{LINE}"/></marker></defs>',
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"
