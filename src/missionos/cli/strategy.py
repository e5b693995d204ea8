"""`missionos strategy`: the strategy context's commands."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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

if TYPE_CHECKING:
    from missionos.strategy import Applied, Goal

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
    "breached": "red",
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

    Rules: wish, untestable, no-assumption, no-path-to-production, not-small, slow, unmeasured, stale, orphan,
    unserved, no-baseline, no-target-date, overdue. The JSON output
    (`--format json`) is {"plan": id, "findings": [{"rule", "item", "message"}], "replan": [strategy ids]}.
    """
    from missionos.strategy import check_text

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
def apply(
    plan_file: PlanFile,
    as_of: AsOfOption = None,
    reason: Annotated[
        str,
        typer.Option(
            "--reason",
            help="Why this version: recorded with it, beside the verdicts it rests on (in the history).",
        ),
    ] = "",
) -> None:
    """Store the plan as a new version when it changed (nothing is stored when it did not), then print the
    litmus check of the stored version (its findings do not change the exit status).

    A new version cites the verdicts learned since the last one (validated, invalidated, inconclusive bets of
    the previous version) and records `--reason`.
    """
    from missionos.strategy import apply_plan

    applied = apply_plan(
        database(),
        _read(plan_file),
        source=str(plan_file),
        actor=actor(),
        with_findings=True,
        as_of=_as_of(as_of),
        reason=reason,
    )
    if not applied.changed:
        console.print(f"{applied.key}: unchanged (version {applied.version}).")
    else:
        console.print(f"{applied.key}: stored version {applied.version}.")
        for line in applied.changes:
            console.print(f"  {line}", highlight=False)
        for cited in applied.evidence:
            console.print(
                f"  cites {cited['bet']} {cited['status']} ({cited['evidence_url']})", highlight=False
            )
    _print_findings(applied)


@app.command("loop")
def loop_(
    plan: Annotated[str, typer.Argument(help="The plan id.")],
    as_of: AsOfOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """What the verdicts ask of a plan: scale, stop the experiment, re-plan; and where plan and experiment
    disagree (primary metric, rollout). Exit 0 when nothing is open, 1 when an action or mismatch is.

    The JSON output (`--format json`) is {"plan", "actions": [prompt], "mismatches": [prompt]}, each prompt
    {"kind", "plan", "strategy", "bet", "message", "goals", "flag", "rollout_now", "next_rollout",
    "evidence_url", "answered_by"}.
    """
    from missionos.strategy import assess_plan

    state = assess_plan(database(), plan, as_of=_as_of(as_of))
    rows = [p.as_dict() for p in state.prompts]
    if fmt is Format.json:
        emit_json(state.as_dict())
    elif not rows:
        console.print(f"{plan}: no verdict asks anything of the plan, and plan and experiments agree.")
    else:
        for row in rows:
            if row["answered_by"]:
                row["message"] += f" (answered by version {row['answered_by']})"
        emit(rows, ["kind", "bet", "message"], fmt, title=f"The loop on {plan}")
    raise typer.Exit(1 if state.open_actions or state.mismatches else 0)


@app.command("replan")
def replan_(
    plan: Annotated[str, typer.Argument(help="The plan id.")],
    op: Annotated[str, typer.Argument(help="add-bet, retire-strategy or change-target.", show_default=False)],
    field: Annotated[
        list[str] | None,
        typer.Option(
            "--field",
            "-f",
            help="NAME=VALUE, repeatable. add-bet: strategy, id, tests, hypothesis, service, flag or "
            "deployment, rollout (%), metric, direction, minimum_effect, decide_by; retire-strategy: "
            "strategy; change-target: goal, value, by.",
        ),
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why: recorded with the new version.")] = "",
) -> None:
    """Re-plan without editing YAML: the operation is applied to the current version and stored as a new
    version of its YAML (validated whole; nothing is stored on bad input)."""
    from missionos.strategy import replan

    fields: dict[str, str] = {}
    for item in field or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise FieldError("--field", f"NAME=VALUE (got {item!r})")
        fields[name.strip()] = value
    applied = replan.replan(database(), plan, op, fields, actor=actor(), reason=reason)
    if not applied.changed:
        console.print(f"{applied.key}: unchanged (version {applied.version}).")
        return
    console.print(f"{applied.key}: stored version {applied.version}.")
    for line in applied.changes:
        console.print(f"  {line}", highlight=False)


def _print_findings(applied: Applied) -> None:
    if applied.findings:
        emit(
            [f.as_dict() for f in applied.findings],
            ["rule", "item", "message"],
            Format.table,
            title=f"Litmus check of {applied.key} v{applied.version}: {len(applied.findings)} finding(s)",
        )
    else:
        console.print(f"Litmus check of {applied.key} v{applied.version}: no findings.")


@app.command("learning")
def learning_(
    plan: Annotated[str | None, typer.Option("--plan", help="Only this plan (default: every plan).")] = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Learning speed: days from each bet's start to its verdict, and the share of bets decided by their
    decision date, per team plan and per strategy (metrics.md §4)."""
    from missionos.strategy import learning

    found = learning.learning(database(), plan=plan, as_of=_as_of(as_of))
    if fmt is Format.json:
        emit_json(found.as_dict())
        return
    columns = [
        "group",
        "bets",
        "decided",
        "median_days_to_verdict",
        "decided_on_time",
        "due",
        "on_time_share",
    ]
    rows = [s.as_dict() for s in (*found.by_team, found.overall)]
    emit(rows, columns, fmt, title=f"Learning speed per team plan, as of {found.as_of}")
    if fmt is Format.table:
        emit([s.as_dict() for s in found.by_strategy], columns, fmt, title="Per strategy")


@app.command("list")
def list_(fmt: FormatOption = Format.table) -> None:
    """List the stored plans with their parent in the cascade and current version."""
    from missionos.strategy import list_plans

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
    from missionos.strategy import history as plan_history

    with database().session() as session:
        versions = plan_history(session, plan)
    from missionos.strategy import history_line

    rows = [
        {
            "version": v.version,
            "saved_at": v.saved_at,
            "actor": v.actor,
            "changes": "; ".join(v.changes) if fmt is not Format.json else list(v.changes),
            "rationale": v.rationale,
            "cites": list(v.evidence)
            if fmt is Format.json
            else "; ".join(f"{e['bet']} {e['status']}" for e in v.evidence),
            "summary": history_line(v.version, v.rationale, v.evidence, v.changes),
        }
        for v in versions
    ]
    columns = ["version", "saved_at", "actor", "changes", "rationale", "cites"]
    if fmt is Format.json:
        columns.append("summary")
    emit(rows, columns, fmt, title=f"Versions of {plan}")


@app.command("diff")
def diff(
    plan: Annotated[str, typer.Argument(help="The plan id.")],
    old: Annotated[int, typer.Argument(help="The older version.")],
    new: Annotated[int, typer.Argument(help="The newer version.")],
    fmt: FormatOption = Format.table,
) -> None:
    """Show what changed between two versions of a plan, in plan terms."""
    from missionos.strategy import diff_versions

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
    from missionos.strategy import evaluate, plan_json

    view = evaluate(database(), plan, as_of=_as_of(as_of), version=version)
    if fmt is not Format.table:
        emit_json(plan_json(view))
        return
    p = view.plan
    head = Text(p.objective, style="bold")
    if view.parent:
        head.append(f"\ncascaded from {view.parent.key} / {p.parent_strategy}", style="dim")
    wide = console.is_terminal  # piped: as wide as the content, not padded to the (unbounded) width
    console.print(
        Panel(head, title=f"{p.title} ({p.key} v{view.version})", subtitle=f"as of {view.as_of}", expand=wide)
    )
    goals = Table(title="Goals", expand=wide)
    for column in ("goal", "statement", "measure", "baseline", "now", "target", "status", "why"):
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
            _target(g.goal),
            Text(status, style=STATUS_STYLE.get(status, "")),
            g.assessment.reason,
        )
    console.print(goals)
    for s in view.strategies:
        table = Table(
            title=f"{s.strategy.id}: {s.strategy.statement}"
            + (f"  (serves {', '.join(s.strategy.serves)})" if s.strategy.serves else "")
            + ("  [RE-PLAN: every bet invalidated]" if s.replan else ""),
            expand=wide,
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


def _target(goal: Goal) -> str:
    """`limit 0.05 (lower is better) until 2027-09-30` for a guardrail, `3 by 2027-09-30` for a move."""
    better = f" ({goal.better} is better)" if goal.better else ""
    if goal.is_guardrail:
        until = f" until {goal.target_by}" if goal.target_by else ""
        return f"guardrail: limit {goal.target_value:g}{better}{until}"
    return f"{goal.target_value:g} by {goal.target_by or '(no date)'}{better}"


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
    from missionos.strategy import record_value

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
    from missionos.strategy import record_verdict

    plan_key, bet_id = record_verdict(database(), bet, status, evidence=evidence, actor=actor())
    console.print(f"{plan_key}/{bet_id}: {status}")


@app.command("report")
def report(
    plan: Annotated[str, typer.Argument(help="The plan id.")],
    out: Annotated[Path, typer.Option("--out", help="The HTML file to write.")],
    as_of: AsOfOption = None,
) -> None:
    """Write a self-contained one-page HTML report of the plan (prints on one landscape page)."""
    from missionos.strategy import evaluate, report_html

    view = evaluate(database(), plan, as_of=_as_of(as_of))
    out.write_text(report_html(view), encoding="utf-8")
    console.print(f"Wrote {out} ({len(view.goals)} goals, {len(view.findings)} findings).")
