"""blockers and stream values

Revision ID: friction_0001
Revises:
Create Date: 2026-12-05 12:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "friction_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("friction",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "friction_blocker",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("teams", sa.JSON(), nullable=False),
        sa.Column("stream", sa.String(length=200), nullable=False),
        sa.Column("step", sa.String(length=200), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("effort_days", sa.Float(), nullable=False),
        sa.Column("wait_days", sa.Float(), nullable=True),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_by", sa.String(length=200), nullable=True),
        sa.Column("clearance", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_friction_blocker")),
        sa.UniqueConstraint("key", name=op.f("uq_friction_blocker_key")),
    )
    op.create_table(
        "friction_stream_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stream", sa.String(length=200), nullable=False),
        sa.Column("value_per_day", sa.Float(), nullable=False),
        sa.Column("currency", sa.String(length=10), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_friction_stream_value")),
        sa.UniqueConstraint("stream", name=op.f("uq_friction_stream_value_stream")),
    )


def downgrade() -> None:
    op.drop_table("friction_stream_value")
    op.drop_table("friction_blocker")
