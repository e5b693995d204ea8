"""webhook deliveries, webhook reviews and sync runs move from accounts to ingest, renamed after it

Revision ID: ingest_0001
Revises: accounts_0005
Create Date: 2026-12-06 00:20:00.000000

The three tables keep their rows. On PostgreSQL they are renamed in place, with their constraints, indexes
and id sequences; on SQLite, which cannot rename a constraint, each is created under its new name, its rows
copied, and the old one dropped (what Alembic's batch mode does).

The branch starts from the last accounts revision (its `down_revision`) rather than naming it in
`depends_on`: a dependency that is a head is merged away in `alembic_version`, so the database would no longer
stand at every branch head.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "ingest_0001"
down_revision: str | Sequence[str] | None = "accounts_0005"
branch_labels: str | Sequence[str] | None = ("ingest",)
depends_on: str | Sequence[str] | None = None

TABLES = ("webhook_delivery", "webhook_review", "sync_run")


def _columns(table: str) -> list[sa.Column[Any]]:
    """The columns of one of the tables, in the order the accounts revisions created them."""
    if table == "webhook_delivery":
        return [
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("source", sa.String(length=20), nullable=False),
            sa.Column("delivery_id", sa.String(length=200), nullable=False),
            sa.Column("event", sa.String(length=100), nullable=False),
            sa.Column("headers", sa.JSON(), nullable=False),
            sa.Column("payload", sa.LargeBinary(), nullable=False),
            sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("status", sa.String(length=20), nullable=False),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("error", sa.Text(), nullable=True),
            sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("body_sha256", sa.String(length=64), nullable=True),
        ]
    if table == "webhook_review":
        return [
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("source", sa.String(length=20), nullable=False),
            sa.Column("service", sa.String(length=200), nullable=False),
            sa.Column("number", sa.Integer(), nullable=False),
            sa.Column("author", sa.String(length=300), nullable=False),
            sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("state", sa.String(length=50), nullable=False),
        ]
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
    ]


def _uniques(table: str) -> list[tuple[str, ...]]:
    return {
        "webhook_delivery": [("source", "delivery_id")],
        "webhook_review": [("source", "service", "number", "author", "submitted_at")],
    }.get(table, [])


def _indexes(table: str) -> list[tuple[str, tuple[str, ...]]]:
    """(name without the `ix_<context>_<table>_` stem, columns) of each index."""
    return {
        "webhook_delivery": [("status", ("status",)), ("body", ("source", "body_sha256", "received_at"))],
        "sync_run": [("source", ("source", "started_at"))],
    }.get(table, [])


def _constraint_name(name: str) -> str:
    """A constraint name as the naming convention renders it on this database (shortened past its limit)."""
    preparer = op.get_bind().dialect.identifier_preparer
    return preparer.truncate_and_render_constraint_name(op.f(name), _alembic_quote=False)


def _move(old: str, new: str) -> None:
    """Rename the three tables from the `old` context's prefix to the `new` one's, keeping every row."""
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            was, now = f"{old}_{table}", f"{new}_{table}"
            op.rename_table(was, now)
            op.execute(f"ALTER TABLE {now} RENAME CONSTRAINT pk_{was} TO pk_{now}")
            for columns in _uniques(table):
                stem = "_".join(columns)
                before, after = _constraint_name(f"uq_{was}_{stem}"), _constraint_name(f"uq_{now}_{stem}")
                op.execute(f"ALTER TABLE {now} RENAME CONSTRAINT {before} TO {after}")
            for suffix, _ in _indexes(table):
                op.execute(f"ALTER INDEX ix_{was}_{suffix} RENAME TO ix_{now}_{suffix}")
            op.execute(f"ALTER SEQUENCE {was}_id_seq RENAME TO {now}_id_seq")
        return
    for table in TABLES:
        was, now = f"{old}_{table}", f"{new}_{table}"
        columns = _columns(table)
        op.create_table(
            now,
            *columns,
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{now}")),
            *(
                sa.UniqueConstraint(*unique, name=op.f(f"uq_{now}_{'_'.join(unique)}"))
                for unique in _uniques(table)
            ),
        )
        for suffix, indexed in _indexes(table):
            op.create_index(f"ix_{now}_{suffix}", now, list(indexed), unique=False)
        names = ", ".join(c.name for c in columns)
        op.execute(f"INSERT INTO {now} ({names}) SELECT {names} FROM {was}")
        op.drop_table(was)


def upgrade() -> None:
    _move("accounts", "ingest")


def downgrade() -> None:
    _move("ingest", "accounts")
