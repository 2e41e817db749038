"""What the app, the HubSpot endpoints and the admin API share: the emulator (the toolkit's
`Emulator` holding HubSpot's store, limits and answers; `app.HubSpotEmulator` adds the
routes), the request a handler sees, and the route tables handlers are declared in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..toolkit import BearerAuth, Result, RouteSpec, RouteTable, ServiceError
from ..toolkit import Emulator as ToolkitEmulator
from ..toolkit import Req as ToolkitReq
from .errors import ApiError, bad_request
from .object_types import resolve_type
from .objects import Objects
from .portal import PortalState
from .ratelimit import Limits, RateLimiter
from .store import Store
from .timestamps import iso_ms, now_ms

UNAUTHORIZED = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and "
    "you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)


class Req(ToolkitReq):
    """One API call as a HubSpot handler sees it."""

    def dict_body(self) -> dict[str, Any]:
        if not isinstance(self.body, dict):
            raise bad_request("Invalid input JSON: expected an object", "INVALID_INPUT")
        return self.body

    def object_type(self, param: str = "objectType") -> str:
        """The canonical object type named by path parameter `param` (400 when unknown)."""
        return resolve_type(self.params[param])


class Emulator(ToolkitEmulator):
    """Everything one running HubSpot emulator holds: the store, limits, faults and stats."""

    name = "HubSpot"
    request_type = Req
    limiter: RateLimiter

    def __init__(
        self,
        *,
        token: str,
        limits: Limits,
        state_path: str | None = None,
        search_lag: float = 0.0,
    ) -> None:
        self.store = Store(state_path, search_lag)
        self.objects = Objects(self.store)
        super().__init__(
            auth=BearerAuth(token), limiter=RateLimiter(limits), state=PortalState(self.store)
        )

    def error(self, status: int, message: str) -> ServiceError:
        category = {404: "OBJECT_NOT_FOUND", 401: "INVALID_AUTHENTICATION"}.get(
            status, "INTERNAL_ERROR" if status >= 500 else "VALIDATION_ERROR"
        )
        return ApiError(status, category, message)

    def unauthorized(self) -> ServiceError:
        return self.error(401, UNAUTHORIZED)

    def fault_answer(self, status: int, message: str | None) -> ServiceError:
        # An injected fault's category says only server or client side, whatever the status.
        category = "INTERNAL_ERROR" if status >= 500 else "VALIDATION_ERROR"
        text = message if message is not None else f"Injected fault: HTTP {status}"
        return ApiError(status, category, text)

    def invalid_json(self) -> ServiceError:
        return ApiError(400, "VALIDATION_ERROR", "Invalid input JSON on line 1")


Handler = Callable[[Emulator, Req], Result]


def schema_changed(em: Emulator, status: int, body: Any) -> Result:
    """The answer of a handler that changed the schema, which the next commit then writes."""
    em.store.schema_dirty = True
    return status, body


def schema_created(em: Emulator, req: Req, create: Any) -> Result:
    """201 with what `create(object type, body, now)` added to the schema."""
    return schema_changed(em, 201, create(req.object_type(), req.dict_body(), iso_ms(now_ms())))


__all__ = [
    "Emulator", "Handler", "Req", "Result", "RouteSpec", "RouteTable", "schema_changed",
    "schema_created",
]  # fmt: skip
