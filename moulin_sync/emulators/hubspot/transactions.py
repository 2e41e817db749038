"""A request's changes to the store, all or nothing: journaled as they are made, written
to the state file in one transaction at its end, or undone (a mixin of `Store`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from . import state_file
from .journal import Journal
from .record import Record
from .schema import Schema
from .search_index import TypeIndex
from .unique_index import UniqueIndex


class RequestTransactions:
    """`begin`, `remember`, then `commit` or `rollback`, once per request."""

    # Store's.
    schema: Schema
    objects: dict[str, dict[str, Record]]
    unique: UniqueIndex
    indexes: dict[str, TypeIndex]
    next_id: int
    gdpr_blocklist: set[str]
    blocklist_dirty: bool
    dirty: set[tuple[str, str]]
    schema_dirty: bool
    journal: Journal
    db: sqlite3.Connection | None
    rebuild_indexes: Callable[[], None]

    def begin(self, *, schema: bool = False) -> None:
        """A request starts: its changes are journaled (`schema`: it may change the schema)."""
        self.journal.begin(self.next_id, self.schema.clone() if schema else None)

    def commit(self) -> None:
        """Write every touched record (and the schema if it changed) in one transaction."""
        if self.db is not None and (self.dirty or self.schema_dirty or self.blocklist_dirty):
            state_file.write(self.db, self._changed_rows(), self._changed_kv())
        self.dirty.clear()
        self.schema_dirty = self.blocklist_dirty = False
        self.journal.close()

    def _changed_rows(self) -> list[state_file.RowChange]:
        rows: list[state_file.RowChange] = []
        for t, rid in self.dirty:
            rec = self.objects[t].get(rid)
            rows.append((t, rid, None if rec is None else rec.to_row()))
        return rows

    def _changed_kv(self) -> dict[str, Any]:
        kv: dict[str, Any] = {"next_id": self.next_id}
        if self.blocklist_dirty:
            kv["gdpr_blocklist"] = sorted(self.gdpr_blocklist)
        if self.schema_dirty:
            kv["schema"] = self.schema.to_json()
        return kv

    def remember(self, rec: Record) -> None:
        """Before `rec` first changes in the request in flight: keep what it was."""
        j = self.journal
        if j.open and (rec.type, rec.id) not in j.records:
            j.records[(rec.type, rec.id)] = rec.to_row()

    def rollback(self) -> None:
        """Undo every change of the request in flight: records, indexes, ids, schema."""
        j = self.journal
        if j.open:
            for t, rid in j.records:
                rec = self.objects[t].get(rid)
                if rec is not None and not rec.archived:
                    self.unique.remove(t, rec)
            restored = [self._restore(t, rid, row) for (t, rid), row in j.records.items()]
            self.next_id = j.next_id
            if j.blocklist is not None:
                self.gdpr_blocklist = j.blocklist
            if j.schema is not None:
                self.schema = j.schema
                self.rebuild_indexes()
            for rec in restored:
                if rec is not None and not rec.archived:
                    self.unique.add(rec.type, rec)
        self.dirty.clear()
        self.schema_dirty = self.blocklist_dirty = False
        j.close()

    def _restore(self, t: str, rid: str, row: dict[str, Any] | None) -> Record | None:
        """Put back record `rid` as `row` (None: the request created it: it goes)."""
        records = self.objects[t]
        self.indexes[t].removed(rid)
        if row is None:
            records.pop(rid, None)
            return None
        rec = Record.from_row(t, rid, row)
        was_deleted = rid not in records
        records[rid] = rec
        if was_deleted:  # listing pages in id order: put it back in its place
            self.objects[t] = dict(sorted(records.items(), key=lambda kv: int(kv[0])))
        if not rec.archived:
            self.indexes[t].added(rid, rec.props)
        return rec
