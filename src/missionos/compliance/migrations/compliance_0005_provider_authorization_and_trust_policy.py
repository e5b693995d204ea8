"""provider authorization and trust policy

Revision ID: compliance_0005
Revises: compliance_0004
Create Date: 2026-12-05 12:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "compliance_0005"
down_revision: str | Sequence[str] | None = "compliance_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("compliance_system") as batch:
        batch.add_column(sa.Column("provider_authorization", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("trust_policy", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("compliance_system") as batch:
        batch.drop_column("trust_policy")
        batch.drop_column("provider_authorization")
