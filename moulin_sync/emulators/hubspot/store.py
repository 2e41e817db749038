"""The object store: records, unique-value indexes, search versions, and optional SQLite state.

All mutation happens on the event loop thread inside synchronous code, so one request's write
is atomic with respect to every other request. A request starts with `begin()`; it ends with
`commit()`, which (with `--state PATH`) writes the records it touched to SQLite (WAL) in one
transaction, or with `rollback()`, which undoes all it changed (see `journal`). The file is
locked (`PATH.lock`, flock) so two emulator processes can never share one state file.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import deque
from typing import IO

from . import state_file
from .contact_emails import promoted
from .journal import Journal
from .object_types import LASTMOD, OBJECT_TYPES
from .record import Record
from .schema import Schema
from .search_index import PropertyIndex, TypeIndex
from .timestamps import iso_ms
from .transactions import RequestTransactions
from .unique_index import UniqueIndex


class Store(RequestTransactions):
    def __init__(self, state_path: str | None = None, search_lag: float = 0.0) -> None:
        self.search_lag = search_lag
        self.schema = Schema()
        self.objects: dict[str, dict[str, Record]] = {t: {} for t in OBJECT_TYPES}
        self.unique = UniqueIndex(lambda: self.schema, self.objects)
        self.indexes = {t: self._search_index_of(t) for t in OBJECT_TYPES}
        # (written_at, type, id) of the writes search may not see yet, oldest first.
        self.recent: deque[tuple[float, str, str]] = deque()
        self.next_id = 1001
        # Emails of GDPR-deleted contacts: HubSpot keeps them out of its UI and imports
        # (not out of the API, which may create such a contact again).
        self.gdpr_blocklist: set[str] = set()
        self.blocklist_dirty = False
        self.dirty: set[tuple[str, str]] = set()
        self.schema_dirty = False
        self.journal = Journal()
        self.db: sqlite3.Connection | None = None
        self._lock_file: IO[str] | None = None
        if state_path:
            self._open(state_path)
        self.rebuild_indexes()
        for t in OBJECT_TYPES:
            self.indexes[t].added_many(r for r in self.objects[t].values() if not r.archived)

    # ------------------------------------------------------------------ persistence
    def _open(self, path: str) -> None:
        self.db, self._lock_file = state_file.open_locked(path)
        db = self.db
        kv = dict(db.execute("SELECT key, value FROM kv").fetchall())
        if "schema" in kv:
            self.schema = Schema(json.loads(kv["schema"]))
        if "next_id" in kv:
            self.next_id = int(kv["next_id"])
        self.gdpr_blocklist = set(json.loads(kv.get("gdpr_blocklist", "[]")))
        rows = db.execute("SELECT otype, id, data FROM records ORDER BY otype, CAST(id AS INTEGER)")
        for otype, rid, data in rows:
            self.objects[otype][rid] = Record.from_row(otype, rid, json.loads(data))
        if "schema" not in kv:
            self.schema_dirty = True
            self.commit()

    def close(self) -> None:
        """Close the SQLite file before releasing its lock, so no other process opens it meanwhile."""
        for handle in (self.db, self._lock_file):
            if handle is not None:
                handle.close()
        self.db = self._lock_file = None

    # ------------------------------------------------------------------ indexes
    def rebuild_indexes(self) -> None:
        """The unique indexes, from the records (after a load or a schema change)."""
        self.unique.rebuild()

    def _search_index_of(self, t: str) -> TypeIndex:
        return TypeIndex(lambda name: self._ptype(t, name))

    def _ptype(self, t: str, name: str) -> str:
        prop = self.schema.properties[t].get(name)
        return prop["type"] if prop else "string"

    def search_index(self, t: str, name: str, ptype: str) -> PropertyIndex:
        """Search's index of property `name` of `t` (of type `ptype`) over the live
        records, which every write and load keeps whole (see `search_index`)."""
        live = (r for r in self.objects[t].values() if not r.archived)
        return self.indexes[t].property(name, ptype, live)

    def ensure_index(self, t: str) -> dict[str, dict[str, str]]:
        """The unique index of `t`: {property: {value: id}}."""
        return self.unique.of(t)

    # ------------------------------------------------------------------ records
    def get(self, t: str, rid: str, *, archived: bool = False) -> Record | None:
        rec = self.objects[t].get(rid)
        if rec is None or rec.archived != archived:
            return None
        return rec

    def find(self, t: str, prop: str, value: str) -> Record | None:
        """Live record whose unique property `prop` equals `value` (email case-insensitively)."""
        if prop in ("hs_object_id", "id"):
            return self.get(t, value)
        if t == "contacts" and prop == "email":
            value = value.lower()
        values = self.ensure_index(t).get(prop)
        if values is None:
            return None
        rid = values.get(value)
        return self.objects[t][rid] if rid is not None else None

    def allocate_id(self) -> str:
        rid = self.next_id
        self.next_id += 1
        return str(rid)

    def insert(self, t: str, props: dict[str, str], now: int, *, index: bool = True) -> Record:
        rid = self.allocate_id()
        props = {k: v for k, v in props.items() if v != ""}
        iso = iso_ms(now)
        props["hs_object_id"] = rid
        props.setdefault("createdate", iso)
        props[LASTMOD.get(t, "hs_lastmodifieddate")] = iso
        rec = Record(t, rid, props, now)
        self.objects[t][rid] = rec
        if self.journal.open:
            self.journal.records.setdefault((t, rid), None)
        self.unique.add(t, rec)
        if index:
            self.indexes[t].added(rid, props)
        self.touch(rec)
        return rec

    def insert_many(self, t: str, rows: list[dict[str, str]], now: int) -> list[Record]:
        """Insert records as `insert` does, their search indexes updated at once."""
        records = [self.insert(t, props, now, index=False) for props in rows]
        self.indexes[t].added_many(records)
        return records

    def _keep_seen(self, rec: Record) -> None:
        """Before a write under search lag: what search sees now stays seen until the
        write is indexed (a record written before the lag began has no versions yet)."""
        if self.search_lag > 0 and rec.versions is None:
            rec.versions = [(float("-inf"), None if rec.archived else dict(rec.props))]

    def update(self, rec: Record, props: dict[str, str], now: int) -> None:
        self.remember(rec)
        self._keep_seen(rec)
        if rec.type == "contacts":
            props = promoted(rec.props, props)
        unique = self.unique.changing(rec.type, props)  # re-index only the values that change
        self.unique.remove(rec.type, rec, unique)
        p = rec.props
        for k, v in props.items():
            if v == "":
                p.pop(k, None)
            else:
                p[k] = v
        self.unique.add(rec.type, rec, unique)
        lastmod = LASTMOD.get(rec.type, "hs_lastmodifieddate")
        rec.updated = now
        rec.updated_iso = p[lastmod] = iso_ms(now)
        self.indexes[rec.type].updated(rec.id, p, [*props, lastmod])
        self.touch(rec)

    def archive(self, rec: Record, now: int) -> None:
        """Archive (HubSpot's recycle bin): the record's unique values are freed."""
        self.remember(rec)
        self._keep_seen(rec)
        self.unique.remove(rec.type, rec)
        self.indexes[rec.type].removed(rec.id)
        rec.archived = True
        rec.archived_at = now
        rec.updated = now
        rec.updated_iso = iso_ms(now)
        self.touch(rec)

    def block_email(self, email: str) -> None:
        if self.journal.open and self.journal.blocklist is None:
            self.journal.blocklist = set(self.gdpr_blocklist)
        self.gdpr_blocklist.add(email.lower())
        self.blocklist_dirty = True

    def delete(self, rec: Record) -> None:
        """Remove a record for good (the loser of a merge, a GDPR delete)."""
        self.remember(rec)
        self.unique.remove(rec.type, rec)
        del self.objects[rec.type][rec.id]
        self.indexes[rec.type].removed(rec.id)
        self.dirty.add((rec.type, rec.id))
        if self.search_lag > 0:
            rec.versions = None

    def touch(self, rec: Record) -> None:
        """Mark `rec` for the next commit and record a search version when search lags."""
        self.dirty.add((rec.type, rec.id))
        if self.search_lag > 0 or rec.versions is not None:
            snap = None if rec.archived else dict(rec.props)
            now = time.monotonic()
            if self.search_lag > 0:
                self.recent.append((now, rec.type, rec.id))
            versions = rec.versions
            if versions is None:
                versions = rec.versions = []
            versions.append((now, snap))
            horizon = now - self.search_lag
            while len(versions) > 1 and versions[1][0] <= horizon:
                versions.pop(0)

    def searchable(self, rec: Record, now: float) -> dict[str, str] | None:
        """The properties search sees for `rec` now (None: not indexed yet, or archived)."""
        versions = rec.versions
        if versions is None:
            return None if rec.archived else rec.props
        horizon = now - self.search_lag
        for written, snap in reversed(versions):
            if written <= horizon:
                return snap
        return None

    def unsettled(self, t: str, now: float) -> set[str]:
        """Ids of the `t` records written within the search lag: search's indexes hold
        their current properties, which search may not see yet."""
        horizon = now - self.search_lag
        recent = self.recent
        while recent and recent[0][0] <= horizon:
            recent.popleft()
        return {rid for _, rt, rid in recent if rt == t}

    def reset(self, *, schema: bool = False) -> None:
        for t in OBJECT_TYPES:
            for rid in self.objects[t]:
                self.dirty.add((t, rid))
            self.objects[t] = {}
            self.indexes[t] = self._search_index_of(t)
        self.recent.clear()
        self.gdpr_blocklist = set()
        self.blocklist_dirty = True
        if schema:
            self.schema = Schema()
            self.schema_dirty = True
        self.rebuild_indexes()
        self.journal.close()  # a reset is not undone
        self.commit()
