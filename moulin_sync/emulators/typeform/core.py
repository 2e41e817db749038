"""`TypeformCore`: what Typeform's endpoints share — the credential (a personal access
token, `bearer` in any case), the rate limit, the error bodies, the listing delay, and the
state: form definitions and their responses, one JSON document. `service.TypeformEmulator`
adds the routes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..toolkit import BearerAuth, Emulator, JsonState, ServiceError
from .errors import UNAUTHORIZED, typeform_error
from .limiter import DEFAULT_BURST, DEFAULT_RATE, TypeformLimiter

# Typeform lists a response about half an hour after it is submitted.
DEFAULT_LISTING_DELAY = 1800.0


def empty_state() -> dict[str, Any]:
    # forms: form id -> definition; responses: form id -> records sorted by (at, seq);
    # seq: the next record's number (the order responses reached Typeform).
    return {"forms": {}, "responses": {}, "seq": 1}


class TypeformCore(Emulator):
    name = "Typeform"
    limiter: TypeformLimiter

    def __init__(
        self,
        *,
        token: str,
        state_path: str | None = None,
        listing_delay: float = DEFAULT_LISTING_DELAY,
        rate: float | None = DEFAULT_RATE,
        burst: float = DEFAULT_BURST,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            auth=BearerAuth(token, any_case=True),
            limiter=TypeformLimiter(rate, burst),
            state=JsonState(empty_state, state_path),
        )
        self.listing_delay = listing_delay
        self.clock = clock  # wall-clock seconds: responses carry wall-clock times

    @property
    def data(self) -> dict[str, Any]:
        return self.state.data  # type: ignore[attr-defined,no-any-return]

    def now(self) -> int:
        return int(self.clock())

    def error(self, status: int, message: str) -> ServiceError:
        return typeform_error(status, message)

    def unauthorized(self) -> ServiceError:
        return typeform_error(401, UNAUTHORIZED)

    def route_not_found(self, path: str, status: int) -> ServiceError:
        if status == 405:
            return typeform_error(405, f"Method not allowed on {path}")
        return typeform_error(404, f"Endpoint not found: {path}")

    def invalid_json(self) -> ServiceError:
        return typeform_error(400, "The request body is not valid JSON.")
