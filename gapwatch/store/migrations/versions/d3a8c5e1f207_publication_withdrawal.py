"""publication withdrawal: when, by whom and why a published report left /public

Revision ID: d3a8c5e1f207
Revises: b7d41e2c9a10
Create Date: 2026-11-27 09:00:00.000000

A withdrawn publication keeps its row (what was published stays on record, and later publications keep
their disclosure control consistent with it); /public lists it no more and says it was withdrawn.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d3a8c5e1f207"
down_revision = "b7d41e2c9a10"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_role", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("withdrawal_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.drop_column("withdrawal_reason")
        batch_op.drop_column("withdrawn_role")
        batch_op.drop_column("withdrawn_by")
        batch_op.drop_column("withdrawn_at")
