"""Admin routes for benchmarks at HubSpot's scale: `POST /_emulator/bulk` loads many
records at once, `POST /_emulator/indexes` reports (and makes sure of) search indexes.

A benchmark needs a million deals in the emulator before it can time searches over them;
a million deals through the batch API is 10,000 rate-limited calls. The bulk route stores
records as a batch create would (ids, createdate, last-modified date, unique values), with
the same checks and normalisation of property values, and no associations; their search
indexes are updated as part of the load. One request is all or nothing.
"""

from __future__ import annotations

import time
from typing import Any

from .core import Emulator, Req, Result, RouteTable
from .errors import Problems, bad_request
from .object_types import PIPELINE_PROPS, resolve_type
from .timestamps import now_ms

table = RouteTable()
MAX_RECORDS = 100_000


@table.add("POST", "/_emulator/bulk", mutates=True)
def bulk_load(em: Emulator, req: Req) -> Result:
    """`{"objectType": "deals", "records": [{"properties": {...}}, ...]}` → the ids made."""
    body = req.dict_body()
    kind = body.get("objectType")
    if not isinstance(kind, str):
        raise bad_request("objectType must be an object type such as deals or 0-3")
    t = resolve_type(kind)
    records = body.get("records")
    if not isinstance(records, list) or not 1 <= len(records) <= MAX_RECORDS:
        raise bad_request(f"records must be a list of 1 to {MAX_RECORDS:,} {{properties}} objects")
    rows = [_properties(em, t, n, r) for n, r in enumerate(records)]
    _check_unique(em, t, rows)
    ids = [rec.id for rec in em.store.insert_many(t, rows, now_ms())]
    return 201, {"objectType": t, "created": len(ids), "firstId": ids[0], "lastId": ids[-1]}


def _properties(em: Emulator, t: str, n: int, record: Any) -> dict[str, str]:
    """One record's properties, checked and normalised as a batch create does."""
    props = record.get("properties") if isinstance(record, dict) else None
    if not isinstance(props, dict):
        raise bad_request(f"records[{n}] must be an object with properties")
    schema = em.store.schema
    problems: Problems = []
    clean = schema.validate(t, props, problems)
    if t in PIPELINE_PROPS:
        schema.check_pipeline(t, clean, None, problems)
    if problems:
        name, code, message = problems[0]
        raise bad_request(f"records[{n}].properties.{name}: {message}", code)
    return clean


def _check_unique(em: Emulator, t: str, rows: list[dict[str, str]]) -> None:
    """A unique value already held, or held twice in the load, refuses the whole load."""
    index = em.store.ensure_index(t)
    for name, held in index.items():
        seen: set[str] = set()
        for n, props in enumerate(rows):
            value = props.get(name)
            if not value:
                continue
            if t == "contacts" and name == "email":
                value = value.lower()
            if value in held or value in seen:
                raise bad_request(
                    f"records[{n}]: {name} {value} is already used; unique values cannot repeat",
                    "CONFLICT",
                )
            seen.add(value)


@table.add("POST", "/_emulator/indexes")
def build_indexes(em: Emulator, req: Req) -> Result:
    """`{"objectType": "deals", "properties": ["closedate"]}`: the search indexes of those
    properties, and how many records each holds in key order.

    Every write and load keeps every index whole, as HubSpot's always exists, so this
    route finds them built; it stays for benchmarks that still call it first."""
    body = req.dict_body()
    kind, names = body.get("objectType"), body.get("properties")
    if not isinstance(kind, str):
        raise bad_request("objectType must be an object type such as deals or 0-3")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise bad_request("properties must be a list of property names")
    t = resolve_type(kind)
    ptypes = {n: p["type"] for n, p in em.store.schema.properties[t].items()}
    unknown = [n for n in names if n not in ptypes]
    if unknown:
        raise bad_request(f"properties: no {t} property named {unknown[0]}")
    started = time.perf_counter()
    ordered = {}
    for name in names:
        ordered[name] = len(em.store.search_index(t, name, ptypes[name]).ordered)
    seconds = round(time.perf_counter() - started, 3)
    return 200, {"objectType": t, "built": names, "ordered": ordered, "seconds": seconds}


ROUTES = table.routes
