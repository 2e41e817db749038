"""Baseline: `sync_records`, one row per record of each stream, keyed by stream.

The schema of the releases before per-property fingerprints. (A store older still, keyed
by `object_type`, has that column renamed to `stream` before it is stamped here.)
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_records",
        sa.Column("stream", sa.String(32), primary_key=True),
        sa.Column("source_key", sa.String(64), primary_key=True),
        sa.Column("hubspot_id", sa.String(32)),
        sa.Column("payload_hash", sa.String(64)),
        sa.Column("link_key", sa.Text()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("synced_at", sa.DateTime(timezone=True)),
        sa.Column("error_at", sa.DateTime(timezone=True)),
        sa.Column("partition_key", sa.String(16)),
    )


def downgrade() -> None:
    op.drop_table("sync_records")
