"""`missionos strategy`: the strategy context's commands."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from missionos.cli.common import (
    Format,
    FormatOption,
    actor,
    console,
    database,
    emit,
    emit_json,
    parse_moment,
)
from missionos.errors import FieldError, InputError

app = typer.Typer(
    help="Strategy: OGSM plans as code, the litmus check, and the loop to live evidence.",
    no_args_is_help=True,
)

PlanFile = Annotated[Path, typer.Argument(help="The plan file (YAML).", show_default=False)]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="Judge the plan as of this date (YYYY-MM-DD). Default: today.")
]

STATUS_STYLE = {
    "on track": "green",
    "at risk": "yellow",
    "off track": "red",
    "validated": "green",
    "invalidated": "red",
    "invalid": "magenta",
    "inconclusive": "yellow",
}


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such file", source=str(path)) from None
    except UnicodeDecodeError:
        raise InputError("expected UTF-8 text", source=str(path)) from None


def _as_of(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise FieldError("--as-of", "a date like 2026-11-24") from None


@app.command("check")
def check(plan_file: PlanFile, as_of: AsOfOption = None, fmt: FormatOption = Format.table) -> None:
    """Run the litmus check on a plan file: exit 0 with no findings, 1 with findings, 2 on bad input.

    Rules: wish, untestable, no-path-to-production, unmeasured, stale, orphan, overdue. The JSON output
    (`--format json`) is {"plan": id, "findings": [{"rule", "item", "message"}], "replan": [strategy ids]}.
    """
    from missionos.strategy.service import check_text

    result = check_text(database(), _read(plan_file), source=str(plan_file), as_of=_as_of(as_of))
    if fmt is Format.json:
        emit_json(result.as_dict())
    elif fmt is Format.csv:
        emit([f.as_dict() for f in result.findings], ["rule", "item", "message"], fmt)
    else:
        if result.findings:
            emit(
                [f.as_dict() for f in result.findings],
                ["rule", "item", "message"],
                fmt,
                title=f"Litmus check of {result.plan}: {len(result.findings)} finding(s)",
            )
        else:
            console.print(f"Litmus check of {result.plan}: no findings.")
        for strategy_id in result.replan:
            console.print(f"strategy {strategy_id}: every bet was invalidated; re-plan it.")
    raise typer.Exit(1 if result.findings else 0)


@app.command("apply")
def apply(plan_file: PlanFile) -> None:
    """Store the plan as a new version when it changed (nothing is stored when it did not)."""
    from missionos.strategy.service import apply_plan

    applied = apply_plan(database(), _read(plan_file), source=str(plan_file), actor=actor())
    if not applied.changed:
        console.print(f"{applied.key}: unchanged (version {applied.version}).")
        return
    console.print(f"{applied.key}: stored version {applied.version}.")
    for line in applied.changes:
        console.print(f"  {line}", highlight=False)


@app.command("list")
def list_(fmt: FormatOption = Format.table) -> None:
    """List the stored plans with their parent in the cascade and current version."""
    from missionos.strategy.service import list_plans

    with database().session() as session:
        rows = [
            {
                "plan": p.key,
                "title": p.title,
                "parent": f"{p.parent_plan}/{p.parent_strategy}" if p.parent_plan else None,
                "version": p.version,
                "updated_at": p.updated_at,
            }
            for p in list_plans(session)
        ]
    emit(rows, ["plan", "title", "parent", "version", "updated_at"], fmt, title="Plans")


@app.command("history")
def history(
    plan: Annotated[str, typer.Argument(help="The plan id.")], fmt: FormatOption = Format.table
) -> None:
    """List the saved versions of a plan, each with what changed since the one before."""
    from missionos.strategy.service import history as plan_history

    with database().session() as session:
        versions = plan_history(session, plan)
    rows = [
        {
            "version": v.version,
            "saved_at": v.saved_at,
            "actor": v.actor,
            "changes": "; ".join(v.changes) if fmt is not Format.json else list(v.changes),
        }
        for v in versions
    ]
    emit(rows, ["version", "saved_at", "actor", "changes"], fmt, title=f"Versions of {plan}")


@app.command("diff")
def diff(
    plan: Annotated[str, typer.Argument(help="The plan id.")],
    old: Annotated[int, typer.Argument(help="The older version.")],
    new: Annotated[int, typer.Argument(help="The newer version.")],
    fmt: FormatOption = Format.table,
) -> None:
    """Show what changed between two versions of a plan, in plan terms."""
    from missionos.strategy.service import diff_versions

    with database().session() as session:
        lines = diff_versions(session, plan, old, new)
    if fmt is Format.json:
        emit_json({"plan": plan, "from": old, "to": new, "changes": lines})
        return
    if fmt is Format.csv:
        emit([{"change": line} for line in lines], ["change"], fmt)
        return
    if not lines:
        console.print(f"{plan}: versions {old} and {new} are the same plan.")
    for line in lines:
        console.print(f"- {line}", highlight=False)


@app.command("show")
def show(
    plan: Annotated[str, typer.Argument(help="The plan id.")],
    as_of: AsOfOption = None,
    version: Annotated[int | None, typer.Option(help="Show this version instead of the current one.")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """The one-page plan: objective, goals with live value and status, strategies, bets and findings."""
    from missionos.strategy.render import plan_json
    from missionos.strategy.service import evaluate

    view = evaluate(database(), plan, as_of=_as_of(as_of), version=version)
    if fmt is not Format.table:
        emit_json(plan_json(view))
        return
    p = view.plan
    head = Text(p.objective, style="bold")
    if view.parent:
        head.append(f"\ncascaded from {view.parent.key} / {p.parent_strategy}", style="dim")
    console.print(Panel(head, title=f"{p.title} ({p.key} v{view.version})", subtitle=f"as of {view.as_of}"))
    goals = Table(title="Goals", expand=True)
    for column in ("goal", "statement", "measure", "baseline", "now", "target", "status"):
        goals.add_column(column)
    for g in view.goals:
        value = g.series.value() if g.series else None
        newest = g.series.newest if g.series else None
        status = g.assessment.status.value
        goals.add_row(
            g.goal.id,
            g.goal.statement,
            g.goal.measure.label if g.goal.measure else "—",
            "—" if g.goal.baseline_value is None else f"{g.goal.baseline_value:g} ({g.goal.baseline_at})",
            "—" if value is None or newest is None else f"{value:.3g} ({newest[0]})",
            f"{g.goal.target_value:g} by {g.goal.target_by}",
            Text(status, style=STATUS_STYLE.get(status, "")),
        )
    console.print(goals)
    for s in view.strategies:
        table = Table(
            title=f"{s.strategy.id}: {s.strategy.statement}"
            + (f"  (serves {', '.join(s.strategy.serves)})" if s.strategy.serves else "")
            + ("  [RE-PLAN: every bet invalidated]" if s.replan else ""),
            expand=True,
            title_justify="left",
        )
        for column in ("bet", "hypothesis", "experiment", "verdict", "evidence"):
            table.add_column(column)
        for b in s.bets:
            experiment = (b.bet.flag and f"flag {b.bet.flag}") or b.bet.deployment or "—"
            table.add_row(
                b.bet.id,
                b.bet.hypothesis or "—",
                experiment,
                Text(b.status, style=STATUS_STYLE.get(b.status, "")),
                b.evidence_url or "—",
            )
        console.print(table)
        for a in s.actions:
            due = f" (due {a.action.due})" if a.action.due else ""
            mark = "done" if a.action.done else "open"
            console.print(
                f"  action [{mark}] {a.action.what}{due} — {a.action.owner or 'no owner'}", highlight=False
            )
        for child in s.children:
            console.print(f"  cascades to plan {child.key}: {child.title}", highlight=False)
    if view.findings:
        emit(
            [f.as_dict() for f in view.findings],
            ["rule", "item", "message"],
            Format.table,
            title=f"Findings ({len(view.findings)})",
        )
    else:
        console.print("No findings.")


@app.command("record")
def record(
    series: Annotated[str, typer.Argument(help="The manual series, e.g. call-centre-wait-minutes.")],
    value: Annotated[float, typer.Argument(help="The value.")],
    at: Annotated[
        str | None,
        typer.Option("--at", help="When the value was taken (ISO date or date-time). Default: now."),
    ] = None,
) -> None:
    """Record a value of a manual series, for goals that no system measures yet."""
    from missionos.strategy.service import record_value

    moment = parse_moment(at, option="--at") if at else dt.datetime.now(dt.UTC)
    changed = record_value(database(), series, value, moment, actor=actor())
    console.print(
        f"{series} = {value:g} at {moment.isoformat()}" + ("" if changed else " (already recorded)")
    )


@app.command("verdict")
def verdict(
    bet: Annotated[str, typer.Argument(help="The bet: PLAN/BET, a bet id, or its experiment key.")],
    status: Annotated[str, typer.Argument(help="validated|invalidated|inconclusive|invalid|too early")],
    evidence: Annotated[str, typer.Option("--evidence", help="A link to the evidence.")] = "",
) -> None:
    """Record a bet's verdict by hand; a verdict its experiment publishes later takes its place."""
    from missionos.strategy.service import record_verdict

    plan_key, bet_id = record_verdict(database(), bet, status, evidence=evidence, actor=actor())
    console.print(f"{plan_key}/{bet_id}: {status}")


@app.command("report")
def report(
    plan: Annotated[str, typer.Argument(help="The plan id.")],
    out: Annotated[Path, typer.Option("--out", help="The HTML file to write.")],
    as_of: AsOfOption = None,
) -> None:
    """Write a self-contained one-page HTML report of the plan (prints on one landscape page)."""
    from missionos.strategy.render import report_html
    from missionos.strategy.service import evaluate

    view = evaluate(database(), plan, as_of=_as_of(as_of))
    out.write_text(report_html(view), encoding="utf-8")
    console.print(f"Wrote {out} ({len(view.goals)} goals, {len(view.findings)} findings).")
