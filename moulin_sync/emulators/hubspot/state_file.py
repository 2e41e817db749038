"""The emulator's SQLite state file (`--state PATH`): locked for one process, WAL mode,
one row per record and a key-value table for the schema, next id and GDPR blocklist."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import IO, Any

from ..toolkit.state import StateLocked, lock_state_file

# (object type, id, the record's row, or None for a record deleted for good)
RowChange = tuple[str, str, dict[str, Any] | None]


def open_locked(path: str) -> tuple[sqlite3.Connection, IO[str]]:
    """The state file at `path`, its tables made, under a lock (`PATH.lock`, flock) held
    until the lock file is closed: two emulators can never share one state file."""
    lock = lock_state_file(path)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(
        "CREATE TABLE IF NOT EXISTS records (otype TEXT, id TEXT, data TEXT, PRIMARY KEY (otype, id))"
    )
    db.execute("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT)")
    return db, lock


def write(db: sqlite3.Connection, rows: Iterable[RowChange], kv: dict[str, Any]) -> None:
    """Write the changed records' rows and the changed `kv` values (JSON) in one transaction."""
    db.execute("BEGIN IMMEDIATE")
    try:
        for t, rid, row in rows:
            if row is None:
                db.execute("DELETE FROM records WHERE otype=? AND id=?", (t, rid))
            else:
                db.execute(
                    "INSERT OR REPLACE INTO records VALUES (?, ?, ?)",
                    (t, rid, json.dumps(row, separators=(",", ":"))),
                )
        for key, value in kv.items():
            db.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", (key, json.dumps(value)))
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


__all__ = ["RowChange", "StateLocked", "open_locked", "write"]
