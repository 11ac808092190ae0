"""area history and the LSOA 2011 -> 2021 bridge: areas learn when they were abolished and who took them over

Revision ID: e4b7c2d91a53
Revises: d3a8c5e1f207
Create Date: 2026-12-06 09:00:00.000000

Areas merged since 2009 (Christchurch, Bournemouth and Poole -> BCP in 2019) stay areas of their own with
``end_year`` and ``successor_code``, so old data keep their own codes; ``lsoa_bridge_2021`` holds the ONS
LSOA 2011 -> 2021 best fit (U unchanged, S split, M merged, X irregular) beside the 2001 -> 2011 one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e4b7c2d91a53"
down_revision = "d3a8c5e1f207"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.add_column(sa.Column("end_year", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("successor_code", sa.String(length=20), nullable=True))
    op.create_table(
        "lsoa_bridge_2021",
        sa.Column("lsoa11_code", sa.String(length=20), nullable=False),
        sa.Column("lsoa21_code", sa.String(length=20), nullable=False),
        sa.Column("change_code", sa.String(length=2), nullable=True),
        sa.Column("district_code", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("lsoa11_code", "lsoa21_code"),
    )


def downgrade() -> None:
    op.drop_table("lsoa_bridge_2021")
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.drop_column("successor_code")
        batch_op.drop_column("end_year")
