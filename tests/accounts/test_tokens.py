"""API tokens: scoped, hashed, shown once, revocable, with a last-used time."""

from __future__ import annotations

import hashlib

import httpx
from sqlalchemy import select

from missionos.accounts import tokens
from missionos.accounts.models import ApiToken
from missionos.store import Database
from tests.conftest import Cli


def test_token_is_stored_only_as_a_hash(db: Database) -> None:
    with db.session() as session:
        info, secret = tokens.create_token(session, name="ci", scope="write", actor="cli:ana")
    _, prefix, rest = secret.split("_", 2)
    with db.session() as session:
        row = session.scalar(select(ApiToken))
        assert row is not None
        stored = [str(v) for v in (row.prefix, row.secret_hash, row.name, row.scope)]
    assert rest not in " ".join(stored)
    assert row.secret_hash == hashlib.sha256(rest.encode()).hexdigest()
    assert info.prefix == prefix and info.as_dict()["prefix"] == f"mos_{prefix}"
    assert "token" not in info.as_dict()


def test_scopes_map_to_roles_and_teams(db: Database) -> None:
    with db.session() as session:
        _, read = tokens.create_token(session, name="r", scope="read", actor="a")
        _, write = tokens.create_token(session, name="w", scope="write", actor="a", team="Intake")
    with db.session() as session:
        reader = tokens.authenticate(session, read)
        writer = tokens.authenticate(session, write)
    assert reader is not None and reader.role == "viewer" and reader.teams is None
    assert writer is not None and writer.role == "editor" and writer.teams == ("Intake",)
    assert writer.may("editor", "Intake") and not writer.may("editor", "Payments")


def test_wrong_secret_unknown_prefix_and_garbage_are_refused(db: Database) -> None:
    with db.session() as session:
        _, secret = tokens.create_token(session, name="r", scope="read", actor="a")
    head, prefix, rest = secret.split("_", 2)
    forged = f"{head}_{prefix}_{rest[:-1]}{'A' if rest[-1] != 'A' else 'B'}"
    with db.session() as session:
        assert tokens.authenticate(session, forged) is None
        assert tokens.authenticate(session, f"mos_ffffffffffff_{rest}") is None
        assert tokens.authenticate(session, "not-a-token") is None
        assert tokens.authenticate(session, "") is None


def test_revoked_token_is_refused_and_revoking_twice_is_harmless(db: Database) -> None:
    with db.session() as session:
        info, secret = tokens.create_token(session, name="r", scope="read", actor="a")
    with db.session() as session:
        tokens.revoke_token(session, str(info.id), actor="a")
        tokens.revoke_token(session, f"mos_{info.prefix}", actor="a")
    with db.session() as session:
        assert tokens.authenticate(session, secret) is None
        assert [t.id for t in tokens.list_tokens(session)] == []
        listed = tokens.list_tokens(session, include_revoked=True)
        assert listed[0].revoked_at is not None


def test_a_prefix_of_decimal_digits_names_that_token_not_a_row_id(db: Database) -> None:
    # One prefix in about 280 is twelve decimal digits; it must still name its own token.
    with db.session() as session:
        first, _ = tokens.create_token(session, name="first", scope="read", actor="a")
        second, _ = tokens.create_token(session, name="second", scope="read", actor="a")
        row = session.get(ApiToken, second.id)
        assert row is not None
        row.prefix = f"{first.id:012d}"
    with db.session() as session:
        revoked = tokens.revoke_token(session, f"{first.id:012d}", actor="a")
    assert revoked.name == "second" and revoked.revoked_at is not None
    with db.session() as session:
        assert [t.name for t in tokens.list_tokens(session)] == ["first"]


def test_last_used_time_is_recorded(db: Database, client: httpx.Client) -> None:
    with db.session() as session:
        info, secret = tokens.create_token(session, name="r", scope="read", actor="a")
    assert info.last_used_at is None
    assert client.get("/api/v1/accounts/me", headers={"authorization": f"Bearer {secret}"}).status_code == 200
    with db.session() as session:
        (listed,) = tokens.list_tokens(session)
    assert listed.last_used_at is not None


def test_cli_creates_lists_and_revokes_without_echoing_the_secret(cli: Cli, db: Database) -> None:
    created = cli("auth", "token", "create", "--name", "ci", "--scope", "write", "--team", "Intake")
    assert created.exit_code == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith("mos_")
    listed = cli("auth", "token", "list", "--format", "json")
    assert listed.exit_code == 0
    assert secret not in listed.stdout and secret.split("_", 2)[2] not in listed.stdout
    assert '"scope": "write"' in listed.stdout and '"team": "Intake"' in listed.stdout
    prefix = "_".join(secret.split("_", 2)[:2])
    revoked = cli("auth", "token", "revoke", prefix)
    assert revoked.exit_code == 0
    with db.session() as session:
        assert tokens.authenticate(session, secret) is None
    audit_out = cli("audit", "list", "--kind", "token", "--format", "json")
    assert secret.split("_", 2)[2] not in audit_out.stdout
    assert '"action": "revoke"' in audit_out.stdout and '"action": "create"' in audit_out.stdout


def test_cli_bad_scope_exits_2_without_traceback(cli: Cli) -> None:
    result = cli("auth", "token", "revoke", "mos_nope")
    assert result.exit_code == 2
    assert "no token named" in result.stderr and "Traceback" not in result.stderr


def test_api_creates_token_once_then_never_shows_it(client: httpx.Client) -> None:
    created = client.post("/api/v1/accounts/tokens", json={"name": "ci", "scope": "read"})
    assert created.status_code == 201
    secret = created.json()["token"]
    listed = client.get("/api/v1/accounts/tokens").text
    assert secret not in listed and secret.split("_", 2)[2] not in listed
    assert (
        client.get("/api/v1/accounts/me", headers={"authorization": f"Bearer {secret}"}).json()["role"]
        == "viewer"
    )


def test_bad_token_is_401_even_on_public_paths(client: httpx.Client) -> None:
    response = client.get("/api/v1/health", headers={"authorization": "Bearer mos_000000000000_nope"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "mos_000000000000_nope" not in response.text
