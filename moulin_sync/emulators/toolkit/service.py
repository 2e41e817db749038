"""`Emulator`: the base of every service's emulator — what the gate and the admin API need.

A service subclasses it and gives: its routes (`routes()`), its error shape (`error()`),
and, where its answers differ from that shape, `unauthorized()`, `route_not_found()`,
`fault_answer()`, `invalid_json()`. Its credential (`auth`), rate limiter (`limiter`) and
state (`state`) are passed to `__init__`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from .answers import ServiceError
from .auth import Auth
from .faults import Faults
from .limits import Limiter
from .routes import Req, RouteSpec
from .state import State


class Emulator:
    name = "service"  # the service's name, in logs and in answers naming the emulator
    request_type: type[Req] = Req

    def __init__(self, *, auth: Auth, limiter: Limiter, state: State) -> None:
        self.auth = auth
        self.limiter = limiter
        self.state = state
        self.faults = Faults()
        # (method, route template, status) -> requests answered; admin calls are not counted.
        self.stats: Counter[tuple[str, str, int]] = Counter()
        # (low, high): each API call waits a uniform time in between, as the service takes.
        self.latency_ms: tuple[float, float] | None = None

    # -- what the service serves
    def routes(self) -> list[RouteSpec]:
        """The service's routes, its own admin routes included, in matching order."""
        raise NotImplementedError

    # -- how the service answers
    def error(self, status: int, message: str) -> ServiceError:
        """An error of `status` in the service's own shape."""
        raise NotImplementedError

    def unauthorized(self) -> ServiceError:
        return self.error(401, "Authentication credentials not found or invalid")

    def route_not_found(self, path: str, status: int) -> ServiceError:
        """A path no route serves (404), or a method the path does not allow (405)."""
        message = "Method not allowed" if status == 405 else f"Route not found: {path}"
        return self.error(status, message)

    def fault_answer(self, status: int, message: str | None) -> ServiceError:
        """What an injected `status` fault answers (not 429: the limiter answers those)."""
        return self.error(
            status, message if message is not None else f"Injected fault: HTTP {status}"
        )

    def invalid_json(self) -> ServiceError:
        return self.error(400, "Invalid input JSON")

    def unexpected(self, exc: Exception) -> ServiceError:
        """A request the emulator failed on: a 400 in the service's shape, never a 500
        (the request changed nothing; the log holds the traceback)."""
        return self.error(
            400,
            f"The {self.name} emulator could not process this request "
            f"({type(exc).__name__}: {str(exc)[:200]}); nothing was changed. The request "
            "may be malformed, or the emulator lacks this case: report it with the request.",
        )

    # -- admin
    def reset(self, options: dict[str, Any]) -> None:
        """`POST /_emulator/reset`: an empty service and fresh rate-limit counters."""
        self.state.reset(options)
        self.limiter.reset()

    def close(self) -> None:
        self.state.close()
