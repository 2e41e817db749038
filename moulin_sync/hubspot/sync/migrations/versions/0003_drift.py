"""Adds drift and month bookkeeping: `sync_records.drift` (the managed properties a person
changed in HubSpot), `synced_months` (when each month was last synced) and `drift_checks`
(up to when each stream was searched for drift).

NULL drift for the rows already there; both tables start empty.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_drift"
down_revision = "0002_fingerprints"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_records") as batch:
        batch.add_column(sa.Column("drift", sa.Text()))
    op.create_table(
        "synced_months",
        sa.Column("stream", sa.String(32), primary_key=True),
        sa.Column("partition_key", sa.String(16), primary_key=True),
        sa.Column("source_as_of", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "drift_checks",
        sa.Column("stream", sa.String(32), primary_key=True),
        sa.Column("checked_to", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("drift_checks")
    op.drop_table("synced_months")
    with op.batch_alter_table("sync_records") as batch:
        batch.drop_column("drift")
