"""each plan version's rationale and the verdicts it cites

Revision ID: strategy_0002
Revises: strategy_0001
Create Date: 2026-12-05 16:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "strategy_0002"
down_revision: str | Sequence[str] | None = "strategy_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("strategy_plan_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rationale", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("evidence", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("strategy_plan_version", schema=None) as batch_op:
        batch_op.drop_column("evidence")
        batch_op.drop_column("rationale")
