"""Adds `sync_records.source_read_at`: when the source was read for the values HubSpot
last accepted, so a write from an older read (a nightly run that read before a live run
or a refresh press wrote newer values) is superseded instead of written over them.

Unknown (NULL) for the rows already there: any write may follow.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_read_times"
down_revision = "0003_drift"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_records") as batch:
        batch.add_column(sa.Column("source_read_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("sync_records") as batch:
        batch.drop_column("source_read_at")
