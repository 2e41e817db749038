"""`FreshdeskEmulator`: Freshdesk API v2 on the emulator toolkit — basic auth with the API
key as the user (any password: Freshdesk ignores it; clients send `X`), the plan's
per-minute credits, Freshdesk's error bodies, and the account held in a `Store`."""

from __future__ import annotations

from typing import Any

from ..toolkit import BasicAuth, Emulator, Req, RouteSpec, ServiceError
from . import admin, people, ticket_routes
from .account import Account
from .answers import invalid, invalid_credentials, not_found, status_error
from .limits import FreshdeskLimiter


class AccountState:
    """The store as the toolkit's gate sees it (`toolkit.State`)."""

    def __init__(self, account: Account) -> None:
        self.account = account

    def begin(self, req: Req) -> None:
        self.account.store.begin()

    def commit(self) -> None:
        self.account.store.commit()

    def rollback(self) -> None:
        self.account.store.rollback()

    def reset(self, options: dict[str, Any]) -> None:
        self.account.reset_account()

    def to_json(self) -> Any:
        return admin.snapshot(self.account)

    def close(self) -> None:
        self.account.store.close()


class FreshdeskEmulator(Account, Emulator):
    name = "Freshdesk"

    def __init__(self, *, api_key: str, plan: str = "enterprise", state_path: str | None = None):
        Account.__init__(self, state_path)
        Emulator.__init__(
            self, auth=BasicAuth(api_key), limiter=FreshdeskLimiter(plan), state=AccountState(self)
        )
        if self.store.is_empty():
            self.reset_account()

    def routes(self) -> list[RouteSpec]:
        return [*ticket_routes.table.routes, *people.table.routes, *admin.table.routes]

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
