"""What the app, the HubSpot endpoints and the admin API share: the emulator's state, the
request and result of a handler, and the route tables handlers are declared in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import QueryParams

from .errors import bad_request
from .faults import Faults
from .object_types import resolve_type
from .objects import Objects
from .ratelimit import Limits, RateLimiter
from .store import Store
from .timestamps import iso_ms, now_ms


class Emulator:
    """Everything one running emulator holds: the store, limits, faults and stats."""

    def __init__(
        self,
        *,
        token: str,
        limits: Limits,
        state_path: str | None = None,
        search_lag: float = 0.0,
    ) -> None:
        self.token = token
        self.store = Store(state_path, search_lag)
        self.objects = Objects(self.store)
        self.limiter = RateLimiter(limits)
        self.faults = Faults()
        self.stats: Counter[tuple[str, str, int]] = Counter()
        # (low, high): each API call waits a uniform time in between, as HubSpot takes.
        self.latency_ms: tuple[float, float] | None = None


@dataclass
class Req:
    """One API call as a handler sees it: path parameters, query string, parsed JSON body."""

    params: dict[str, str]
    query: QueryParams
    body: Any

    def flag(self, name: str) -> bool:
        return self.query.get(name, "false").lower() == "true"

    def dict_body(self) -> dict[str, Any]:
        if not isinstance(self.body, dict):
            raise bad_request("Invalid input JSON: expected an object", "INVALID_INPUT")
        return self.body

    def object_type(self, param: str = "objectType") -> str:
        """The canonical object type named by path parameter `param` (400 when unknown)."""
        return resolve_type(self.params[param])


Result = tuple[int, Any]  # (HTTP status, JSON body or None)
Handler = Callable[[Emulator, Req], Result]
# (method, path template, handler, mutates). A mutating route's request ends with a store
# commit, and faults armed with `writes: true` target it.
RouteSpec = tuple[str, str, Handler, bool]


def schema_changed(em: Emulator, status: int, body: Any) -> Result:
    """The answer of a handler that changed the schema, which the next commit then writes."""
    em.store.schema_dirty = True
    return status, body


def schema_created(em: Emulator, req: Req, create: Any) -> Result:
    """201 with what `create(object type, body, now)` added to the schema."""
    return schema_changed(em, 201, create(req.object_type(), req.dict_body(), iso_ms(now_ms())))


class RouteTable:
    """Routes declared with `@table.add(...)` on their handlers, kept in declaration order.

    Starlette tries routes in order and takes the first match, so a literal path such as
    `.../groups` must be declared before a parameter one like `.../{propertyName}`.
    """

    def __init__(self) -> None:
        self.routes: list[RouteSpec] = []

    def add(self, method: str, path: str, *, mutates: bool = False) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append((method, path, handler, mutates))
            return handler

        return register
