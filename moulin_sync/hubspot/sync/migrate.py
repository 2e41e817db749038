"""The state store's schema, brought to the revision this release needs (Alembic revisions
in `migrations/`), safely and automatically when a store opens.

A store already at head costs one query of the version table and no Alembic at all:
SyncState opens it many times per run. Anything else is done by one process at a time
(PostgreSQL: a transaction-scoped advisory lock; SQLite: the write lock of BEGIN
IMMEDIATE) in one transaction, after reading the store again under that lock: the process
that waited finds the work done. A store made before migrations (tables, no version table)
is matched to the revision its columns show, stamped there, then upgraded.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from moulin_sync.hubspot.sync.state_db import STATE_URL_VARIABLE, StateStoreError, no_state_yet
from moulin_sync.lib.urls import redacted

if TYPE_CHECKING:
    from alembic.config import Config

logger = logging.getLogger(__name__)

VERSION_TABLE = "moulin_state_version"
# The newest revision in migrations/versions/, so that a store at head is recognised
# without loading the scripts; a test checks that it is Alembic's head.
HEAD = "0004_read_times"
_MIGRATIONS = Path(__file__).with_name("migrations")
# The advisory lock every moulin-sync process takes to migrate a PostgreSQL store (any
# constant will do; this one spells "moulin" in ASCII).
_LOCK_KEY = 0x6D6F756C696E
_SELECT_VERSION = text(f"SELECT version_num FROM {VERSION_TABLE}")


@dataclass(frozen=True)
class Migration:
    """What opening the store did: from `before` (None: an empty store) to `after`."""

    before: str | None
    after: str
    # Made before migrations: matched to `before` by its tables and stamped there.
    stamped: bool = False

    def describe(self) -> str:
        if self.before == self.after:
            done = "stamped (made before migrations) at" if self.stamped else "already at"
            return f"{done} head {self.after}"
        before = self.before or "empty store"
        if self.stamped:
            before += " (made before migrations, stamped)"
        return f"upgraded {before} → {self.after} (head)"


def upgrade_to_head(engine: Engine, *, create: bool = True) -> Migration:
    """The store at head, upgraded if need be. `create=False`: a store without tables is
    an error (`StateStoreError`), not made; a store at a revision this release does not
    know (a newer one wrote it) is always one."""
    if _quickly_at_head(engine):
        return Migration(HEAD, HEAD)
    with _write_locked(engine) as connection:
        migration = _upgrade(connection, create=create)
    if migration.before != migration.after or migration.stamped:
        logger.info("state store at %s: %s", redacted(engine.url), migration.describe())
    return migration


def current_revision(engine: Engine) -> str | None:
    """The revision in the version table; None for an empty store or one made before
    migrations (`pre_migration_revision` says which revision that one matches)."""
    with engine.connect() as connection:
        return _version_found(connection)


def pre_migration_revision(engine: Engine) -> str | None:
    """The revision a store without version table matches by its tables (None: empty)."""
    with engine.connect() as connection:
        return _matching_revision(connection)


def head_revision() -> str:
    """The newest revision, as Alembic reads it from the scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "migrations/versions/ holds no revision"
    return head


def known_revisions() -> set[str]:
    """Every revision of this release, from the scripts."""
    from alembic.script import ScriptDirectory

    return {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}


def _quickly_at_head(engine: Engine) -> bool:
    """One query; any failure (no version table yet, a store locked or unreachable) is
    left to the locked path, which waits for it or says what is wrong."""
    try:
        with engine.connect() as connection:
            return connection.execute(_SELECT_VERSION).scalars().all() == [HEAD]
    except DBAPIError:
        return False


@contextmanager
def _write_locked(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction no other moulin-sync migrates in at the same time,
    committed at the end (rolled back on failure)."""
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        elif connection.dialect.name == "sqlite":
            # pysqlite would begin only at the first write, without the lock: take it now.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        yield connection
        connection.commit()


def _upgrade(connection: Connection, *, create: bool) -> Migration:
    from alembic import command

    config = _config(connection)
    found = _version_found(connection)
    if found == HEAD:
        return Migration(HEAD, HEAD)
    if found is not None:
        if found not in known_revisions():
            raise _unknown_revision(connection, found)
        command.upgrade(config, "head")
        return Migration(found, HEAD)
    stamp = _matching_revision(connection, rename=True)
    if stamp is None and not create:
        raise no_state_yet(connection.engine.url.render_as_string(hide_password=False))
    if stamp is not None:
        command.stamp(config, stamp)
    command.upgrade(config, "head")
    return Migration(stamp, HEAD, stamped=stamp is not None)


def _version_found(connection: Connection) -> str | None:
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    return connection.execute(_SELECT_VERSION).scalar()


def _matching_revision(connection: Connection, *, rename: bool = False) -> str | None:
    """The revision whose schema a store made before migrations has (None: no tables).
    Those releases made every table they knew whenever they opened a store, so its newest
    column tells. `rename`: a store keyed by object type gets its column renamed `stream`
    (those object types are the stream names)."""
    found = inspect(connection)
    if not found.has_table("sync_records"):
        return None
    columns = {column["name"] for column in found.get_columns("sync_records")}
    if rename and "object_type" in columns and "stream" not in columns:
        connection.execute(text("ALTER TABLE sync_records RENAME COLUMN object_type TO stream"))
    if "drift" in columns:
        return "0003_drift"
    if "fingerprints" in columns:
        return "0002_fingerprints"
    return "0001_baseline"


def _unknown_revision(connection: Connection, found: str) -> StateStoreError:
    url = redacted(connection.engine.url)
    return StateStoreError(
        f"{STATE_URL_VARIABLE}: cannot open the sync state store at {url}: its schema is at "
        f"revision {found!r}, which this moulin-sync does not know (its newest is {HEAD}): a "
        "newer release wrote it. Upgrade moulin-sync to that release or a later one, or point "
        "the setting at another store."
    )


def _config(connection: Connection | None = None) -> Config:
    """Alembic's settings, made in code (no alembic.ini): the revisions run on `connection`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.set_main_option("version_table", VERSION_TABLE)
    config.attributes["connection"] = connection
    return config
