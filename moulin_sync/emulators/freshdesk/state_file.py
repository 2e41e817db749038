"""The emulator's SQLite state file (`--state PATH`): one row per record, so a request
writes only what it changed (an update among 100,000 tickets writes one row), and a
key-value table for the counters and the clock. Locked for one process (`PATH.lock`)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import IO, Any

from ..toolkit import lock_state_file

# (kind, id, the record, or None for a record removed)
RowChange = tuple[str, int, dict[str, Any] | None]


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class StateFile:
    def __init__(self, path: str) -> None:
        self.path = path
        self._lock: IO[str] | None = lock_state_file(path)
        try:
            self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS records "
                "(kind TEXT, id INTEGER, data TEXT, PRIMARY KEY (kind, id))"
            )
            self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        except sqlite3.DatabaseError as e:
            self.close()
            raise ValueError(
                f"state file {path} is not a Freshdesk emulator state ({e}): move it away "
                "to start empty"
            ) from e

    def load(self) -> tuple[dict[str, dict[int, dict[str, Any]]], dict[str, Any]]:
        """Every record by kind and id, and the meta values (both empty for a new file)."""
        records: dict[str, dict[int, dict[str, Any]]] = {}
        for kind, rid, data in self.db.execute("SELECT kind, id, data FROM records ORDER BY id"):
            records.setdefault(kind, {})[rid] = json.loads(data)
        meta = {k: json.loads(v) for k, v in self.db.execute("SELECT key, value FROM meta")}
        return records, meta

    def write(self, rows: Iterable[RowChange], meta: dict[str, Any], *, wipe: bool = False) -> None:
        """Write the changed rows and the meta values in one transaction (after removing
        every row first with `wipe`)."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            if wipe:
                db.execute("DELETE FROM records")
            rows = list(rows)
            upserts = [(k, i, _dumps(r)) for k, i, r in rows if r is not None]
            removed = [(k, i) for k, i, r in rows if r is None]
            db.executemany("INSERT OR REPLACE INTO records VALUES (?, ?, ?)", upserts)
            db.executemany("DELETE FROM records WHERE kind=? AND id=?", removed)
            db.executemany(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                [(k, _dumps(v)) for k, v in meta.items()],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        if getattr(self, "db", None) is not None:
            self.db.close()
            self.db = None  # type: ignore[assignment]
        if self._lock is not None:
            self._lock.close()
            self._lock = None
