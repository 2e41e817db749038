"""The portal's state as the toolkit's gate and admin API see it (`toolkit.state.State`):
the store's requests begun, committed or rolled back, its reset, and its JSON snapshot."""

from __future__ import annotations

from typing import Any

from ..toolkit import Req
from .object_types import CORE_TYPES, OBJECT_TYPES
from .store import Record, Store

# Routes under these change the schema (properties, groups, pipelines): their requests
# keep a copy of it to undo.
SCHEMA_PATHS = ("/properties/", "/pipelines/")


class PortalState:
    def __init__(self, store: Store) -> None:
        self.store = store

    def begin(self, req: Req) -> None:
        schema = req.method != "GET" and any(p in req.template for p in SCHEMA_PATHS)
        self.store.begin(schema=schema)

    def commit(self) -> None:
        self.store.commit()

    def rollback(self) -> None:
        self.store.rollback()

    def reset(self, options: dict[str, Any]) -> None:
        """Empty every object; `{"schema": true}` also resets the schema."""
        self.store.reset(schema=bool(options.get("schema")))

    def to_json(self) -> dict[str, Any]:
        """Every record by type: the types moulin-sync writes always, the others once
        they hold records."""
        store = self.store
        objects = {
            t: [_row(rec) for rec in store.objects[t].values()]
            for t in OBJECT_TYPES
            if t in CORE_TYPES or store.objects[t]
        }
        return {"objects": objects, "gdprBlocklist": sorted(store.gdpr_blocklist)}

    def close(self) -> None:
        self.store.close()


def _row(rec: Record) -> dict[str, Any]:
    return {
        "id": rec.id,
        "properties": dict(rec.props),
        "archived": rec.archived,
        "createdAt": rec.created_iso,
        "updatedAt": rec.updated_iso,
        "associations": {
            to_t: [{"id": i, "types": sorted(ts)} for i, ts in sorted(links.items()) if ts]
            for to_t, links in rec.assoc.items()
            if any(links.values())
        },
    }
