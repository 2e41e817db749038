"""Alembic's entry point: the revisions run on the connection `migrate.py` hands over
(`config.attributes["connection"]`), inside the transaction it holds (and the lock)."""

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError(
        "the state store's migrations run through `moulin-sync migrate` (or on opening "
        "the store), on a connection it opens: there is no offline or alembic-CLI mode"
    )
context.configure(
    connection=connection,
    version_table=context.config.get_main_option("version_table"),
    # SQLite alters a table by copying it: batch mode does that where needed.
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
