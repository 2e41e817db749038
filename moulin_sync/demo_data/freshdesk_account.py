"""The demo's client of the Freshdesk emulator: its admin routes (reset, bulk load, clock)
and its public API (waiting out a 429's Retry-After), errors that say what to do."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from moulin_sync.demo_data.freshdesk_world import Desk
from moulin_sync.emulators.freshdesk.timefmt import iso

CHUNK = 2_000  # records a bulk call


class FreshdeskDemoError(RuntimeError):
    """The emulator cannot take the demo data; the message says what to do."""


@dataclass
class Ids:
    """What the emulator named the loaded records: by company name, contact email, agent
    number, and the bulk tickets in order."""

    companies: dict[str, int] = field(default_factory=dict)
    contacts: dict[str, int] = field(default_factory=dict)
    agents: list[int] = field(default_factory=list)
    tickets: list[int] = field(default_factory=list)


class Account:
    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(base_url=self.base_url, auth=(api_key, "X"), timeout=120)

    def __enter__(self) -> Account:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def _send(self, method: str, path: str, body: Any = None) -> httpx.Response:
        try:
            return self.http.request(method, path, json=body)
        except httpx.HTTPError as e:
            raise FreshdeskDemoError(
                f"cannot reach the Freshdesk emulator at {self.base_url} ({e}): start it with "
                "`moulin-sync emulator freshdesk` or pass its URL"
            ) from e

    def _checked(self, r: httpx.Response, method: str, path: str) -> Any:
        if r.status_code == 401:
            raise FreshdeskDemoError(
                f"the Freshdesk emulator at {self.base_url} refused the API key: pass the "
                "key it was started with (--api-key)"
            )
        if r.status_code >= 400:
            raise FreshdeskDemoError(f"{method} {path} answered {r.status_code}: {r.text[:500]}")
        return r.json() if r.content else None

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        path = "/_emulator/" + path
        return self._checked(self._send(method, path, body), method, path)

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """A public API call, waiting out the plan's rate limit when it answers 429."""
        path = "/api/v2/" + path
        while True:
            r = self._send(method, path, body)
            if r.status_code != 429:
                return self._checked(r, method, path)
            time.sleep(float(r.headers.get("retry-after", "1")))

    def prepare(self, replace: bool) -> None:
        """An empty account: reset when `replace`, else refuse one holding records."""
        counts = self.admin("GET", "summary")
        if not replace and (counts["tickets"] or counts["contacts"] or counts["companies"]):
            raise FreshdeskDemoError(
                f"the Freshdesk emulator at {self.base_url} already holds {counts['tickets']} "
                f"tickets and {counts['contacts']} contacts: pass replace=True (--replace) to "
                "empty it first"
            )
        self.admin("POST", "reset")

    def set_clock(self, epoch: int, *, frozen: bool = True) -> None:
        self.admin("POST", "clock", {"now": iso(epoch), "frozen": frozen})

    def load(self, desk: Desk) -> Ids:
        """Companies, agents, contacts, then tickets; the ids the emulator gave them."""
        ids = Ids()
        answered = self.admin("POST", "bulk", {
            "companies": [_dated(row) for row in desk.companies],
            "agents": [_dated(row) for row in desk.agents],
        })  # fmt: skip
        names = [row["name"] for row in desk.companies]
        ids.companies = dict(zip(names, answered["companies"], strict=True))
        ids.agents = answered["agents"]
        for start in range(0, len(desk.contacts), CHUNK):
            rows = desk.contacts[start : start + CHUNK]
            loaded = self.admin("POST", "bulk", {"contacts": [_contact(r, ids) for r in rows]})
            ids.contacts |= {
                r["email"]: rid for r, rid in zip(rows, loaded["contacts"], strict=True)
            }
        ids.tickets = self.load_tickets(desk.tickets, ids)
        return ids

    def load_tickets(self, rows: list[dict[str, Any]], ids: Ids) -> list[int]:
        loaded: list[int] = []
        for start in range(0, len(rows), CHUNK):
            chunk = [_ticket(r, ids) for r in rows[start : start + CHUNK]]
            loaded += self.admin("POST", "bulk", {"tickets": chunk})["tickets"]
        return loaded


def _dated(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "created_at": iso(row["created_at"]), "updated_at": iso(row["updated_at"])}


def _contact(row: dict[str, Any], ids: Ids) -> dict[str, Any]:
    out = _dated({k: v for k, v in row.items() if k != "company"})
    if row["company"]:
        out["company_id"] = ids.companies[row["company"]]
    return out


def _ticket(row: dict[str, Any], ids: Ids) -> dict[str, Any]:
    out = _dated({k: v for k, v in row.items() if k not in ("requester", "responder")})
    out["requester_id"] = ids.contacts[row["requester"]]
    if row["responder"] is not None:
        out["responder_id"] = ids.agents[row["responder"]]
    return out
