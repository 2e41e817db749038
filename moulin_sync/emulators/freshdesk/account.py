"""`Account`: what the endpoints work on — the store, its clock, the listings' caches and
the plan's limiter. `FreshdeskEmulator` is an `Account` served by the toolkit; the
endpoint modules know only this class, so nothing imports the service back."""

from __future__ import annotations

from . import agents
from .clock import Clock
from .limits import FreshdeskLimiter
from .paging import ListCache
from .store import Store
from .ticket_list import TicketLister


class Account:
    limiter: FreshdeskLimiter

    def __init__(self, state_path: str | None) -> None:
        self.store = Store(state_path)
        self.clock = Clock(self.store)
        self.lister = TicketLister(self.store)
        self.lists = ListCache()  # contacts and companies by name

    @property
    def plan(self) -> str:
        return self.limiter.plan_name

    def reset_account(self) -> None:
        """An empty account: no ticket, contact or company; its administrator agent."""
        self.store.reset([("agents", agents.owner(self.clock.now()))])
