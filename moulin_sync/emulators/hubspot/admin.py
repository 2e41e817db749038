"""The `/_emulator/*` admin API: reset, state, stats, faults, limits (same bearer token).

Admin requests never consume rate-limit budget and are not counted in the stats.
"""

from __future__ import annotations

from typing import Any

from .core import Emulator, Req, Result, RouteTable
from .errors import bad_request
from .faults import parse_fault
from .object_types import OBJECT_TYPES

table = RouteTable()


@table.add("POST", "/_emulator/reset", mutates=True)
def reset(em: Emulator, req: Req) -> Result:
    """Empty every object (and the rate-limit counters); `{"schema": true}` also resets the schema."""
    body = req.body if isinstance(req.body, dict) else {}
    em.store.reset(schema=bool(body.get("schema")))
    em.limiter.reset()
    return 200, {"status": "ok"}


@table.add("GET", "/_emulator/state")
def state(em: Emulator, req: Req) -> Result:
    objects: dict[str, list[dict[str, Any]]] = {}
    for t in OBJECT_TYPES:
        rows = []
        for rec in em.store.objects[t].values():
            rows.append(
                {
                    "id": rec.id,
                    "properties": dict(rec.props),
                    "archived": rec.archived,
                    "createdAt": rec.created_iso,
                    "updatedAt": rec.updated_iso,
                    "associations": {
                        to_t: [
                            {"id": i, "types": sorted(ts)} for i, ts in sorted(links.items()) if ts
                        ]
                        for to_t, links in rec.assoc.items()
                        if any(links.values())
                    },
                }
            )
        objects[t] = rows
    return 200, {"objects": objects, "gdprBlocklist": sorted(em.store.gdpr_blocklist)}


@table.add("GET", "/_emulator/stats")
def stats(em: Emulator, req: Req) -> Result:
    rows = [
        {"method": m, "route": r, "status": s, "count": c}
        for (m, r, s), c in sorted(em.stats.items())
    ]
    return 200, {"requests": rows}


@table.add("POST", "/_emulator/stats/reset")
def reset_stats(em: Emulator, req: Req) -> Result:
    em.stats.clear()
    return 200, {"status": "ok"}


@table.add("GET", "/_emulator/faults")
def list_faults(em: Emulator, req: Req) -> Result:
    """Armed faults, and the spent ones (their counters prove they fired)."""
    return 200, {
        "faults": [f.to_json() for f in em.faults.armed],
        "spent": [f.to_json() for f in em.faults.spent],
    }


@table.add("POST", "/_emulator/faults")
def add_fault(em: Emulator, req: Req) -> Result:
    fault = parse_fault(req.body)
    em.faults.add(fault)
    return 201, fault.to_json()


@table.add("DELETE", "/_emulator/faults")
def clear_faults(em: Emulator, req: Req) -> Result:
    em.faults.clear()
    return 200, {"status": "ok"}


def _limit(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise bad_request(f"{name} must be a positive integer or null (no limit)")
    return value


@table.add("GET", "/_emulator/limits")
def get_limits(em: Emulator, req: Req) -> Result:
    """The limits, and `daily_used`: the requests counted against today's budget so far."""
    return 200, {
        **em.limiter.limits.to_json(),
        "search_lag": em.store.search_lag,
        "latency_ms": list(em.latency_ms) if em.latency_ms else None,
        "daily_used": em.limiter.daily_used,
    }


@table.add("POST", "/_emulator/limits")
def set_limits(em: Emulator, req: Req) -> Result:
    """Change limits; a key set to null lifts that limit, a missing key keeps it."""
    body = req.dict_body()
    lim = em.limiter.limits
    if "per_10s" in body:
        lim.per_10s = _limit(body["per_10s"], "per_10s")
    if "daily" in body:
        lim.daily = _limit(body["daily"], "daily")
    if "search_per_s" in body:
        lim.search_per_s = _limit(body["search_per_s"], "search_per_s")
    if "search_lag" in body:
        lag = body["search_lag"]
        if not isinstance(lag, int | float) or lag < 0:
            raise bad_request("search_lag must be a number of seconds >= 0")
        em.store.search_lag = float(lag)
    if "latency_ms" in body:
        em.latency_ms = _latency(body["latency_ms"])
    return 200, get_limits(em, req)[1]


def _latency(value: Any) -> tuple[float, float] | None:
    """`[low, high]` milliseconds per API call, or null for none."""
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        or not 0 <= value[0] <= value[1] <= 30_000
    ):
        raise bad_request("latency_ms must be [low, high] milliseconds (0 to 30000) or null")
    return float(value[0]), float(value[1])


ROUTES = table.routes
