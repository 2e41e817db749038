"""The account's records in memory: tickets, contacts, companies and agents by id, the
indexes that keep emails and company names unique, the id counters and the clock.

A request's changes can be undone whole: `save()` remembers each record's value before
its first change in the request (records are never changed in place: a change saves a
new dict), and `meta` is copied when the request begins. `commit()` writes only the
changed records to the state file, when there is one.
"""

from __future__ import annotations

import copy
from typing import Any

from .state_file import RowChange, StateFile

Record = dict[str, Any]
KINDS = ("companies", "contacts", "agents", "tickets")
# Contacts and agents are users and share one id sequence, as in Freshdesk; ids are as
# large as Freshdesk's (11 digits), so a client storing them in 32 bits fails here too.
FIRST_USER_ID = 43_000_000_001
FIRST_COMPANY_ID = 43_000_900_001
COUNTERS = {
    "tickets": "next_ticket_id", "contacts": "next_user_id", "agents": "next_user_id",
    "companies": "next_company_id",
}  # fmt: skip


def fresh_meta() -> dict[str, Any]:
    return {
        "next_ticket_id": 1,
        "next_user_id": FIRST_USER_ID,
        "next_company_id": FIRST_COMPANY_ID,
        "clock": {"offset": 0, "frozen": None},
    }


def _emails(contact: Record | None) -> list[str]:
    if contact is None:
        return []
    found = [contact.get("email"), *contact.get("other_emails", [])]
    return [e.lower() for e in found if e]


class Store:
    def __init__(self, path: str | None = None) -> None:
        self.records: dict[str, dict[int, Record]] = {k: {} for k in KINDS}
        self.meta = fresh_meta()
        self.email_owner: dict[str, int] = {}  # lower-case email -> contact id
        self.company_named: dict[str, int] = {}  # lower-case company name -> company id
        self.version = 0  # bumped by every commit that changed something (list caches)
        self._journal: dict[tuple[str, int], Record | None] = {}
        self._meta_before: dict[str, Any] | None = None
        self._file = StateFile(path) if path else None
        if self._file is not None:
            records, meta = self._file.load()
            for kind, rows in records.items():
                for row in rows.values():
                    self._put(kind, row["id"], row)
            self.meta.update(meta)

    # -- reading
    def get(self, kind: str, rid: int) -> Record | None:
        return self.records[kind].get(rid)

    def all(self, kind: str) -> dict[int, Record]:
        return self.records[kind]

    def contact_with_email(self, email: str) -> Record | None:
        rid = self.email_owner.get(email.strip().lower())
        return None if rid is None else self.records["contacts"][rid]

    def company_named_as(self, name: str) -> Record | None:
        rid = self.company_named.get(name.strip().lower())
        return None if rid is None else self.records["companies"][rid]

    # -- changing
    def allocate(self, counter: str) -> int:
        rid = int(self.meta[counter])
        self.meta[counter] = rid + 1
        return rid

    def reserve(self, counter: str, rid: int) -> None:
        """An explicit id was taken: the counter continues after it."""
        self.meta[counter] = max(int(self.meta[counter]), rid + 1)

    def save(self, kind: str, record: Record) -> None:
        key = (kind, record["id"])
        if key not in self._journal:
            self._journal[key] = self.records[kind].get(record["id"])
        self._put(kind, record["id"], record)

    def _put(self, kind: str, rid: int, record: Record | None) -> None:
        old = self.records[kind].get(rid)
        if kind == "contacts":
            for email in _emails(old):
                if self.email_owner.get(email) == rid:
                    del self.email_owner[email]
            for email in _emails(record):
                self.email_owner[email] = rid
        elif kind == "companies":
            if old is not None and self.company_named.get(old["name"].lower()) == rid:
                del self.company_named[old["name"].lower()]
            if record is not None:
                self.company_named[record["name"].lower()] = rid
        if record is None:
            self.records[kind].pop(rid, None)
        else:
            self.records[kind][rid] = record

    # -- the request in flight (toolkit.State)
    def begin(self) -> None:
        self._journal = {}
        self._meta_before = copy.deepcopy(self.meta)

    def commit(self) -> None:
        meta_changed = self._meta_before is not None and self.meta != self._meta_before
        if not self._journal and not meta_changed:
            return
        if self._file is not None:
            rows: list[RowChange] = [
                (kind, rid, self.records[kind].get(rid)) for kind, rid in self._journal
            ]
            self._file.write(rows, self.meta)
        self._journal = {}
        self._meta_before = copy.deepcopy(self.meta)
        self.version += 1

    def rollback(self) -> None:
        for (kind, rid), before in self._journal.items():
            self._put(kind, rid, before)
        self._journal = {}
        if self._meta_before is not None:
            self.meta = copy.deepcopy(self._meta_before)

    def reset(self, seed: list[tuple[str, Record]]) -> None:
        """Empty the account, then hold only `seed` (its default agent)."""
        self.records = {k: {} for k in KINDS}
        self.email_owner, self.company_named = {}, {}
        self.meta = fresh_meta()
        for kind, record in seed:
            self._put(kind, record["id"], record)
            self.reserve(COUNTERS[kind], record["id"])
        if self._file is not None:
            rows = [(kind, r["id"], r) for kind, r in seed]
            self._file.write(rows, self.meta, wipe=True)
        self._journal = {}
        self._meta_before = copy.deepcopy(self.meta)
        self.version += 1

    def is_empty(self) -> bool:
        return not any(self.records.values())

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
