"""`missionos experiments`: the experiments context's commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from missionos import safeload
from missionos.cli.common import Format, FormatOption, actor, console, database, emit, emit_json, progress_bar
from missionos.errors import FieldError, InputError

app = typer.Typer(
    help="Experiments: feature flags, exposures, metric events and statistical verdicts.",
    no_args_is_help=True,
)
flags_app = typer.Typer(
    help="Feature flags: apply definitions, roll out, show history.", no_args_is_help=True
)
import_app = typer.Typer(
    help="Import exposures or metric events from JSON Lines or CSV.", no_args_is_help=True
)
sticky_app = typer.Typer(
    help="Sticky buckets: the variation each user is kept in when an experiment's weights change.",
    no_args_is_help=True,
)
app.add_typer(flags_app, name="flags")
app.add_typer(import_app, name="import")
app.add_typer(sticky_app, name="sticky")

MethodOption = Annotated[
    str, typer.Option("--method", help="frequentist (Welch), sequential (confidence sequences) or bayesian.")
]
AlphaOption = Annotated[float, typer.Option("--alpha", help="Significance level (two-sided).")]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such file", source=str(path)) from None
    except UnicodeDecodeError:
        raise InputError("expected UTF-8 text", source=str(path)) from None


def _load_document(path: Path) -> Any:
    import yaml

    text = _read(path)
    try:
        if path.suffix.lower() == ".json":
            return safeload.loads_json(text, source=str(path))
        return safeload.load(text, source=str(path))
    except json.JSONDecodeError as exc:
        raise InputError(f"expected JSON ({exc.msg})", source=str(path), line=exc.lineno) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            f"expected YAML ({getattr(exc, 'problem', exc)})",
            source=str(path),
            line=mark.line + 1 if mark is not None else None,
        ) from None


# --- flags -------------------------------------------------------------------------------------------------


@flags_app.command("apply")
def flags_apply(
    file: Annotated[
        Path, typer.Argument(help="A YAML (or JSON) file with `flags`, `metrics`, `experiments`.")
    ],
    fmt: FormatOption = Format.table,
) -> None:
    """Create or update flags, metrics and experiments from a file; every flag change gets a new version."""
    from missionos import experiments as service

    doc = _load_document(file)
    with database().session() as session:
        report = service.apply_document(session, doc, actor=actor(), source=str(file))
    rows: list[dict[str, Any]] = [
        {"kind": "flag", "key": c.key, "action": c.action, "version": c.version} for c in report.flags
    ]
    rows += [{"kind": "metric", "key": k, "action": "applied", "version": None} for k in report.metrics]
    rows += [
        {"kind": "experiment", "key": k, "action": "applied", "version": None} for k in report.experiments
    ]
    emit(rows, ["kind", "key", "action", "version"], fmt, title=f"Applied {file.name}")


@flags_app.command("list")
def flags_list(fmt: FormatOption = Format.table) -> None:
    """List flags with their service, version and rollout."""
    from missionos import experiments as service

    with database().session() as session:
        flags = service.list_flags(session)
    rows = [
        {
            "key": f.key,
            "service": f.service,
            "version": f.version,
            "rollout": f.rollout,
            "rules": len(f.definition.get("rules", [])),
            "default": json.dumps(f.definition.get("defaultValue")),
            "updated_by": f.updated_by,
        }
        for f in flags
    ]
    emit(rows, ["key", "service", "version", "rollout", "rules", "default", "updated_by"], fmt, title="Flags")


@flags_app.command("rollout")
def flags_rollout(
    key: Annotated[str, typer.Argument(help="The flag key.")],
    percent: Annotated[float, typer.Argument(help="The new coverage in percent, e.g. 25.")],
) -> None:
    """Raise (or lower) a flag's rollout; users already in stay in as it grows."""
    from missionos import experiments as service

    if not 0 <= percent <= 100:
        raise FieldError("PERCENT", "a percentage between 0 and 100")
    with database().session() as session:
        change = service.set_rollout(session, key, percent / 100, actor=actor())
    console.print(f"{key}: rollout {percent:g}% ({change.action}, version {change.version})")


@flags_app.command("history")
def flags_history(
    key: Annotated[str, typer.Argument(help="The flag key.")], fmt: FormatOption = Format.table
) -> None:
    """Every version of a flag: when, by whom, and its rollout."""
    from missionos import experiments as service

    with database().session() as session:
        versions = service.flag_history(session, key)
    if fmt is Format.json:
        emit_json([v.as_dict() for v in versions])
        return
    rows = [
        {
            "version": v.version,
            "at": v.changed_at,
            "by": v.changed_by,
            "rollout": v.rollout,
            "comment": v.comment,
        }
        for v in versions
    ]
    emit(rows, ["version", "at", "by", "rollout", "comment"], fmt, title=f"History of {key}")


@flags_app.command("evaluate")
def flags_evaluate(
    key: Annotated[str, typer.Argument(help="The flag key.")],
    attribute: Annotated[
        list[str] | None, typer.Option("--attr", "-a", help="A user attribute as name=value (repeatable).")
    ] = None,
) -> None:
    """Evaluate a flag for a user's attributes and print the GrowthBook result as JSON."""
    from missionos import experiments as service

    attrs: dict[str, Any] = {}
    for item in attribute or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise FieldError("--attr", f"name=value, got {item!r}")
        try:
            attrs[name] = json.loads(value)
        except json.JSONDecodeError:
            attrs[name] = value
    with database().session() as session:
        emit_json(service.evaluate(session, key, attrs))


@flags_app.command("add-client-key")
def flags_add_client_key(
    key: Annotated[str, typer.Argument(help="The client key SDKs will use: /api/features/KEY.")],
    encrypt: Annotated[
        bool, typer.Option(help="Encrypt the payload (SDKs need the printed decryption key).")
    ] = False,
) -> None:
    """Create a client key under which SDKs fetch the flags."""
    import base64
    import os

    from missionos import experiments as service

    secret = base64.b64encode(os.urandom(16)).decode() if encrypt else None
    with database().session() as session:
        service.add_client_key(session, key, actor=actor(), encryption_key=secret)
    console.print(f"Client key {key}: GET /api/features/{key}")
    if secret:
        console.print(f"Decryption key (give it to your SDK; it is not shown again): {secret}")


# --- import ------------------------------------------------------------------------------------------------

ImportFormat = Annotated[
    str | None, typer.Option("--input-format", help="jsonl or csv (default: from the file name).")
]


@import_app.command("exposures")
def import_exposures(
    file: Annotated[Path, typer.Argument(help="JSON Lines or CSV.")], input_format: ImportFormat = None
) -> None:
    """Import exposures: experiment, unit_id, variation, timestamp (with offset). All or nothing."""
    from missionos import experiments as service

    records = service.iter_file_records(file, source=str(file), fmt=input_format)
    with progress_bar("Importing exposures", None) as advance, database().session() as session:
        counts = service.import_exposures(session, records, source=str(file), progress=advance)
    console.print(f"{counts['read']} exposures read, {counts['added']} new")


@import_app.command("events")
def import_events(
    file: Annotated[Path, typer.Argument(help="JSON Lines or CSV.")], input_format: ImportFormat = None
) -> None:
    """Import metric events: unit_id, event, value (default 1), timestamp (with offset), optional id."""
    from missionos import experiments as service

    records = service.iter_file_records(file, source=str(file), fmt=input_format)
    with progress_bar("Importing events", None) as advance, database().session() as session:
        counts = service.import_events(session, records, source=str(file), progress=advance)
    console.print(f"{counts['read']} events read, {counts['added']} new")


# --- analysis ----------------------------------------------------------------------------------------------


@app.command("list")
def list_experiments(fmt: FormatOption = Format.table) -> None:
    """List experiments with their flag, primary metric and allocation."""
    from missionos import experiments as service

    with database().session() as session:
        rows = [
            {
                "key": e.key,
                "flag": e.flag_key,
                "service": e.service,
                "primary_metric": e.primary_metric,
                "variations": ", ".join(e.variations),
                "weights": ", ".join(f"{w:.0%}" for w in e.weights),
                "status": e.status,
            }
            for e in service.list_experiments(session)
        ]
    emit(
        rows,
        ["key", "flag", "service", "primary_metric", "variations", "weights", "status"],
        fmt,
        title="Experiments",
    )


@app.command("analyze")
def analyze(
    key: Annotated[str | None, typer.Argument(help="A stored experiment's key (or use --stats).")] = None,
    stats_file: Annotated[
        Path | None, typer.Option("--stats", help="Sufficient statistics (JSON) to analyse alone.")
    ] = None,
    method: MethodOption = "",
    alpha: Annotated[
        float | None,
        typer.Option(
            "--alpha",
            help="Significance level (two-sided), strictly between 0 and 1; default: the experiment's.",
        ),
    ] = None,
    correction: Annotated[
        str | None,
        typer.Option(help="Multiple-comparison correction across metrics and variations: holm or bh."),
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL of the warehouse holding exposures and events.")
    ] = None,
    exposures_table: Annotated[
        str, typer.Option(help="Exposures table at --source.")
    ] = "experiments_exposure",
    events_table: Annotated[str, typer.Option(help="Metric events table at --source.")] = "experiments_event",
    prior_mean: Annotated[
        float | None,
        typer.Option(help="Bayesian: mean of a proper Gaussian prior on the relative lift (e.g. 0)."),
    ] = None,
    prior_variance: Annotated[
        float | None,
        typer.Option(help="Bayesian: variance of that prior (e.g. 0.09); without it the prior is flat."),
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Analyse an experiment (SRM, metrics, guardrails, verdict), or sufficient statistics with --stats."""
    from missionos import experiments as service

    if alpha is not None and not 0 < alpha < 1:
        raise FieldError("--alpha", f"a number strictly between 0 and 1, e.g. 0.05; got {alpha:g}")
    prior = None
    if prior_variance is not None or prior_mean is not None:
        if prior_variance is None or not prior_variance > 0:
            raise FieldError("--prior-variance", "a positive variance of the relative lift, e.g. 0.09")
        prior = (prior_mean or 0.0, prior_variance)
    if stats_file is not None:
        doc = _load_document(stats_file)
        if prior is not None and isinstance(doc, dict):
            doc = {**doc, "prior": {"mean": prior[0], "variance": prior[1]}}
        result = service.analyze_stats(
            doc, method=method or "frequentist", alpha=alpha or 0.05, source=str(stats_file)
        )
        if fmt is Format.json:
            emit_json(result)
            return
        rows = [
            {
                "variation": r["variation"],
                "lift": r["relative"]["effect"],
                "ci": f"[{r['relative']['ci'][0]:+.2%}, {r['relative']['ci'][1]:+.2%}]",
                "p": r["relative"]["p_value"],
                "chance_to_win": r.get("chance_to_win"),
            }
            for r in result["results"]
        ]
        emit(
            rows, ["variation", "lift", "ci", "p", "chance_to_win"], fmt, title=f"{result['method']} analysis"
        )
        return
    if key is None:
        raise FieldError("KEY", "an experiment key, or --stats FILE")
    src = service.Source(source, exposures_table, events_table) if source else None
    analysis = service.analyze(
        database(),
        key,
        source=src,
        method=method or None,
        correction=correction,
        prior=prior,
        alpha=alpha,
    )
    if fmt is Format.json:
        emit_json(analysis.as_dict())
        return
    rows = []
    for m in analysis.metrics:
        for c in m.comparisons:
            lo, hi = c.relative.ci
            rows.append(
                {
                    "metric": m.metric.key,
                    "role": m.role,
                    "variation": c.variation,
                    "control": c.control_mean,
                    "treatment": c.variation_mean,
                    "lift": f"{c.relative.effect:+.2%}",
                    "ci": f"[{lo:+.2%}, {hi:+.2%}]",
                    "p": c.relative.p_value,
                    "chance_to_win": c.chance_to_win,
                    "risk": c.risk,
                }
            )
    columns = ["metric", "role", "variation", "control", "treatment", "lift", "ci", "p"]
    if any(r["chance_to_win"] is not None for r in rows):
        columns += ["chance_to_win", "risk"]
    emit(rows, columns, fmt, title=key)
    if fmt is Format.table:
        if analysis.srm:
            state = "MISMATCH" if analysis.srm.mismatch else "ok"
            console.print(f"SRM: {state} (p = {analysis.srm.p_value:.3g}; units {analysis.counts.units})")
        console.print(f"Verdict: [bold]{analysis.verdict.status}[/] — {analysis.verdict.reason}")


@app.command("power")
def power(
    baseline: Annotated[float, typer.Option(help="Baseline rate (a proportion), or mean with --sd.")],
    mde: Annotated[
        float, typer.Option(help="Minimum detectable effect, relative to the baseline (0.05 = 5%).")
    ],
    alpha: AlphaOption = 0.05,
    power_: Annotated[
        float, typer.Option("--power", help="Chance to detect the effect if it is real.")
    ] = 0.8,
    weights: Annotated[str, typer.Option(help="Traffic split, control first, e.g. 50,50 or 95,5.")] = "50,50",
    sd: Annotated[float | None, typer.Option(help="Per-unit standard deviation, for a mean metric.")] = None,
    traffic: Annotated[float | None, typer.Option(help="Units entering the experiment per day.")] = None,
    experiment: Annotated[
        str | None, typer.Option(help="Take the daily traffic from this experiment's exposures.")
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Sample per arm to detect --mde, and the days it takes at the traffic (unequal splits cost more)."""
    from missionos import experiments as service
    from missionos.experiments import stats

    try:
        ws = [float(w) for w in weights.split(",")]
    except ValueError:
        raise FieldError("--weights", f"numbers separated by commas, e.g. 50,50; got {weights!r}") from None
    daily = traffic
    if experiment and daily is None:
        daily = service.analyze(database(), experiment).daily_traffic
    result = stats.sample_size(
        baseline, mde, alpha=alpha, power=power_, weights=ws, sd=sd, daily_traffic=daily
    )
    if fmt is Format.json:
        emit_json(result.as_dict())
        return
    rows = [
        {"arm": f"arm {i}" if i else "control", "weight": w, "units": n}
        for i, (w, n) in enumerate(zip(result.weights, result.per_arm, strict=True))
    ]
    emit(rows, ["arm", "weight", "units"], fmt, title="Sample size")
    if fmt is Format.table:
        console.print(
            f"Total {result.total:,} units; an equal split needs {result.equal_split_total:,} "
            f"({result.cost_vs_equal_split:.2f}× for this split)."
        )
        if result.days is not None:
            console.print(f"At {result.daily_traffic:,.0f} units a day: {result.days} days.")


# --- sticky buckets ----------------------------------------------------------------------------------------


@sticky_app.command("list")
def sticky_list(
    attribute: Annotated[
        str | None, typer.Option("--attribute", help="Only documents of this attribute, e.g. id.")
    ] = None,
    value: Annotated[
        str | None, typer.Option("--value", help="Only documents of this attribute value.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many documents.")] = 1000,
    fmt: FormatOption = Format.table,
) -> None:
    """List stored sticky-bucket documents: for each attribute value, the variation of each sticky
    experiment (`<experiment>__<bucketVersion>`)."""
    from missionos.experiments import sticky

    with database().session() as session:
        docs = sticky.list_documents(session, attribute=attribute, value=value, limit=limit)
    if fmt is Format.json:
        emit_json([d.as_dict() for d in docs])
        return
    rows = [
        {
            "attribute": d.attribute,
            "value": d.value,
            "assignments": ", ".join(f"{k}={v}" for k, v in sorted(d.assignments.items())),
            "updated_at": d.updated_at,
        }
        for d in docs
    ]
    emit(rows, ["attribute", "value", "assignments", "updated_at"], fmt, title="Sticky buckets")


@sticky_app.command("clear")
def sticky_clear(
    attribute: Annotated[str, typer.Option("--attribute", help="The attribute of the document, e.g. id.")],
    value: Annotated[str, typer.Option("--value", help="The attribute value, e.g. user-1.")],
    experiment: Annotated[
        str | None, typer.Option("--experiment", help="Forget only this experiment's assignments.")
    ] = None,
) -> None:
    """Forget a user's sticky assignments, so their next evaluation buckets them afresh (audited)."""
    from missionos.experiments import sticky

    with database().session() as session:
        before = sticky.clear(session, attribute, value, actor=actor(), experiment=experiment)
    dropped = [
        k for k in sorted(before.assignments) if experiment is None or k.rpartition("__")[0] == experiment
    ]
    console.print(f"{attribute}={value}: cleared {len(dropped)} assignment(s): {', '.join(dropped)}")
