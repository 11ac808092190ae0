"""server-side sessions; sign-in code attempt limits

Revision ID: b7d41e2c9a10
Revises: fc68f6b54779
Create Date: 2026-11-26 10:00:00.000000

Sessions move from the signed cookie to ``user_sessions`` (the cookie keeps only the session's id), and the
users table counts wrong sign-in codes so that the second factor locks after a few. Existing cookie sessions
end with this upgrade: everyone signs in again once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b7d41e2c9a10"
down_revision = "fc68f6b54779"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_sessions",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("user_pk", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("totp_setup", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["user_pk"], ["users.pk"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("digest"),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_sessions_user_pk"), ["user_pk"], unique=False)

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_failures", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("totp_lockouts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("totp_locked_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("totp_locked_until")
        batch_op.drop_column("totp_lockouts")
        batch_op.drop_column("totp_failures")

    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_sessions_user_pk"))

    op.drop_table("user_sessions")
