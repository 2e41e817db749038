"""The admin API every emulator serves (`/_emulator/*`, the service's own credential):
reset, state, stats, stats reset, faults. A service adds its own admin routes (limits,
bulk loads...) to `Emulator.routes()`.

Admin requests never consume rate-limit budget and are not counted in the stats.
"""

from __future__ import annotations

from typing import Any

from .faults import parse_fault
from .routes import Req, Result, RouteTable

table = RouteTable()


@table.add("POST", "/_emulator/reset", mutates=True)
def reset(em: Any, req: Req) -> Result:
    """Empty the service and its rate-limit counters; the body's options go to the state."""
    em.reset(req.body if isinstance(req.body, dict) else {})
    return 200, {"status": "ok"}


@table.add("GET", "/_emulator/state")
def state(em: Any, req: Req) -> Result:
    return 200, em.state.to_json()


@table.add("GET", "/_emulator/stats")
def stats(em: Any, req: Req) -> Result:
    rows = [
        {"method": m, "route": r, "status": s, "count": c}
        for (m, r, s), c in sorted(em.stats.items())
    ]
    return 200, {"requests": rows}


@table.add("POST", "/_emulator/stats/reset")
def reset_stats(em: Any, req: Req) -> Result:
    em.stats.clear()
    return 200, {"status": "ok"}


@table.add("GET", "/_emulator/faults")
def list_faults(em: Any, req: Req) -> Result:
    """Armed faults, and the spent ones (their counters prove they fired)."""
    return 200, {
        "faults": [f.to_json() for f in em.faults.armed],
        "spent": [f.to_json() for f in em.faults.spent],
    }


@table.add("POST", "/_emulator/faults")
def add_fault(em: Any, req: Req) -> Result:
    try:
        fault = parse_fault(req.body, em.limiter.policies)
    except ValueError as e:
        raise em.error(400, str(e)) from None
    em.faults.add(fault)
    return 201, fault.to_json()


@table.add("DELETE", "/_emulator/faults")
def clear_faults(em: Any, req: Req) -> Result:
    em.faults.clear()
    return 200, {"status": "ok"}


ADMIN_ROUTES = table.routes
