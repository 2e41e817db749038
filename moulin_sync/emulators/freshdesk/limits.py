"""Freshdesk's per-minute rate limits by plan, counted in API credits.

Every call spends credits from the account's window of a minute, and the endpoints
Freshdesk caps further (ticket create, ticket update, ticket list, contact list) also
from their own. A call costs 1 credit; each `include` adds 2 on the ticket list and 1
on a ticket view (`conversations`: 2), as Freshdesk's docs state. Every answer carries
`X-RateLimit-Total`, `X-RateLimit-Remaining` and `X-RateLimit-Used-CurrentRequest` (the
account's window); a 429 carries `Retry-After`, the seconds until the window that
refused the call starts afresh.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from urllib.parse import parse_qs

from ..toolkit import Answer, Call, FixedWindow
from ..toolkit.answers import Headers

TICKETS = "/api/v2/tickets"
TICKET = "/api/v2/tickets/{ticket_id}"
# (method, route template) -> the endpoint limit it counts against.
ENDPOINTS = {
    ("POST", TICKETS): "ticket_create",
    ("PUT", TICKET): "ticket_update",
    ("GET", TICKETS): "tickets_list",
    ("GET", "/api/v2/contacts"): "contacts_list",
}
POLICIES = ("account", "ticket_create", "ticket_update", "tickets_list", "contacts_list")


@dataclass(frozen=True)
class Plan:
    account: int
    ticket_create: int
    ticket_update: int
    tickets_list: int
    contacts_list: int

    def limit(self, policy: str) -> int:
        return int(getattr(self, policy))


# Freshdesk's API documentation, "Rate Limit" (per minute, per account).
PLANS: dict[str, Plan | None] = {
    "growth": Plan(200, 80, 80, 20, 20),
    "pro": Plan(400, 160, 160, 100, 100),
    "enterprise": Plan(700, 280, 280, 200, 200),
    "unlimited": None,  # no limit and no headers: benchmarks and bulk demos
}


def cost(call: Call) -> int:
    """The credits a call spends: 1, plus its embeds (`include=...`)."""
    include = parse_qs(call.query).get("include", [])
    embeds = [e.strip() for value in include for e in value.split(",") if e.strip()]
    if call.method == "GET" and call.template == TICKETS:
        return 1 + 2 * len(embeds)
    if call.method == "GET" and call.template == TICKET:
        return 1 + sum(2 if e == "conversations" else 1 for e in embeds)
    return 1


class FreshdeskLimiter:
    policies = POLICIES

    def __init__(self, plan: str) -> None:
        self.plan_name = plan
        self.plan = PLANS[plan]
        self.windows = {policy: FixedWindow(60.0) for policy in POLICIES}
        self._last_cost = 0

    def set_plan(self, plan: str) -> None:
        self.plan_name, self.plan = plan, PLANS[plan]
        self.reset()

    def acquire(self, call: Call) -> Answer | None:
        if self.plan is None:
            return None
        now = time.monotonic()
        spend = cost(call)
        endpoint = ENDPOINTS.get((call.method, call.template))
        counted = ("account",) if endpoint is None else ("account", endpoint)
        for policy in counted:
            if self.windows[policy].spent(now) + spend > self.plan.limit(policy):
                return self.refusal(call, policy)
        for policy in counted:
            self.windows[policy].add(now, spend)
        self._last_cost = spend
        return None

    def refusal(self, call: Call, policy: str) -> Answer:
        self._last_cost = 0
        wait = max(1, math.ceil(self.windows[policy].resets_in(time.monotonic())))
        limit = self.plan.limit(policy) if self.plan is not None else 0
        what = "the account's" if policy == "account" else f"the {policy.replace('_', ' ')}"
        message = (f"You have exceeded {what} limit of {limit} API credits per minute "
                   f"({self.plan_name} plan). Retry after {wait} seconds.")  # fmt: skip
        return Answer(429, {"code": "rate_limit_exceeded", "message": message},
                      {"Retry-After": str(wait)})  # fmt: skip

    def headers(self, call: Call) -> Headers:
        if self.plan is None:
            return []
        total = self.plan.account
        remaining = max(0, total - self.windows["account"].spent(time.monotonic()))
        return [
            (b"x-ratelimit-total", str(total).encode()),
            (b"x-ratelimit-remaining", str(remaining).encode()),
            (b"x-ratelimit-used-currentrequest", str(self._last_cost).encode()),
        ]

    def reset(self) -> None:
        for window in self.windows.values():
            window.clear()
