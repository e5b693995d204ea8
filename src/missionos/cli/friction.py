"""`missionos friction`: the friction register, priced by cost of delay."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from missionos.cli.common import Format, FormatOption, actor, console, database, emit, emit_json, parse_moment

app = typer.Typer(
    help="Friction: blockers and red tape that slow a value stream, priced by cost of delay (CD3).",
    no_args_is_help=True,
)


def _money(amount: float | None, currency: str) -> str:
    return "—" if amount is None else f"{amount:,.0f} {currency}"


def _row(view: Any) -> dict[str, Any]:
    p = view.price
    return {
        "key": view.key,
        "title": view.title,
        "owner": view.owner,
        "stream": view.stream,
        "step": view.step,
        "age_days": round(view.age_days, 1),
        "status": view.status,
        "wait_days": None if p.wait_days is None else round(p.wait_days, 2),
        "items_per_month": None if p.items_per_month is None else round(p.items_per_month, 1),
        "cost_per_month": _money(p.cost_per_month, p.currency),
        "effort_days": p.effort_days,
        "cd3": None if p.cd3 is None else round(p.cd3, 1),
    }


COLUMNS = ["key", "owner", "stream", "step", "age_days", "cost_per_month", "effort_days", "cd3"]


@app.command("add")
def add(
    key: Annotated[str, typer.Argument(help="A short key for the blocker, e.g. weekly-cab.")],
    title: Annotated[str, typer.Option(help="What the blocker is, in a sentence.")],
    owner: Annotated[str, typer.Option(help="Who owns clearing it (a person or a role).")],
    stream: Annotated[str, typer.Option(help="The value stream it slows.")],
    step: Annotated[
        str | None,
        typer.Option(help="The step of the stream it adds wait before (prices it from flow data)."),
    ] = None,
    team: Annotated[list[str] | None, typer.Option("--team", help="A team it slows (repeatable).")] = None,
    raised: Annotated[str | None, typer.Option(help="When it was raised (ISO date). Default: today.")] = None,
    decision: Annotated[str, typer.Option(help="The decision needed to clear it.")] = "",
    effort_days: Annotated[float, typer.Option(help="Days of effort to clear it (CD3's duration).")] = 5.0,
    wait_days: Annotated[
        float | None, typer.Option(help="The wait it adds to each item, when known better than the data.")
    ] = None,
) -> None:
    """Record a blocker (audited). Without --wait-days its wait is the step's measured median wait."""
    import datetime as dt

    from missionos import friction as service

    doc: dict[str, Any] = {
        "key": key,
        "title": title,
        "owner": owner,
        "stream": stream,
        "teams": team or [],
        "raised": (parse_moment(raised, option="--raised") if raised else dt.datetime.now(dt.UTC)),
        "decision": decision,
        "effort_days": effort_days,
    }
    if step is not None:
        doc["step"] = step
    if wait_days is not None:
        doc["wait_days"] = wait_days
    with database().session() as session:
        service.add_blocker(session, doc, actor=actor())
    console.print(f"recorded blocker [bold]{key}[/] on {stream}")


@app.command("list")
def list_blockers(
    status: Annotated[str, typer.Option(help="open, cleared or all.")] = "open",
    stream: Annotated[str | None, typer.Option(help="Only the blockers of this stream.")] = None,
    team: Annotated[str | None, typer.Option(help="Only the blockers that slow this team.")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """The register ranked by CD3 (cost of delay per month ÷ days of effort), highest first."""
    from missionos import friction as service

    with database().session() as session:
        views = service.register(session, status=status, stream=stream, team=team)
    if fmt is Format.json:
        emit_json([v.as_dict() for v in views])
        return
    emit([_row(v) for v in views], COLUMNS, fmt, title="Friction register, by CD3")
    unpriced = [v for v in views if v.price.cd3 is None]
    if unpriced and fmt is Format.table:
        for v in unpriced:
            console.print(f"[yellow]{v.key}[/] is not priced: {v.price.missing}", highlight=False)


@app.command("show")
def show(
    key: Annotated[str, typer.Argument(help="The blocker's key.")],
    fmt: FormatOption = Format.table,
) -> None:
    """One blocker: its price, what removing it is worth, and (once cleared) its measured effect."""
    from missionos import friction as service

    with database().session() as session:
        detail = service.blocker_detail(session, key)
    if fmt is not Format.table:
        emit_json(detail.as_dict())
        return
    v, p = detail.view, detail.view.price
    console.print(f"[bold]{v.key}[/]: {v.title} ({v.status}, {v.age_days:.0f} days old)", highlight=False)
    console.print(f"owner {v.owner}; slows {v.stream}" + (f" before {v.step}" if v.step else ""))
    if v.decision:
        console.print(f"decision needed: {v.decision}", highlight=False)
    if p.cost_per_month is not None:
        console.print(
            f"cost of delay {_money(p.cost_per_month, p.currency)} a month = {p.wait_days:.2f} days "
            f"of wait ({p.wait_source}) × {p.items_per_month:.1f} items a month × {p.value_per_day:,.0f} "
            f"{p.currency} a day; CD3 {p.cd3:,.1f} over {p.effort_days:g} days of effort",
            highlight=False,
        )
    else:
        console.print(f"not priced: {p.missing}", highlight=False)
    if detail.what_if:
        w = detail.what_if
        console.print(
            f"removing it: the stream's lead time {w.lead_time_hours / 24:.1f} → "
            f"{w.without_hours / 24:.1f} days"
        )
    if detail.effect:
        e = detail.effect
        change = "not measurable yet" if e.change is None else f"{e.change:+.0%}"
        console.print(
            f"effect on the wait before {e.step}: {e.before_items} items before, "
            f"{e.after_items} after; {change}"
        )


@app.command("clear")
def clear(
    key: Annotated[str, typer.Argument(help="The blocker's key.")],
    note: Annotated[str, typer.Option(help="How it was cleared (the decision taken, by whom).")],
    at: Annotated[str | None, typer.Option(help="When it was cleared (ISO date). Default: now.")] = None,
) -> None:
    """Clear a blocker with a record (audited); its effect is then measured from flow data."""
    from missionos import friction as service

    moment = parse_moment(at, option="--at") if at else None
    with database().session() as session:
        service.clear_blocker(session, key, note=note, actor=actor(), at=moment)
    console.print(f"cleared blocker [bold]{key}[/]")


@app.command("value")
def value(
    stream: Annotated[str, typer.Argument(help="The value stream.")],
    per_day: Annotated[float, typer.Argument(help="What one day of delay of one item is worth.")],
    currency: Annotated[str, typer.Option(help="ISO 4217 currency code.")] = "USD",
) -> None:
    """Set what a day of delay of one item of a stream is worth (audited)."""
    from missionos import friction as service

    with database().session() as session:
        service.set_stream_value(session, stream, per_day, currency=currency, actor=actor())
    console.print(f"{stream}: a day of delay of one item is worth {per_day:,.0f} {currency}")


@app.command("apply")
def apply(
    path: Annotated[Path, typer.Argument(help="A register file (YAML or JSON): values and blockers.")],
) -> None:
    """Apply a register file whole (or nothing of it): blockers by key, and each stream's value per day."""
    from missionos import friction as service

    doc = service.read_register_file(path)
    with database().session() as session:
        counts = service.apply_register(session, doc, actor=actor(), source=str(path))
    console.print(
        f"{counts['added']} added, {counts['updated']} updated, {counts['unchanged']} unchanged; "
        f"{counts['values']} stream values set"
    )
