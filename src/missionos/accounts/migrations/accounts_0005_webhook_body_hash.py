"""webhook body hash

Revision ID: accounts_0005
Revises: accounts_0004
Create Date: 2026-12-05 16:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "accounts_0005"
down_revision: str | Sequence[str] | None = "accounts_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts_webhook_delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body_sha256", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "ix_accounts_webhook_delivery_body", ["source", "body_sha256", "received_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts_webhook_delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_accounts_webhook_delivery_body")
        batch_op.drop_column("body_sha256")
