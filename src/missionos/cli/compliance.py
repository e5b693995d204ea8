"""`missionos compliance`: the compliance context's commands."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from missionos import compliance as service
from missionos.cli.common import (
    Format,
    FormatOption,
    actor,
    console,
    database,
    emit,
    emit_json,
    err_console,
    progress_bar,
)
from missionos.compliance import LeveragedAuthorization, kinds, oscal, pack_oscal, trust
from missionos.errors import FieldError

app = typer.Typer(
    help="Compliance: continuous ATO from pipeline evidence, with OSCAL in and out.", no_args_is_help=True
)
system_app = typer.Typer(help="Systems under authorization: their services, baseline and provider.")
evidence_app = typer.Typer(help="Evidence: pipeline artifacts parsed into facts, kept with their SHA-256.")
threshold_app = typer.Typer(help="The floor the drift gate holds a system to.")
keys_app = typer.Typer(
    help="Public keys trusted to sign provenance (DSSE envelopes), and CAs trusted to certify signers."
)
pack_app = typer.Typer(help="Mapping packs: to and from OSCAL component definitions with rules.")
baseline_app = typer.Typer(help="The accepted baseline the drift gate compares against.")
trust_app = typer.Typer(
    help="Supply-chain trust: the builders, sources and signers a system's provenance may name."
)
app.add_typer(system_app, name="system", no_args_is_help=True)
app.add_typer(evidence_app, name="evidence", no_args_is_help=True)
app.add_typer(threshold_app, name="threshold", no_args_is_help=True)
app.add_typer(keys_app, name="keys", no_args_is_help=True)
app.add_typer(pack_app, name="pack", no_args_is_help=True)
app.add_typer(baseline_app, name="baseline", no_args_is_help=True)
app.add_typer(trust_app, name="trust", no_args_is_help=True)

SystemOption = Annotated[str, typer.Option("--system", "-s", help="The system's name, e.g. benefits-portal.")]


def parse_span(text: str, *, option: str) -> int:
    return service.span_days(text, field=option)


@app.command("controls")
def controls_cmd(
    baseline: Annotated[
        str, typer.Option(help="low, moderate, high or privacy, or the path of an OSCAL profile/catalog.")
    ] = "moderate",
    family: Annotated[str | None, typer.Option(help="Only this family, e.g. CM.")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List a baseline's controls with their titles and SP 800-53A assessment objectives."""
    found = service.controls(baseline, family=family)
    if fmt is Format.json:
        emit_json(
            [
                {
                    "control": c.id,
                    "label": c.label,
                    "title": c.title,
                    "family": c.family,
                    "objectives": [{"label": o.label, "prose": o.prose} for o in c.objectives],
                }
                for c in found
            ]
        )
        return
    rows = [
        {
            "control": c.label,
            "title": c.title,
            "objectives": "\n".join(f"{o.label} {o.prose}" for o in c.objectives),
        }
        for c in found
    ]
    emit(rows, ["control", "title", "objectives"], fmt, title=f"{len(rows)} controls")


@system_app.command("add")
def system_add(
    name: Annotated[str, typer.Argument(help="The system's name.")],
    service_names: Annotated[list[str], typer.Option("--service", help="A service in the system (repeat).")],
    baseline: Annotated[
        str, typer.Option(help="low, moderate, high, privacy, or an OSCAL profile file.")
    ] = "moderate",
    provider: Annotated[
        str | None,
        typer.Option(help="The platform the system inherits controls from, e.g. factory-pipeline."),
    ] = None,
    description: Annotated[str, typer.Option(help="What the system does.")] = "",
    pack: Annotated[
        str | None, typer.Option(help="The organization's own mapping pack (YAML) to lay over the default.")
    ] = None,
    remediation: Annotated[
        list[str] | None,
        typer.Option(
            help="Days a finding of a severity may stay open, where this system differs from its pack "
            "(FedRAMP: critical and high 30d, medium 90d, low 180d), e.g. high=15d (repeat)."
        ),
    ] = None,
    provider_authorization: Annotated[
        str | None,
        typer.Option(
            help="The provider's leveraged authorization, e.g. 'FedRAMP High P-ATO F1234567890'; without "
            "it inherited controls are not relied on."
        ),
    ] = None,
    authorized_on: Annotated[
        str | None, typer.Option(help="The date of the provider's authorization (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Define (or update) a system: its services, baseline, control provider (with its leveraged
    authorization), remediation windows and mapping pack."""
    days = service.remediation_spans(remediation or [])
    authorization = _authorization(provider_authorization, authorized_on)
    db = database()
    with db.session() as session:
        info = service.define_system(
            session,
            name,
            baseline=baseline,
            services=service_names,
            provider=provider,
            description=description,
            pack=pack,
            remediation_days=days or None,
            authorization=authorization,
            actor=actor(),
        )
    console.print(f"System {info.name}: {len(info.services)} services on the {info.baseline} baseline.")


def _authorization(title: str | None, on: str | None) -> LeveragedAuthorization | None:
    if title is None and on is None:
        return None
    if not title or not title.strip():
        raise FieldError("--provider-authorization", "the title of the provider's authorization")
    if on is None:
        raise FieldError("--authorized-on", "the date the provider was authorized, e.g. 2026-01-31")
    try:
        return LeveragedAuthorization(title.strip(), dt.date.fromisoformat(on))
    except ValueError:
        raise FieldError("--authorized-on", "a date such as 2026-01-31") from None


@system_app.command("list")
def system_list(fmt: FormatOption = Format.table) -> None:
    """List the systems with their services, baseline and provider."""
    with database().session() as session:
        rows = [s.as_dict() | {"services": ", ".join(s.services)} for s in service.list_systems(session)]
    emit(rows, ["name", "baseline", "services", "provider", "pack"], fmt, title="Systems")


@evidence_app.command("add")
def evidence_add(
    files: Annotated[
        list[Path], typer.Argument(help="Evidence files; all are stored, or none if one is bad.")
    ],
    kind: Annotated[
        str, typer.Option(help="junit, sarif, cyclonedx, vex, spdx, slsa-provenance or attestation.")
    ],
    subject: Annotated[
        str, typer.Option(help="What it is about: a system, service, or service@deployment/run.")
    ],
    expires: Annotated[str | None, typer.Option(help="Expire the evidence after a span such as 30d.")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Parse evidence files into facts and store them with the SHA-256 of each raw file (idempotent)."""
    if kind not in kinds():
        raise FieldError("--kind", f"one of {', '.join(kinds())}")
    days = parse_span(expires, option="--expires") if expires else None
    with database().session() as session, progress_bar("Parsing evidence", len(files)) as advance:
        added = []
        for path in files:
            added += service.add_evidence_batch(
                session, [(path, kind, subject)], expires_in_days=days, recorded_by=actor()
            )
            advance()
    rows = [e.as_dict(facts=False) | {"new": e.created} for e in added]
    if fmt is Format.json:
        emit_json([e.as_dict() | {"new": e.created} for e in added])
        return
    emit(rows, ["id", "kind", "subject", "collected_at", "sha256", "new", "summary"], fmt, title="Evidence")


@evidence_app.command("list")
def evidence_list(
    subject: Annotated[str | None, typer.Option(help="Only evidence about this subject.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only evidence of this kind.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 100,
    fmt: FormatOption = Format.table,
) -> None:
    """List evidence records, newest first."""
    with database().session() as session:
        rows = [
            e.as_dict(facts=False)
            for e in service.list_evidence(session, subject=subject, kind=kind, limit=limit)
        ]
    emit(rows, ["id", "kind", "subject", "collected_at", "expires_at", "summary"], fmt, title="Evidence")


@evidence_app.command("show")
def evidence_show(evidence_id: Annotated[int, typer.Argument(help="The evidence record's id.")]) -> None:
    """Show one evidence record with all its facts (JSON)."""
    with database().session() as session:
        emit_json(service.get_evidence(session, evidence_id).as_dict())


@app.command("attest")
def attest_cmd(
    system: SystemOption,
    control: Annotated[list[str], typer.Option("--control", "-c", help="A control id, e.g. ps-3 (repeat).")],
    by: Annotated[str, typer.Option(help="The name of the person attesting.")],
    statement: Annotated[str, typer.Option(help="How the control is met.")],
    expires: Annotated[str, typer.Option(help="How long the attestation holds, e.g. 90d or 1y.")] = "365d",
) -> None:
    """Record a named person's attestation of how controls are met, with an expiry."""
    days = parse_span(expires, option="--expires")
    with database().session() as session:
        info = service.attest(
            session,
            system=system,
            controls=control,
            by=by,
            statement=statement,
            expires_in_days=days,
            recorded_by=actor(),
        )
    console.print(f"Attestation {info.id} by {by} recorded; it expires on {info.expires_at:%Y-%m-%d}.")


@app.command("assess")
def assess_cmd(
    system: SystemOption,
    baseline: Annotated[
        str | None, typer.Option(help="Override the system's baseline (name or profile file).")
    ] = None,
    pack: Annotated[str | None, typer.Option(help="The organization's own mapping pack (YAML).")] = None,
    oscal_out: Annotated[
        Path | None,
        typer.Option(
            "--oscal-out",
            help="Write the OSCAL package here: ssp.json, assessment-plan.json, assessment-results.json, "
            "poam.json, profile.json, catalog.json and the evidence files they link to.",
        ),
    ] = None,
    fmt: Annotated[
        Format, typer.Option("--format", "-f", help="Output format: table or json.")
    ] = Format.table,
) -> None:
    """Assess every control of the system's baseline from its evidence, store the result, and report it."""
    with database().session() as session:
        done = service.assess_system(session, system, baseline=baseline, pack=pack)
        files = service.assessed_files(session, done) if oscal_out is not None else {}
    result = done.result
    if oscal_out is not None:
        oscal.write_package(files, oscal_out)
    if fmt is Format.json:
        emit_json(result.as_dict())
        return
    counts = result.counts()
    console.print(
        f"[bold]{system}[/] against {done.baseline.name} ({len(result.controls)} controls, "
        f"pack {done.pack.label}): " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items())
    )
    rows = [
        {
            "control": c.label,
            "title": c.title,
            "status": c.status_text(),
            "findings": "; ".join(f.description for f in c.findings if f.kind == "control"),
        }
        for c in result.controls
        if c.status == "not-satisfied" or c.open_items()
    ]
    emit(
        rows,
        ["control", "title", "status", "findings"],
        fmt,
        title="Controls not satisfied, or tracking open items",
    )
    items = result.findings()
    if items:
        late = sum(1 for f in items if f.overdue)
        console.print(f"{len(items)} open findings (POA&M items), {late} past their deadline.")
    if oscal_out is not None:
        evidence = sum(1 for p in files if p.startswith("evidence/"))
        console.print(
            f"OSCAL package written to {oscal_out}: {', '.join(p for p in files if '/' not in p)} "
            f"and {evidence} evidence file(s)"
        )


@app.command("ssp")
def ssp_cmd(
    system: SystemOption,
    out: Annotated[
        Path,
        typer.Option(
            help="Where to write the system security plan (JSON); the profile.json and catalog.json it "
            "imports are written beside it."
        ),
    ],
) -> None:
    """Write an OSCAL system security plan with the mapping pack's implementation statements and parameter
    values, and the baseline profile and catalog it imports beside it."""
    with database().session() as session:
        files = service.latest_files(session, system)
    wanted = {p: files[p] for p in (oscal.PROFILE_FILE, oscal.CATALOG_FILE)}
    oscal.write_package(wanted, out.parent)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(files[oscal.SSP_FILE])
    console.print(f"System security plan for {system} written to {out}, with profile.json and catalog.json.")


@app.command("gate")
def gate_cmd(
    system: SystemOption,
    against: Annotated[
        str,
        typer.Option(
            help="'baseline' (the accepted baseline, see `compliance baseline accept`) or an assessment "
            "JSON file."
        ),
    ] = "baseline",
    fmt: Annotated[
        Format, typer.Option("--format", "-f", help="Output format: table or json.")
    ] = Format.table,
) -> None:
    """The drift gate for CI: exit 1 when the system is less compliant than its accepted baseline (a control
    got worse, a new open high or critical finding, a finding newly past its deadline) or its threshold."""
    with database().session() as session:
        verdict = service.gate(session, system, against=against)
    if fmt is Format.json:
        emit_json(verdict.as_dict())
    else:
        state = "[green]passed[/]" if verdict.passed else "[red]failed[/]"
        console.print(
            f"Gate {state} for {system} against {verdict.against}: "
            f"{verdict.share_now:.1%} of controls satisfied or inherited"
            + (f" (was {verdict.share_before:.1%})" if verdict.share_before is not None else "")
        )
        for reason in verdict.reasons:
            console.print(f"  {reason}")
        for r in verdict.regressions:
            if r.finding is None:
                console.print(f"  {r.control.upper()}: {r.before} -> {r.after}")
            else:
                console.print(f"  {r.control.upper()} ({r.service}): {r.why}", markup=False)
    if not verdict.passed:
        raise typer.Exit(1)


@baseline_app.command("accept")
def baseline_accept(
    system: SystemOption,
    note: Annotated[
        str, typer.Option(help="Why this assessment is accepted (kept in the audit trail).")
    ] = "",
    assessment: Annotated[
        int | None, typer.Option(help="Accept this stored assessment (an id from `history`), not the latest.")
    ] = None,
) -> None:
    """Accept the latest stored assessment as the baseline the gate compares against, until the next accept
    (audited)."""
    with database().session() as session:
        _, after = service.accept_baseline(
            session, system, actor=actor(), note=note, assessment_id=assessment
        )
    console.print(
        f"Baseline for {system}: the assessment of {after.assessed_at:%Y-%m-%d %H:%M} "
        f"({after.satisfied_share:.1%} satisfied or inherited, {len(after.findings)} open findings)."
    )


@baseline_app.command("show")
def baseline_show(system: SystemOption, fmt: FormatOption = Format.table) -> None:
    """Show the accepted baseline: which assessment, when and by whom it was accepted."""
    with database().session() as session:
        found = service.accepted_baseline(session, system)
    if found is None:
        if fmt is Format.json:
            emit_json(None)
        else:
            console.print(f"No accepted baseline for {system}; accept one with `compliance baseline accept`.")
        return
    emit(
        [found.as_dict()],
        ["assessment_id", "assessed_at", "satisfied_share", "open_findings", "accepted_at", "accepted_by"],
        fmt,
        title=f"Accepted baseline of {system}",
    )


@threshold_app.command("set")
def threshold_set(
    system: SystemOption,
    min_share: Annotated[float, typer.Option(help="Least share (0..1) of controls satisfied or inherited.")],
    max_open_findings: Annotated[int | None, typer.Option(help="Most open findings allowed.")] = None,
) -> None:
    """Store the threshold the gate also enforces."""
    with database().session() as session:
        service.set_threshold(
            session, system, min_share=min_share, max_open_findings=max_open_findings, actor=actor()
        )
    console.print(f"Threshold for {system}: at least {min_share:.0%} of controls satisfied or inherited.")


@trust_app.command("set")
def trust_set(
    system: SystemOption,
    builder: Annotated[
        list[str],
        typer.Option(
            help="An allowed builder id, a glob such as https://builder.example/*@refs/tags/v* (repeat)."
        ),
    ],
    source: Annotated[
        list[str],
        typer.Option(help="An allowed source repository, e.g. https://github.com/org/* (repeat)."),
    ],
    signer: Annotated[
        list[str] | None,
        typer.Option(
            help="An allowed signer: a trusted key's name or a certificate identity (glob; repeat)."
        ),
    ] = None,
) -> None:
    """Set the system's supply-chain trust policy: provenance counts only from these builders and sources,
    and is signed only when one of these signers signed it (audited)."""
    found = trust.policy(builder, source, signer or [])
    with database().session() as session:
        service.set_trust_policy(session, system, found, actor=actor())
    console.print(
        f"Trust policy for {system}: {len(found.builders)} builder(s), {len(found.sources)} source(s), "
        f"{len(found.signers)} signer(s)."
    )


@trust_app.command("show")
def trust_show(system: SystemOption, fmt: FormatOption = Format.table) -> None:
    """Show the system's supply-chain trust policy."""
    with database().session() as session:
        policy = service.get_system(session, system).trust_policy
    doc = policy.as_dict() if policy else {"builders": [], "sources": [], "signers": []}
    rows = [{"field": k, "allowed": ", ".join(v) or "(none: nothing is trusted)"} for k, v in doc.items()]
    if fmt is Format.json:
        emit_json(doc)
        return
    emit(rows, ["field", "allowed"], fmt, title=f"Trust policy of {system}")


def _reverified(change: dict[str, Any]) -> str:
    return f"{change['reverified']} stored provenance record(s) changed their signature status."


@keys_app.command("add")
def keys_add(
    name: Annotated[str, typer.Argument(help="A name for the key, e.g. factory-builder.")],
    file: Annotated[
        Path,
        typer.Argument(
            help="The PEM public key (Ed25519, ECDSA or RSA), or a certificate authority's PEM certificate "
            "(such as Sigstore's root and intermediate) that certifies the signers of Sigstore bundles."
        ),
    ],
) -> None:
    """Trust a public key to sign provenance, or a certificate authority to certify its signers; stored
    provenance is verified again with it."""
    try:
        pem = file.read_bytes()
    except OSError as exc:
        raise FieldError("FILE", f"a readable PEM file ({exc.strerror})", source=str(file)) from None
    with database().session() as session:
        added = service.add_signing_key(session, name, pem, source=str(file), actor=actor())
    console.print(f"Trusted {name} (key id {added['key_id'][:16]}…); {_reverified(added)}")


@keys_app.command("list")
def keys_list(fmt: FormatOption = Format.table) -> None:
    """List the trusted signing keys."""
    with database().session() as session:
        rows = service.list_signing_keys(session)
    emit(rows, ["name", "type", "key_id", "added_at", "added_by"], fmt, title="Trusted signing keys")


@keys_app.command("remove")
def keys_remove(name: Annotated[str, typer.Argument(help="The key's name.")]) -> None:
    """Stop trusting a key; provenance only it signed is unverified from now on."""
    with database().session() as session:
        removed = service.remove_signing_key(session, name, actor=actor())
    console.print(f"Removed {name}; {_reverified(removed)}")


@app.command("history")
def history_cmd(system: SystemOption, fmt: FormatOption = Format.table) -> None:
    """List the system's stored assessments, oldest first."""
    with database().session() as session:
        rows = [a.as_dict() | a.counts for a in service.history(session, system)]
    cols = ["id", "assessed_at", "baseline", "satisfied_share", "open_findings", *service.STATUS_KEYS]
    emit(rows, cols, fmt, title=f"Assessments of {system}")


@app.command("import")
def import_cmd(
    file: Annotated[
        Path, typer.Argument(help="An OSCAL JSON document (component definition, assessment results, ...).")
    ],
    fmt: Annotated[
        Format, typer.Option("--format", "-f", help="Output format: table or json.")
    ] = Format.table,
) -> None:
    """Read an OSCAL document from another tool and summarize what it holds."""
    found = oscal.read_oscal(file)
    if fmt is Format.json:
        emit_json({"model": found.model, "title": found.title, **found.summary})
        return
    console.print(f"{found.model}: {found.title}")
    for key, value in found.summary.items():
        console.print(f"  {key}: {value}")


@pack_app.command("from-oscal")
def pack_from_oscal(
    file: Annotated[
        Path, typer.Argument(help="An OSCAL component definition whose rules name checks (JSON).")
    ],
    out: Annotated[
        Path | None, typer.Option(help="Where to write the pack (YAML); standard output when not given.")
    ] = None,
) -> None:
    """Turn a component definition's rules into a mapping pack to lay over the default (`--pack`)."""
    from missionos.compliance import dump_yaml, pack_document

    converted = pack_oscal.read_component_definition_pack(file)
    text = dump_yaml(pack_document(converted.pack))
    for note in converted.notes():
        err_console.print(f"[yellow]note:[/] {note}", highlight=False, soft_wrap=True)
    if out is None:
        typer.echo(text, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    pack = converted.pack
    console.print(
        f"Pack {pack.label} written to {out}: {len(pack.checks)} checks, "
        f"{len(pack.mapped_controls())} controls, from {converted.rules} rules."
    )


@pack_app.command("to-oscal")
def pack_to_oscal(
    out: Annotated[Path, typer.Option(help="Where to write the component definition (JSON).")],
    pack: Annotated[
        str | None, typer.Option(help="A mapping pack file (YAML); the default pack when not given.")
    ] = None,
    layered: Annotated[
        bool, typer.Option(help="Lay --pack over the default pack first, as `assess --pack` does.")
    ] = False,
) -> None:
    """Write a mapping pack as an OSCAL component definition whose rules are its checks."""
    from missionos.compliance import default_pack, pack_for, read_pack
    from missionos.store import utcnow

    chosen = pack_for(pack) if layered else read_pack(Path(pack)) if pack else default_pack()
    oscal.write(pack_oscal.component_definition(chosen, utcnow()), out)
    console.print(
        f"Component definition of pack {chosen.label} written to {out}: {len(chosen.checks)} rules."
    )
