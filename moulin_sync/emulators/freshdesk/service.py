"""`FreshdeskEmulator`: Freshdesk API v2 on the emulator toolkit — basic auth with the API
key as the user (any password: Freshdesk ignores it; clients send `X`), the plan's
per-minute credits, Freshdesk's error bodies, and the account held in a `Store`."""

from __future__ import annotations

from typing import Any

from ..toolkit import BasicAuth, Emulator, Req, RouteSpec, ServiceError
from . import agents
from .answers import invalid, invalid_credentials, not_found, status_error
from .clock import Clock
from .limits import FreshdeskLimiter
from .paging import ListCache
from .store import Store
from .ticket_list import TicketLister


class AccountState:
    """The store as the toolkit's gate sees it (`toolkit.State`)."""

    def __init__(self, em: FreshdeskEmulator) -> None:
        self.em = em

    def begin(self, req: Req) -> None:
        self.em.store.begin()

    def commit(self) -> None:
        self.em.store.commit()

    def rollback(self) -> None:
        self.em.store.rollback()

    def reset(self, options: dict[str, Any]) -> None:
        self.em.reset_account()

    def to_json(self) -> Any:
        from .admin import snapshot

        return snapshot(self.em)

    def close(self) -> None:
        self.em.store.close()


class FreshdeskEmulator(Emulator):
    name = "Freshdesk"

    def __init__(self, *, api_key: str, plan: str = "enterprise", state_path: str | None = None):
        self.store = Store(state_path)
        self.clock = Clock(self.store)
        self.lister = TicketLister(self.store)
        self.lists = ListCache()  # contacts and companies by name
        super().__init__(
            auth=BasicAuth(api_key), limiter=FreshdeskLimiter(plan), state=AccountState(self)
        )
        if self.store.is_empty():
            self.reset_account()

    @property
    def plan(self) -> str:
        return self.limiter.plan_name  # type: ignore[attr-defined]

    def reset_account(self) -> None:
        """An empty account: no ticket, contact or company; its administrator agent."""
        self.store.reset([("agents", agents.owner(self.clock.now()))])

    def routes(self) -> list[RouteSpec]:
        from .admin import table as admin
        from .people import table as people
        from .ticket_routes import table as tickets

        return [*tickets.routes, *people.routes, *admin.routes]

    def error(self, status: int, message: str) -> ServiceError:
        return status_error(status, message)

    def unauthorized(self) -> ServiceError:
        return invalid_credentials()

    def route_not_found(self, path: str, status: int) -> ServiceError:
        if status == 405:
            return status_error(405, f"This method is not allowed on {path}")
        return not_found()

    def invalid_json(self) -> ServiceError:
        return invalid(None, "Request body has invalid json format", "invalid_json")
