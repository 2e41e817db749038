"""A tiny service built on the emulator toolkit, as a new emulator would be: its routes,
its error shape, its credential, a per-minute limit with Freshdesk-style headers."""

from __future__ import annotations

import time
from typing import Any

from moulin_sync.emulators.toolkit import (
    Answer,
    Auth,
    Call,
    Emulator,
    FixedWindow,
    JsonState,
    Req,
    Result,
    RouteSpec,
    RouteTable,
    ServiceError,
)
from moulin_sync.emulators.toolkit.answers import Headers

table = RouteTable()


class PerMinute:
    """`limit` per minute; a call with `?include=...` costs 2 (as Freshdesk counts)."""

    policies = ("PER_MINUTE",)

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.window = FixedWindow(60.0)
        self.last_cost = 0

    @staticmethod
    def cost(call: Call) -> int:
        return 2 if "include=" in call.query else 1

    def acquire(self, call: Call) -> Answer | None:
        now = time.monotonic()
        cost = self.cost(call)
        if self.limit is not None and self.window.spent(now) + cost > self.limit:
            return self.refusal(call, "PER_MINUTE")
        self.window.add(now, cost)
        self.last_cost = cost
        return None

    def refusal(self, call: Call, policy: str) -> Answer:
        wait = max(1, round(self.window.resets_in(time.monotonic())))
        return Answer(429, {"code": "TOO_MANY", "description": "Slow down"},
                      {"Retry-After": str(wait)})  # fmt: skip

    def headers(self, call: Call) -> Headers:
        if self.limit is None:
            return []
        remaining = max(0, self.limit - self.window.spent(time.monotonic()))
        return [
            (b"x-ratelimit-total", str(self.limit).encode()),
            (b"x-ratelimit-remaining", str(remaining).encode()),
            (b"x-ratelimit-used-currentrequest", str(self.cost(call)).encode()),
        ]

    def reset(self) -> None:
        self.window.clear()


class Kiosk(Emulator):
    name = "Kiosk"

    def __init__(self, auth: Auth, *, limit: int | None = None, state: str | None = None) -> None:
        super().__init__(
            auth=auth, limiter=PerMinute(limit), state=JsonState(lambda: {"items": {}}, state)
        )

    def routes(self) -> list[RouteSpec]:
        return table.routes

    def error(self, status: int, message: str) -> ServiceError:
        return Answer(status, {"code": f"E{status}", "description": message})


def _items(em: Kiosk) -> dict[str, Any]:
    return em.state.data["items"]


@table.add("GET", "/items")
def list_items(em: Kiosk, req: Req) -> Result:
    return (
        200,
        sorted(_items(em).values(), key=lambda i: i["id"]),
        {"Link": '</items?page=2>; rel="next"'},
    )


@table.add("POST", "/items", mutates=True)
def create_item(em: Kiosk, req: Req) -> Result:
    name = (req.body or {}).get("name") if isinstance(req.body, dict) else None
    if not isinstance(name, str):
        raise em.error(400, "name must be a string")
    item = {"id": len(_items(em)) + 1, "name": name}
    _items(em)[str(item["id"])] = item
    return 201, item


@table.add("POST", "/items/{itemId}/rename", mutates=True)
def rename_item(em: Kiosk, req: Req) -> Result:
    """Writes first, then checks: a refused rename must leave the item as it was."""
    item = _items(em).get(req.params["itemId"])
    if item is None:
        raise em.error(404, "no such item")
    item["name"] = req.body["name"]  # a body without a name: KeyError, after a write below
    if req.body.get("crash"):
        _items(em)["99"] = {"id": 99, "name": "half-done"}
        raise RuntimeError("the emulator has a bug")
    if not item["name"]:
        raise em.error(400, "name must not be empty")
    return 200, item
