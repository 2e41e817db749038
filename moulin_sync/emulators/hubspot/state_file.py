"""The emulator's SQLite state file (`--state PATH`): locked for one process, WAL mode,
one row per record and a key-value table for the schema, next id and GDPR blocklist."""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from .store import Store


class StateLocked(RuntimeError):
    """Another emulator process holds the state file."""


def open_locked(path: str) -> tuple[sqlite3.Connection, IO[str]]:
    """The state file at `path`, its tables made, under a lock (`PATH.lock`, flock) held
    until the lock file is closed: two emulators can never share one state file."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    lock = open(path + ".lock", "w")  # noqa: SIM115 - held for the process lifetime
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as e:
        lock.close()
        raise StateLocked(f"state file {path} is in use by another emulator process") from e
    lock.write(str(os.getpid()))
    lock.flush()
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(
        "CREATE TABLE IF NOT EXISTS records (otype TEXT, id TEXT, data TEXT, PRIMARY KEY (otype, id))"
    )
    db.execute("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT)")
    return db, lock


def write(db: sqlite3.Connection, store: Store) -> None:
    """Write the records `store` touched (and what else changed) in one transaction."""
    db.execute("BEGIN IMMEDIATE")
    try:
        for t, rid in store.dirty:
            rec = store.objects[t].get(rid)
            if rec is None:
                db.execute("DELETE FROM records WHERE otype=? AND id=?", (t, rid))
            else:
                db.execute(
                    "INSERT OR REPLACE INTO records VALUES (?, ?, ?)",
                    (t, rid, json.dumps(rec.to_row(), separators=(",", ":"))),
                )
        db.execute("INSERT OR REPLACE INTO kv VALUES ('next_id', ?)", (str(store.next_id),))
        if store.blocklist_dirty:
            db.execute(
                "INSERT OR REPLACE INTO kv VALUES ('gdpr_blocklist', ?)",
                (json.dumps(sorted(store.gdpr_blocklist)),),
            )
        if store.schema_dirty:
            db.execute(
                "INSERT OR REPLACE INTO kv VALUES ('schema', ?)",
                (json.dumps(store.schema.to_json()),),
            )
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
