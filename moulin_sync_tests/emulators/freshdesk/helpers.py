"""A thin client for the Freshdesk emulator's API and admin routes, used by the tests."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

API_KEY = "test-api-key-7c2e"
MODULE = "moulin_sync.emulators.freshdesk"
NOW = datetime(2025, 11, 20, 12, 0, tzinfo=UTC)


def basic_auth(api_key: str, password: str = "X") -> dict[str, str]:
    pair = base64.b64encode(f"{api_key}:{password}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def days_ago(days: float, now: datetime = NOW) -> str:
    return iso(now - timedelta(days=days))


class Freshdesk:
    def __init__(self, base_url: str, api_key: str = API_KEY) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, auth=(api_key, "X"), timeout=60)

    def __enter__(self) -> Freshdesk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    # -- the public API
    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params)

    def post(self, path: str, body: Any) -> httpx.Response:
        return self.http.post(path, json=body)

    def put(self, path: str, body: Any = None) -> httpx.Response:
        return self.http.put(path, json=body)

    def delete(self, path: str) -> httpx.Response:
        return self.http.delete(path)

    def tickets(self, **params: Any) -> list[dict[str, Any]]:
        r = self.get("/api/v2/tickets", **params)
        assert r.status_code == 200, r.text
        return r.json()

    def create_ticket(self, **fields: Any) -> dict[str, Any]:
        body = {"subject": "Commande non reçue", "description": "Bonjour", **fields}
        r = self.post("/api/v2/tickets", body)
        assert r.status_code == 201, r.text
        return r.json()

    # -- the admin routes
    def admin(self, method: str, path: str, body: Any = None) -> Any:
        r = self.http.request(method, "/_emulator/" + path, json=body)
        assert r.status_code in (200, 201), r.text
        return r.json()

    def bulk(self, **kinds: list[dict[str, Any]]) -> dict[str, list[int]]:
        return self.admin("POST", "bulk", kinds)

    def clock(self, now: datetime | None, frozen: bool = True) -> None:
        self.admin("POST", "clock", {"now": None if now is None else iso(now), "frozen": frozen})

    def advance(self, seconds: int) -> None:
        self.admin("POST", "clock", {"advance_seconds": seconds})

    def plan(self, plan: str) -> None:
        self.admin("PUT", "plan", {"plan": plan})

    def contact(self, email: str = "client@example.fr", **fields: Any) -> int:
        return self.bulk(contacts=[{"name": "Client", "email": email, **fields}])["contacts"][0]

    def load_tickets(
        self, requester_id: int, times: list[tuple[str, str]], **extra: Any
    ) -> list[int]:
        """Tickets with these (created_at, updated_at)."""
        rows = [
            {"requester_id": requester_id, "subject": f"Ticket {i}", "description": "x",
             "created_at": created, "updated_at": updated, **extra}
            for i, (created, updated) in enumerate(times)
        ]  # fmt: skip
        return self.bulk(tickets=rows)["tickets"]
