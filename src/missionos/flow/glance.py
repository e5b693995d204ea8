"""Small pictures of a value stream for the Flow overview: where an item's time goes, step by step, and the
weekly median flow time. Server-side SVG, so the overview draws without script; every text is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from missionos.flow.metrics import StreamFigures, WeekFigures
from missionos.flow.vsm import RED, duration

WAIT, WORK, HOT_WAIT = "#d0d7de", "#0a3069", "#ffb3ad"


def time_strip(figures: StreamFigures, *, width: int = 280, height: int = 22) -> str:
    """One bar per stream: each step's median wait (light) then work (dark), in proportion to the hours; the
    constraint's segments in red. Each segment's tooltip names the step and its hours."""
    constraint = figures.constraint[0][0] if figures.constraint else None
    segments: list[tuple[str, str, float, bool]] = []
    for step in figures.steps:
        hot = step.name == constraint
        segments.append((step.name, "waits", step.wait_before_hours or 0.0, hot))
        segments.append((step.name, "worked", step.process_time_hours or 0.0, hot))
    total = sum(hours for *_, hours, _hot in segments)
    waited = sum(hours for _, what, hours, _hot in segments if what == "waits")
    label = (
        f"Where an item's time goes in {figures.stream}: "
        + (f"{duration(waited)} waiting of {duration(total)}" if total else "no item done in the window")
        + (f"; the constraint is {constraint}" if constraint else "")
    )
    out = [
        f'<svg class="time-strip" role="img" aria-label={quoteattr(label)} width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">'
    ]
    if not total:
        out.append(
            f'<rect x="0" y="4" width="{width}" height="{height - 8}" fill="#f6f8fa" stroke="{WAIT}"/>'
        )
    x = 0.0
    for name, what, hours, hot in segments:
        if hours <= 0 or not total:
            continue
        w = width * hours / total
        fill = (RED if what == "worked" else HOT_WAIT) if hot else (WORK if what == "worked" else WAIT)
        out.append(
            f'<rect x="{x:.2f}" y="2" width="{w:.2f}" height="{height - 4}" fill="{fill}" '
            f"data-step={quoteattr(name)} data-part={quoteattr(what)}>"
            f"<title>{escape(name)}: {what} {escape(duration(hours))}</title></rect>"
        )
        x += w
    out.append("</svg>")
    return "".join(out)


def weekly_bars(stream: str, weeks: Sequence[WeekFigures], *, width: int = 150, height: int = 32) -> str:
    """A column per week of the window, its height the week's median flow time; weeks with nothing done are
    a tick on the baseline. The last week is drawn darker."""
    values = [w.flow_time_median_days for w in weeks]
    known = [v for v in values if v is not None]
    top = max(known, default=0.0) or 1.0
    label = f"Median flow time by week in {stream}: " + (
        f"{len(known)} weeks with items done, from {min(known):.1f} to {max(known):.1f} days"
        if known
        else "no item done in the window"
    )
    out = [
        f'<svg class="weekly-bars" role="img" aria-label={quoteattr(label)} width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}">'
    ]
    step = width / max(len(weeks), 1)
    for n, (week, value) in enumerate(zip(weeks, values, strict=True)):
        x = n * step + 1
        h = 1.0 if value is None else max(1.0, (height - 2) * value / top)
        fill = "#8c959f" if value is None else ("#0a3069" if n == len(weeks) - 1 else "#54aeff")
        said = "nothing done" if value is None else f"median {value:.1f} d over {week.items_done} items"
        out.append(
            f'<rect x="{x:.2f}" y="{height - h:.2f}" width="{max(step - 2, 1):.2f}" height="{h:.2f}" '
            f'fill="{fill}"><title>week of {week.week.date().isoformat()}: {said}</title></rect>'
        )
    out.append("</svg>")
    return "".join(out)
