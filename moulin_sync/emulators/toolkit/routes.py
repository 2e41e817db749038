"""How a service declares its endpoints: plain synchronous handlers in a route table.

A handler is `(emulator, request) -> (status, body)` or `(status, body, headers)`. It runs
to completion on the event loop without interleaving with another request, so each
request is atomic. It answers an error by raising a `ServiceError` (see `answers`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.datastructures import QueryParams

Result = tuple[int, Any] | tuple[int, Any, Mapping[str, str]]
Handler = Callable[[Any, Any], Result]
# (method, path template, handler, mutates). A mutating route's request ends with a commit
# of the emulator's state, and faults armed with `writes: true` target it.
RouteSpec = tuple[str, str, Handler, bool]


@dataclass
class Req:
    """One API call as a handler sees it: path parameters, query string, parsed JSON body."""

    params: dict[str, str]
    query: QueryParams
    body: Any
    method: str = "GET"
    template: str = ""  # the route's path template
    headers: Mapping[str, str] = field(default_factory=dict)

    def flag(self, name: str) -> bool:
        return self.query.get(name, "false").lower() == "true"


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
