"""The Experiments overview's small picture of each experiment: a forest plot of its primary metric's
relative lift, one horizontal interval per treatment around its point estimate, against control. Server-side
SVG, so the overview draws without script; every text is escaped.

The numbers come from `service.analyze` (the primary metric's comparisons); nothing here is statistics, only
where to draw them. Experiments on one page share one symmetric scale (`shared_domain`), so their effects can
be compared by eye: zero is in the same place on every row.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from missionos.experiments.analysis import Analysis

# Colours by verdict (as the legend under the overview says). `invalid` draws no interval at all.
VERDICT_COLOURS = {
    "validated": "#1a7f37",
    "invalidated": "#c62828",
    "inconclusive": "#9a6700",
    "too early": "#57606a",
    "invalid": "#c62828",
}
BETTER_FILL = "#dafbe1"
MUTED = "#57606a"
GRID = "#d8dde3"
INK = "#1b1f24"

# The half-widths a shared scale snaps to: ±2%, ±5%, ... ±100%. Wider intervals are cut at ±100%, with an
# arrowhead.
STEPS = (0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0)

NAME_W, VALUE_W, TOP, ROW, AXIS = 70, 64, 12, 24, 14


@dataclass(frozen=True)
class Arm:
    """One treatment against control: the relative lift and its interval (fractions: 0.05 is +5%)."""

    name: str
    effect: float
    lo: float
    hi: float


@dataclass(frozen=True)
class Forest:
    """What one experiment's picture shows."""

    experiment: str
    metric: str
    control: str
    arms: tuple[Arm, ...]
    verdict: str
    direction: str  # higher | lower: the side of zero that is better
    mme: float  # minimum meaningful relative effect, positive, in the better direction; 0 when none
    level: float  # the interval's confidence, 0.95
    note: str = ""  # why there is nothing to draw (no data yet; the sample-ratio mismatch)


def of_analysis(analysis: Analysis) -> Forest:
    """The picture of an analysis: its primary metric's relative lift per treatment."""
    design = analysis.experiment
    primary = analysis.metrics[0] if analysis.metrics else None
    arms = tuple(
        Arm(c.variation, c.relative.effect, c.relative.ci[0], c.relative.ci[1])
        for c in (primary.comparisons if primary else [])
    )
    if analysis.verdict.status == "invalid":
        note = "sample-ratio mismatch" if analysis.srm is not None and analysis.srm.mismatch else "invalid"
    elif not sum(analysis.counts.units.values()):
        note = "no data yet"
    elif not arms:
        note = "not enough data yet"
    else:
        note = ""
    return Forest(
        experiment=design.key,
        metric=primary.metric.name if primary else design.primary_metric,
        control=design.variations[0] if design.variations else "control",
        arms=arms,
        verdict=analysis.verdict.status,
        direction=design.direction,
        mme=design.mme,
        level=1 - design.alpha,
        note=note,
    )


def shared_domain(forests: Iterable[Forest]) -> float:
    """The half-width of one symmetric scale for every drawn forest: the smallest step of `STEPS` that holds
    every interval and MME with a little room, at most ±100%."""
    needed = 0.0
    for f in forests:
        if f.verdict == "invalid":
            continue
        ends = [abs(v) for a in f.arms for v in (a.lo, a.hi, a.effect) if math.isfinite(v)]
        needed = max([needed, f.mme if f.arms else 0.0, *ends])
    return next((s for s in STEPS if needed * 1.08 <= s), STEPS[-1])


def pct(value: float, digits: int = 1) -> str:
    """A signed percentage: +5.0%, -12.3%, 0%."""
    if not math.isfinite(value):
        return "unbounded"
    if round(value * 100, digits) == 0:
        return "0%"
    return f"{value * 100:+.{digits}f}%"


def _short(name: str, limit: int = 11) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def describe(forest: Forest) -> str:
    """The picture in words (the SVG's aria-label)."""
    head = f"{forest.experiment}: "
    if forest.verdict == "invalid":
        return head + f"verdict invalid ({forest.note}); no result is shown."
    if not forest.arms:
        return head + f"{forest.note or 'no data yet'}; verdict {forest.verdict}."
    level = f"{forest.level * 100:g}%"
    arms = "; ".join(
        f"{a.name} {pct(a.effect)} ({level} interval {pct(a.lo)} to {pct(a.hi)})" for a in forest.arms
    )
    mme = (
        f"; minimum meaningful effect {pct(forest.mme if forest.direction == 'higher' else -forest.mme)}"
        if forest.mme
        else ""
    )
    return (
        f"{head}relative lift of {forest.metric} against {forest.control}: {arms}{mme}; "
        f"{forest.direction} is better; verdict {forest.verdict}."
    )


def forest_svg(forest: Forest, *, domain: float | None = None, width: int = 340) -> str:
    """The forest plot of `forest` on the symmetric scale ±`domain` (its own when None).

    Rows: one per treatment, its interval as a line and its point estimate as a dot, in the verdict's colour.
    Behind them, the better side of zero is tinted; a solid line marks zero and a dashed one the MME. An
    invalid experiment, and one without data, get a box that says so instead of any interval."""
    half = domain if domain is not None else shared_domain([forest])
    plot_x0, plot_x1 = NAME_W, width - VALUE_W
    rows = max(len(forest.arms), 1)
    height = TOP + ROW * rows + AXIS
    colour = VERDICT_COLOURS.get(forest.verdict, MUTED)
    better = "right" if forest.direction == "higher" else "left"

    def x(value: float) -> float:
        clipped = min(max(value, -half), half)
        return plot_x0 + (plot_x1 - plot_x0) * (clipped + half) / (2 * half)

    out = [
        f'<svg class="forest" role="img" aria-label={quoteattr(describe(forest))} width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" data-verdict={quoteattr(forest.verdict)} '
        f'data-better="{better}" data-domain="{half:g}" font-family="system-ui, sans-serif">'
    ]
    band_y, band_h = TOP, ROW * rows
    if forest.verdict == "invalid" or not forest.arms:
        invalid = forest.verdict == "invalid"
        said = f"invalid: {forest.note}" if invalid else (forest.note or "no data yet")
        stroke = colour if invalid else MUTED
        out.append(
            f'<rect class="{"invalid" if invalid else "empty"}" x="4" y="{band_y + 2}" width="{width - 8}" '
            f'height="{band_h - 4}" fill="#f6f8fa" stroke="{stroke}" stroke-dasharray="4 3"/>'
            f'<text x="{width / 2:g}" y="{band_y + band_h / 2 + 4:g}" font-size="12" text-anchor="middle" '
            f'fill="{stroke}">{escape(said)}</text></svg>'
        )
        return "".join(out)

    zero = x(0.0)
    side_x, side_w = (zero, plot_x1 - zero) if better == "right" else (plot_x0, zero - plot_x0)
    out.append(
        f'<rect class="better" x="{side_x:.2f}" y="{band_y}" width="{side_w:.2f}" height="{band_h}" '
        f'fill="{BETTER_FILL}" opacity="0.6"/>'
    )
    for tick in (-half, -half / 2, half / 2, half):
        out.append(
            f'<line class="grid" x1="{x(tick):.2f}" x2="{x(tick):.2f}" y1="{band_y}" y2="{band_y + band_h}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
    out.append(
        f'<line class="zero" x1="{zero:.2f}" x2="{zero:.2f}" y1="{band_y - 2}" y2="{band_y + band_h + 2}" '
        f'stroke="{INK}" stroke-width="1.2"/>'
    )
    if forest.mme and forest.mme < half:
        mme = forest.mme if better == "right" else -forest.mme
        at = x(mme)
        out.append(
            f'<line class="mme" x1="{at:.2f}" x2="{at:.2f}" y1="{band_y - 2}" y2="{band_y + band_h}" '
            f'stroke="{MUTED}" stroke-width="1" stroke-dasharray="3 2" data-value="{mme:g}">'
            f"<title>minimum meaningful effect {pct(mme)}</title></line>"
            f'<text x="{at:.2f}" y="{TOP - 3}" font-size="10" fill="{MUTED}" text-anchor="middle">MME</text>'
        )
    for n, arm in enumerate(forest.arms):
        cy = band_y + ROW * n + ROW / 2
        lo, hi, mid = x(arm.lo), x(arm.hi), x(arm.effect)
        level = f"{forest.level * 100:g}%"
        tip = f"{arm.name}: {pct(arm.effect)}, {level} interval {pct(arm.lo)} to {pct(arm.hi)}"
        out.append(
            f'<g class="arm" data-variation={quoteattr(arm.name)} data-effect="{arm.effect:.6g}" '
            f'data-lo="{arm.lo:.6g}" data-hi="{arm.hi:.6g}"><title>{escape(tip)}</title>'
            f'<text x="{NAME_W - 6}" y="{cy + 4:.2f}" font-size="11" fill="{INK}" '
            f'text-anchor="end">{escape(_short(arm.name))}</text>'
            f'<line class="interval" x1="{lo:.2f}" x2="{hi:.2f}" y1="{cy:.2f}" y2="{cy:.2f}" '
            f'stroke="{colour}" stroke-width="3" stroke-linecap="round"/>'
        )
        for end, value, sign in ((lo, arm.lo, -1), (hi, arm.hi, 1)):
            if abs(value) > half or not math.isfinite(value):  # cut at the scale's edge: an arrowhead
                out.append(
                    f'<path class="cut" d="M{end + sign * 5:.2f},{cy:.2f} L{end:.2f},{cy - 4:.2f} '
                    f'L{end:.2f},{cy + 4:.2f} Z" fill="{colour}"/>'
                )
        out.append(
            f'<circle class="estimate" cx="{mid:.2f}" cy="{cy:.2f}" r="4.5" fill="{colour}" '
            'stroke="#fff" stroke-width="1.5"/>'
            f'<text x="{plot_x1 + 8}" y="{cy + 4:.2f}" font-size="12" font-weight="600" '
            f'fill="{colour}">{escape(pct(arm.effect))}</text></g>'
        )
    axis_y = band_y + band_h + AXIS - 3
    for tick in (-half, 0.0, half):
        anchor = "start" if tick < 0 else "end" if tick > 0 else "middle"
        out.append(
            f'<text class="tick" x="{x(tick):.2f}" y="{axis_y}" font-size="10" fill="{MUTED}" '
            f'text-anchor="{anchor}">{pct(tick, 0)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def days_running(started_at: dt.datetime | None, now: dt.datetime) -> int | None:
    """Whole days from an experiment's start to `now` (None when it has no start)."""
    if started_at is None:
        return None
    return max((now - started_at).days, 0)


def draw_all(analyses: Sequence[Analysis]) -> list[str]:
    """Each analysis's forest plot, all on one shared scale."""
    forests = [of_analysis(a) for a in analyses]
    half = shared_domain(forests)
    return [forest_svg(f, domain=half) for f in forests]
