"""The state store's schema history, as Alembic revisions (`versions/`).

`moulin_sync.hubspot.sync.migrate` runs them when a store opens (and `moulin-sync
migrate`). Each revision spells out its own tables and columns: it is frozen history and
never imports `state_db`'s tables, which describe only the latest revision.
"""
