"""maps and versions

Revision ID: maps_0001
Revises:
Create Date: 2026-12-05 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "maps_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("maps",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "maps_map",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("plan", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maps_map")),
        sa.UniqueConstraint("key", name=op.f("uq_maps_map_key")),
    )
    op.create_table(
        "maps_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("map_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["map_id"], ["maps_map.id"], name=op.f("fk_maps_version_map_id_maps_map"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maps_version")),
        sa.UniqueConstraint("map_id", "number", name=op.f("uq_maps_version_map_id_number")),
    )


def downgrade() -> None:
    op.drop_table("maps_version")
    op.drop_table("maps_map")
