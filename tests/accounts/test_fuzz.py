"""Schemathesis fuzzes every operation of /api/v1/openapi.json; no request may produce a 5xx.

Bounded by `MISSIONOS_FUZZ_EXAMPLES` examples per operation (default 8), so the whole run stays well under a
minute; set it higher for a deeper run. Every failure is reported with the request that caused it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from missionos.store import Database
from missionos.web.app import create_app

EXAMPLES = int(os.environ.get("MISSIONOS_FUZZ_EXAMPLES", "8"))


@pytest.fixture
def sqlite_db(sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    """One migrated SQLite database: the fuzz run exercises the web layer, so one backend is enough."""
    path = tmp_path / "fuzz.db"
    shutil.copyfile(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


@pytest.mark.slow
def test_no_operation_answers_5xx(sqlite_db: Database) -> None:
    app = create_app(sqlite_db)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

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
            response = case.call()
            if response.status_code >= 500:
                failures.append(
                    f"{response.status_code} from {case.as_curl_command()}\n{response.text[:500]}"
                )

        run()
    assert operations > 5, "the OpenAPI document should list the API"
    assert failures == [], "\n\n".join(failures[:20])
