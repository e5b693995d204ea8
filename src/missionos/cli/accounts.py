"""`missionos auth` (users and API tokens), `missionos audit` (the audit log) and `missionos hooks` (webhook
secrets, stored deliveries, replay)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from missionos.accounts import audit, settings, tokens, users
from missionos.cli.common import Format as OutputFormat
from missionos.cli.common import (
    FormatOption,
    SinceOption,
    UntilOption,
    actor,
    console,
    database,
    emit,
    emit_json,
    err_console,
    parse_moment,
    progress_bar,
)
from missionos.errors import FieldError
from missionos.ingest import inbox, processor

auth_app = typer.Typer(help="Sign-in: local users and API tokens.", no_args_is_help=True)
user_app = typer.Typer(
    help="Local user accounts (argon2id password hashes, roles per team).", no_args_is_help=True
)
token_app = typer.Typer(
    help="API tokens: scoped read, write or admin; shown once, stored hashed.", no_args_is_help=True
)
auth_app.add_typer(user_app, name="user")
auth_app.add_typer(token_app, name="token")
audit_app = typer.Typer(help="The append-only audit log of every write.", no_args_is_help=True)
hooks_app = typer.Typer(help="Webhooks: secrets, stored deliveries and replay.", no_args_is_help=True)
secret_app = typer.Typer(help="Webhook secrets (never shown back).", no_args_is_help=True)
hooks_app.add_typer(secret_app, name="secret")


class Role(StrEnum):
    viewer = "viewer"
    editor = "editor"
    admin = "admin"


class Scope(StrEnum):
    read = "read"
    write = "write"
    admin = "admin"


class Source(StrEnum):
    github = "github"
    gitlab = "gitlab"
    events = "events"


TeamsOption = Annotated[
    list[str] | None,
    typer.Option("--team", help="Limit the role to this team (repeatable). Default: every team."),
]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input instead of a prompt.")
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@user_app.command("create")
def user_create(
    name: Annotated[str, typer.Argument(help="The user's sign-in name.")],
    role: Annotated[Role, typer.Option(help="viewer, editor or admin.")] = Role.viewer,
    team: TeamsOption = None,
    no_password: Annotated[
        bool,
        typer.Option("--no-password", help="No local password: the user signs in through the trusted proxy."),
    ] = False,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a user (prompts for a password of at least 12 characters)."""
    password = None if no_password else _password(password_stdin)
    with database().session() as session:
        info = users.create_user(session, name, role=role.value, actor=actor(), password=password, teams=team)
    console.print(
        f"Created user {info.name} ({info.role}{', teams ' + ', '.join(info.teams) if info.teams else ''})."
    )


@user_app.command("list")
def user_list(fmt: FormatOption = OutputFormat.table) -> None:
    """List users with role, teams and whether they have a password."""
    with database().session() as session:
        rows = [u.as_dict() for u in users.list_users(session)]
    for r in rows:
        if fmt is OutputFormat.table:
            r["teams"] = ", ".join(r["teams"]) if r["teams"] else "every team"
    emit(rows, ["name", "role", "teams", "disabled", "has_password", "created_at"], fmt, title="Users")


@user_app.command("update")
def user_update(
    name: Annotated[str, typer.Argument(help="The user to change.")],
    role: Annotated[Role | None, typer.Option(help="New role.")] = None,
    team: TeamsOption = None,
    all_teams: Annotated[bool, typer.Option("--all-teams", help="Let the role hold for every team.")] = False,
    disable: Annotated[
        bool | None, typer.Option("--disable/--enable", help="Disable (ending their sessions) or enable.")
    ] = None,
) -> None:
    """Change a user's role, teams, or disabled flag."""
    with database().session() as session:
        info = users.update_user(
            session,
            name,
            actor=actor(),
            role=role.value if role else None,
            teams=team,
            all_teams=all_teams,
            disabled=disable,
        )
    console.print(
        f"{info.name}: {info.role}, {'teams ' + ', '.join(info.teams) if info.teams else 'every team'}"
        f"{', disabled' if info.disabled else ''}."
    )


@user_app.command("password")
def user_password(
    name: Annotated[str, typer.Argument(help="The user whose password to set.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Set a user's password (ends their sessions)."""
    password = _password(password_stdin)
    with database().session() as session:
        users.set_password(session, name, password, actor=actor())
    console.print(f"Password of {name} set.")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option("--name", help="What the token is for, e.g. ci-pipeline.")],
    scope: Annotated[Scope, typer.Option(help="read, write or admin.")] = Scope.read,
    team: Annotated[str | None, typer.Option(help="Limit the token to one team.")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Create an API token and print it once; only its hash is kept."""
    with database().session() as session:
        info, secret = tokens.create_token(session, name=name, scope=scope.value, team=team, actor=actor())
    if fmt is OutputFormat.json:
        emit_json({**info.as_dict(), "token": secret})
        return
    err_console.print(
        f"Token {info.name} ({info.scope}{', team ' + info.team if info.team else ''}) created. "
        "Copy it now: it is not shown again."
    )
    print(secret)


@token_app.command("list")
def token_list(
    include_revoked: Annotated[bool, typer.Option("--all", help="Include revoked tokens.")] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """List API tokens (never their secrets) with scope, team, and last use."""
    with database().session() as session:
        rows = [t.as_dict() for t in tokens.list_tokens(session, include_revoked=include_revoked)]
    columns = [
        "id",
        "name",
        "prefix",
        "scope",
        "team",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    emit(rows, columns, fmt, title="API tokens")


@token_app.command("revoke")
def token_revoke(ref: Annotated[str, typer.Argument(help="The token's id or prefix (mos_...).")]) -> None:
    """Revoke an API token; requests that present it are refused from now on."""
    with database().session() as session:
        info = tokens.revoke_token(session, ref, actor=actor())
    console.print(f"Token {info.name} (mos_{info.prefix}) is revoked.")


@audit_app.command("list")
def audit_list(
    kind: Annotated[
        str | None, typer.Option(help="Only this kind of object (plan, flag, user, token...).")
    ] = None,
    key: Annotated[str | None, typer.Option(help="Only this object.")] = None,
    who: Annotated[str | None, typer.Option("--actor", help="Only this actor.")] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    limit: Annotated[int, typer.Option(help="At most this many entries, newest first.")] = 50,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Show audit entries, newest first: when, who, what, and before/after."""
    start = parse_moment(since, option="--since") if since else None
    end = parse_moment(until, option="--until") if until else None
    with database().session() as session:
        rows = [
            e.as_dict()
            for e in audit.entries(
                session, kind=kind, key=key, actor=who, since=start, until=end, limit=limit
            )
        ]
    emit(rows, ["id", "at", "actor", "action", "kind", "key", "before", "after"], fmt, title="Audit log")


@audit_app.command("export")
def audit_export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (default: stdout).")
    ] = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind of object.")] = None,
    who: Annotated[str | None, typer.Option("--actor", help="Only this actor.")] = None,
    since: SinceOption = None,
    until: UntilOption = None,
) -> None:
    """Export the audit log as JSON Lines, oldest first (one object per line)."""
    start = parse_moment(since, option="--since") if since else None
    end = parse_moment(until, option="--until") if until else None
    count = 0
    with database().session() as session:
        out = output.open("w", encoding="utf-8") if output else sys.stdout
        try:
            for line in audit.export_lines(session, kind=kind, actor=who, since=start, until=end):
                out.write(line)
                count += 1
        finally:
            if output:
                out.close()
    if output:
        err_console.print(f"Wrote {count} audit entries to {output}.")


@secret_app.command("set")
def secret_set(
    source: Annotated[Source, typer.Argument(help="github, gitlab or events.")],
    from_stdin: Annotated[bool, typer.Option("--stdin", help="Read the secret from standard input.")] = False,
) -> None:
    """Set the shared secret of a webhook receiver (prompted, never echoed or shown back)."""
    secret = sys.stdin.readline().strip() if from_stdin else str(typer.prompt("Secret", hide_input=True))
    with database().session() as session:
        settings.set_hook_secret(session, source.value, secret, actor=actor())
    console.print(f"Secret for /hooks/{source.value} set.")


@secret_app.command("list")
def secret_list(fmt: FormatOption = OutputFormat.table) -> None:
    """Which webhook receivers have a secret (the secrets themselves are never shown)."""
    with database().session() as session:
        found = settings.hook_secrets_configured(session)
    emit([{"source": s, "configured": c} for s, c in found.items()], ["source", "configured"], fmt)


@hooks_app.command("list")
def hooks_list(
    status: Annotated[str | None, typer.Option(help="received, processed, ignored or failed.")] = None,
    source: Annotated[Source | None, typer.Option(help="Only this receiver.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """List stored webhook deliveries with their status and last error."""
    if status and status not in inbox.STATUSES:
        raise FieldError("--status", f"one of {', '.join(inbox.STATUSES)}")
    with database().session() as session:
        rows = [
            d.as_dict()
            for d in inbox.list_deliveries(
                session, status=status, source=source.value if source else None, limit=limit
            )
        ]
    columns = ["id", "source", "event", "delivery_id", "received_at", "status", "attempts", "error"]
    emit(rows, columns, fmt, title="Webhook deliveries")


@hooks_app.command("replay")
def hooks_replay(
    ids: Annotated[
        list[int] | None, typer.Argument(help="Row ids to replay (default: every failed or unprocessed).")
    ] = None,
    everything: Annotated[
        bool, typer.Option("--all", help="Replay every stored delivery, processed ones too.")
    ] = False,
    source: Annotated[Source | None, typer.Option(help="Only this receiver.")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Process stored deliveries again (after fixing the cause of a failure); idempotent."""
    db = database()
    statuses = inbox.STATUSES if everything else ("received", "failed")
    with db.session() as session:
        wanted = inbox.pending(
            session, statuses=statuses, ids=ids or (), source=source.value if source else None
        )
        audit.record(
            session, actor=actor(), action="replay", kind="webhook", key="cli", after={"count": len(wanted)}
        )
    with progress_bar("Replaying deliveries", len(wanted)) as advance:
        tally = processor.replay(db, wanted, advance=advance)
    if fmt is OutputFormat.json:
        emit_json({"replayed": len(wanted), "statuses": tally})
    else:
        summary = ", ".join(f"{n} {s}" for s, n in sorted(tally.items())) or "nothing to replay"
        console.print(f"Replayed {len(wanted)} deliveries: {summary}.")


@hooks_app.command("process")
def hooks_process(
    follow: Annotated[
        bool, typer.Option("--follow", help="Keep processing new deliveries until stopped (Ctrl-C).")
    ] = False,
    interval: Annotated[
        float, typer.Option(help="Seconds between looks for new deliveries with --follow.")
    ] = 0.2,
    exit_with_parent: Annotated[
        bool,
        typer.Option(
            "--exit-with-parent", help="With --follow, stop when the process that started this one ends."
        ),
    ] = False,
) -> None:
    """Process received deliveries now (in batches, under the lease); with --follow, keep at it.

    `missionos serve` starts one `missionos hooks process --follow` of its own. With `serve
    --hooks-processor none`, run this on any host instead; the lease lets one processor work at a time.
    """
    import os
    import time

    db = database()
    owner = processor.owner_name()
    parent = os.getppid()
    done: dict[str, int] = {}
    try:
        while True:
            for status, n in (processor.process_pending(db, owner=owner) or {}).items():
                done[status] = done.get(status, 0) + n
            if not follow or (exit_with_parent and os.getppid() != parent):
                break
            time.sleep(interval)
    except KeyboardInterrupt:
        pass
    summary = ", ".join(f"{n} {s}" for s, n in sorted(done.items())) or "nothing to process"
    console.print(f"Processed deliveries: {summary}.")
