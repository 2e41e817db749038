"""What every service emulator shares: the gate, the admin API, faults, limits, state, CLI.

An emulator is a subclass of `Emulator` served by `create_app(em)`:

    class Typeform(Emulator):
        name = "Typeform"

        def __init__(self, token: str, state_path: str | None = None) -> None:
            super().__init__(
                auth=BearerAuth(token, any_case=True),          # or BasicAuth(api_key, "X")
                limiter=TypeformLimiter(),                      # a `Limiter`: 429s, headers
                state=JsonState(lambda: {"forms": {}, "responses": {}}, state_path),
            )

        def routes(self) -> list[RouteSpec]:
            return table.routes                                # @table.add("GET", "/forms")

        def error(self, status: int, message: str) -> ServiceError:
            return Answer(status, {"code": "ERROR", "description": message})

Handlers are `(em, req) -> (status, body[, headers])`; they raise `em.error(...)` (or a
richer `ServiceError`) to answer an error, and may change `em.state.data` freely before
raising: a failed request is rolled back, and an unexpected exception is answered in the
service's shape (400), never as a 500. A route declared `mutates=True` ends with a commit
(the state file is written) and is what faults armed with `writes: true` hit.

The admin API (`/_emulator/health`, `reset`, `state`, `stats`, `stats/reset`, `faults`)
and the fault kinds (`status`, `hang`, `drop_after_commit`, `hang_after_commit`) come with
it; `app.create_app(em)` serves an emulator (an ASGI app);
`moulin_sync.testing.emulator` starts any emulator in a thread or a process for tests.
The CLI (`cli.serve_options`, `cli.serve`) makes `moulin-sync emulator <service>`.
"""

from .answers import Answer, ServiceError
from .auth import Auth, BasicAuth, BearerAuth
from .limits import Call, DailyBudget, FixedWindow, Limiter, NoLimit, RollingWindow, TokenBucket
from .routes import Req, Result, RouteSpec, RouteTable
from .service import Emulator
from .state import JsonState, State, StateLocked, lock_state_file

__all__ = [
    "Answer",
    "Auth",
    "BasicAuth",
    "BearerAuth",
    "Call",
    "DailyBudget",
    "Emulator",
    "FixedWindow",
    "JsonState",
    "Limiter",
    "NoLimit",
    "Req",
    "Result",
    "RollingWindow",
    "RouteSpec",
    "RouteTable",
    "ServiceError",
    "State",
    "StateLocked",
    "TokenBucket",
    "lock_state_file",
]  # fmt: skip
