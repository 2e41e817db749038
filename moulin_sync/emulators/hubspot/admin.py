"""HubSpot's own admin routes, beside the toolkit's reset, state, stats and faults: the
limits (`/_emulator/limits`), and a property's unique flag switched in place
(`PUT /_emulator/properties/{objectType}/{propertyName}/unique`, `{"unique": false}`),
which HubSpot's API refuses: tests make the copies a portal can hold all the same (a
property made unique after copies were in, an import) by switching it off, writing the
copy through the API, and switching it on again. Admin requests never consume rate-limit
budget and are not counted."""

from __future__ import annotations

from typing import Any

from .core import Emulator, Req, Result, RouteTable, schema_changed
from .errors import bad_request

table = RouteTable()


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


@table.add("PUT", "/_emulator/properties/{objectType}/{propertyName}/unique", mutates=True)
def set_unique(em: Emulator, req: Req) -> Result:
    """Make a property unique or not, whatever the records hold (the index is rebuilt:
    of several records sharing a value, one holds it)."""
    unique = req.dict_body().get("unique")
    if not isinstance(unique, bool):
        raise bad_request("unique must be true or false")
    t = req.object_type()
    prop = em.store.schema.get_property(t, req.params["propertyName"])
    prop["hasUniqueValue"] = unique
    em.store.schema.recompile()
    em.store.rebuild_indexes()
    return schema_changed(em, 200, prop)


ROUTES = table.routes
