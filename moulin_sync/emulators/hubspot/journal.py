"""The undo journal of the request in flight: what each record, the next id, the GDPR
blocklist and the schema were before the request changed them, so a request that fails
half-way is undone whole (`Store.rollback`).

Records are remembered on their first change in the request (a copy of their row, or
None for a record the request created); the schema only by requests that change it.
"""

from __future__ import annotations

from typing import Any

from .schema import Schema

Key = tuple[str, str]  # (object type, id)


class Journal:
    def __init__(self) -> None:
        self.open = False
        self.records: dict[Key, dict[str, Any] | None] = {}
        self.next_id = 0
        self.blocklist: set[str] | None = None
        self.schema: Schema | None = None

    def begin(self, next_id: int, schema: Schema | None) -> None:
        self.open = True
        self.records = {}
        self.next_id = next_id
        self.blocklist = None
        self.schema = schema

    def close(self) -> None:
        self.open = False
        self.records = {}
        self.blocklist = None
        self.schema = None
