"""Adds `sync_records.fingerprints`: what moulin-sync last wrote, property by property.

Unknown (NULL) for the rows already there.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_fingerprints"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_records") as batch:
        batch.add_column(sa.Column("fingerprints", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("sync_records") as batch:
        batch.drop_column("fingerprints")
