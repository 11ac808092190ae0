"""sealed sign-in code secrets: room for the sealed form of an authenticator secret

Revision ID: a9e1f3c5b7d2
Revises: 41715609bc5b
Create Date: 2026-12-05 02:30:00.000000

An authenticator's secret is stored sealed (Fernet, key derived from GAPWATCH_SECRET_KEY; about 150
characters) instead of as its 32 base32 characters. Secrets stored before stay readable and are sealed the
next time they are used.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a9e1f3c5b7d2"
down_revision = "41715609bc5b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("totp_secret", existing_type=sa.String(length=64), type_=sa.String(length=255))
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.alter_column("totp_setup", existing_type=sa.String(length=64), type_=sa.String(length=255))


def downgrade() -> None:
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.alter_column("totp_setup", existing_type=sa.String(length=255), type_=sa.String(length=64))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("totp_secret", existing_type=sa.String(length=255), type_=sa.String(length=64))
