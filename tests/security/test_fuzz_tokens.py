"""Schemathesis against the served app with sign-in configured: every operation of /api/v1/openapi.json is
fuzzed with an admin token, a team-limited write token and a read token; no request may produce a 5xx.

Bounded to about a minute: `MISSIONOS_FUZZ_EXAMPLES` examples per operation and token (default 8), and the
run stops generating once `MISSIONOS_FUZZ_SECONDS` (default 50) have passed, reporting how far it got. Every
failure is reported with the request that caused it (the token replaced by `<token>`).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from missionos.accounts import tokens
from missionos.delivery import service as delivery
from missionos.store import Database
from missionos.web.app import create_app
from missionos.web.security import SecurityConfig

EXAMPLES = int(os.environ.get("MISSIONOS_FUZZ_EXAMPLES", "8"))
SECONDS = float(os.environ.get("MISSIONOS_FUZZ_SECONDS", "50"))


@pytest.fixture
def signed_in_db(sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[Database, dict[str, str]]]:
    path = tmp_path / "fuzz.db"
    shutil.copyfile(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    with database.session() as session:
        delivery.ensure_service(session, "intake-web", team="Intake")
        made = {
            "admin": tokens.create_token(session, name="fuzz-admin", scope="admin", actor="test")[1],
            "write:Intake": tokens.create_token(
                session, name="fuzz-write", scope="write", team="Intake", actor="test"
            )[1],
            "read": tokens.create_token(session, name="fuzz-read", scope="read", actor="test")[1],
        }
    yield database, made
    database.dispose()


@pytest.mark.slow
def test_no_operation_answers_5xx_with_tokens(signed_in_db: tuple[Database, dict[str, str]]) -> None:
    db, made = signed_in_db
    # A generous token-creation limit: the fuzzer creates tokens on purpose.
    app = create_app(db, SecurityConfig(token_create_limit=100_000, sign_in_limit=100_000))
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    by_status: dict[int, int] = {}
    started = time.monotonic()
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for who, token in made.items():
            if time.monotonic() - started > SECONDS:
                break
            fuzz(operation, who, token, by_status, failures)
    total = sum(by_status.values())
    statuses = sorted(by_status.items())
    print(f"fuzzed {operations} operations with {len(made)} tokens: {total} requests, {statuses}")
    assert operations > 5, "the OpenAPI document should list the API"
    assert total > operations, "every operation was called"
    assert failures == [], "\n\n".join(failures[:20])


def fuzz(
    operation: schemathesis.APIOperation, who: str, token: str, by_status: dict[int, int], failures: list[str]
) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: schemathesis.Case) -> None:
        try:
            response = case.call(headers={"authorization": f"Bearer {token}"})
        except Exception as exc:  # an exception the app let escape is a 500 to the client
            curl = case.as_curl_command(headers={"authorization": "Bearer <token>"})
            failures.append(f"500 ({type(exc).__name__}: {exc}) as {who} from {curl}")
            by_status[500] = by_status.get(500, 0) + 1
            return
        by_status[response.status_code] = by_status.get(response.status_code, 0) + 1
        if response.status_code >= 500:
            curl = case.as_curl_command(headers={"authorization": "Bearer <token>"})
            failures.append(f"{response.status_code} as {who} from {curl}\n{response.text[:500]}")

    run()


def test_numbers_out_of_range_are_4xx(client: httpx.Client) -> None:
    """What the fuzzer found: an id past 64 bits, or a window of 10**20 days, crashed the request."""
    huge = "414882839020097711152037888"
    assert client.get(f"/api/v1/compliance/evidence/{huge}/raw").status_code == 422
    response = client.get("/api/v1/delivery/deployments", params={"days": 10**20})
    assert 400 <= response.status_code < 500, response.text
