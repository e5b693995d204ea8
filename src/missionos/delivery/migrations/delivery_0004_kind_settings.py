"""explicit deployment kinds and the delivery settings

Revision ID: delivery_0004
Revises: delivery_0003
Create Date: 2026-12-05 16:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "delivery_0004"
down_revision: str | Sequence[str] | None = "delivery_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "delivery_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("infer_kinds", sa.Boolean(), nullable=False),
        sa.Column("rollback_pattern", sa.String(length=1000), nullable=False),
        sa.Column("hotfix_pattern", sa.String(length=1000), nullable=False),
        sa.Column("attribution_window_minutes", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("delivery_deployment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind_explicit", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # A kind other than planned was always the record's own.
    op.execute("UPDATE delivery_deployment SET kind_explicit = (kind <> 'planned')")


def downgrade() -> None:
    with op.batch_alter_table("delivery_deployment", schema=None) as batch_op:
        batch_op.drop_column("kind_explicit")
    op.drop_table("delivery_settings")
