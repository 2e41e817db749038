"""The state store's tables, its connection, and its patience with an unreachable database.

A store that is briefly unreachable (a SQLite file locked by another process, a
PostgreSQL restart or failover, connections cut) is waited for: every read and write is
retried with backoff for about 15 seconds before `StateStoreError` says which setting and
what failed. Every write is an idempotent upsert in one transaction, so a retry is safe.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError

from moulin_sync.lib.urls import redacted, sqlalchemy_url

logger = logging.getLogger(__name__)
T = TypeVar("T")

STATE_URL_VARIABLE = "MOULIN_STATE_URL"
# Waits between attempts when the store is unreachable: 15.5 s in all, enough for a lock
# held by another process, a restart or a failover; then the run fails, saying so.
RETRY_DELAYS_S = (0.5, 1.0, 2.0, 4.0, 8.0)
# What "unreachable for a moment" looks like: locked, refused, cut, closed under us...
_TRANSIENT = (OperationalError, InterfaceError, DisconnectionError)
# ...unless waiting cannot help: a wrong database name, user or password fails at once.
_PERMANENT = ("does not exist", "authentication failed", "no password supplied")

# The tables as the newest migration (`migrations/versions/`) leaves them: a change here
# comes with a revision there (a test compares the two).
metadata = MetaData()
sync_records = Table(
    "sync_records",
    metadata,
    Column("stream", String(32), primary_key=True),
    Column("source_key", String(64), primary_key=True),
    Column("hubspot_id", String(32)),
    Column("payload_hash", String(64)),
    # What the record is associated with (its targets' HubSpot ids, by link column), so a
    # move can archive the old association.
    Column("link_key", Text()),
    Column("status", String(16), nullable=False),
    Column("last_error", Text()),
    Column("synced_at", DateTime(timezone=True)),
    Column("error_at", DateTime(timezone=True)),
    Column("partition_key", String(16)),
    # What moulin-sync last wrote, property by property ("name:fingerprint,..."; see
    # `streams/fingerprints.py`): which values in HubSpot are ours.
    Column("fingerprints", Text()),
    # The managed properties a person changed in HubSpot since our write ("name,name"),
    # as the last drift check found them.
    Column("drift", Text()),
    # When the source was read for the values HubSpot last accepted: a write from an older
    # read is superseded, never written over them (NULL: unknown, any write may follow).
    Column("source_read_at", DateTime(timezone=True)),
)
# When each month of a monthly stream was last synced: the source as it was then. A
# change to the source after that (`updated_at`) makes the nightly run sync the month.
synced_months = Table(
    "synced_months",
    metadata,
    Column("stream", String(32), primary_key=True),
    Column("partition_key", String(16), primary_key=True),
    Column("source_as_of", DateTime(timezone=True), nullable=False),
)
# Up to when each stream's records were searched for drift (HubSpot's last-modified
# date): the next check looks at what changed after it.
drift_checks = Table(
    "drift_checks",
    metadata,
    Column("stream", String(32), primary_key=True),
    Column("checked_to", DateTime(timezone=True), nullable=False),
)


class StateStoreError(RuntimeError):
    """The state store cannot be used; the message names the setting to fix."""


def _sqlite_write_ahead_log(connection: Any, _record: Any) -> None:
    """One commit per HubSpot batch: with a write-ahead log and `synchronous=NORMAL` a
    commit costs no fsync, and a commit that a power cut loses is only redone (every
    write is an upsert by a unique key). Readers in other processes are never blocked."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def connect(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(sqlalchemy_url(url), pool_pre_ping=True)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_write_ahead_log)
    return engine


def no_state_yet(url: str) -> StateStoreError:
    return StateStoreError(
        f"{STATE_URL_VARIABLE}: there is no sync state at {redacted(url)} yet: run "
        "`moulin-sync sync` (or the nightly job) first, or point the setting at the store "
        "the sync writes"
    )


def require_existing(url: str) -> None:
    """A SQLite store's file must be there already (opening it would create it)."""
    parsed = make_url(url)
    path = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if path and path != ":memory:" and not Path(path).is_file():
        raise no_state_yet(url)


class Retrying:
    """Runs an action on the store, waiting out a store that is unreachable for a moment."""

    def __init__(self, engine: Engine, url: str, delays_s: Sequence[float]) -> None:
        self.engine = engine
        self.url = url
        self.delays_s = tuple(delays_s)

    def __call__(self, what: str, action: Callable[[], T]) -> T:
        """`action()`, retried with backoff while the store is unreachable; then a
        StateStoreError naming the setting (the password, if any, never shown)."""
        attempt = 0
        while True:
            try:
                return action()
            except _TRANSIENT as exc:
                if any(p in str(exc) for p in _PERMANENT):
                    raise
                if attempt >= len(self.delays_s):
                    raise StateStoreError(
                        f"{STATE_URL_VARIABLE}: the sync state store at {redacted(self.url)} "
                        f"could not {what} ({self.first_line(exc)}), still after "
                        f"{attempt + 1} attempts over {sum(self.delays_s):.0f} s. Check that "
                        "the database is reachable and not locked by another process; the "
                        "next run continues from what was recorded (HubSpot writes are "
                        "keyed, so nothing is created twice)."
                    ) from None
                delay = self.delays_s[attempt]
                logger.warning(
                    "sync state store %s: could not %s (%s); retry %d/%d in %.1f s",
                    redacted(self.url), what, self.first_line(exc), attempt + 1,
                    len(self.delays_s), delay,
                )  # fmt: skip
                # Connections that saw the failure are of no further use.
                self.engine.dispose()
                time.sleep(delay)
                attempt += 1

    def first_line(self, exc: BaseException) -> str:
        return first_line(exc, self.url)


def first_line(exc: BaseException, url: str) -> str:
    """The database's own words for a failure, in one line, without the URL's password."""
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    password = make_url(url).password
    if password:
        line = line.replace(str(password), "***")
    return f"{type(cause).__name__}: {line[:300]}"
