"""The Freshdesk emulator as the pipeline's tests, benchmarks and the demo use it: a process
of the real `moulin-sync emulator freshdesk` command, with helpers acting as agents and
customers do — through the public API — and loading many tickets at once (admin bulk)."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx

from moulin_sync.testing.emulator import EmulatorProcess, run_emulator_process

API_KEY = "fd-pipeline-key"
DOMAIN = "lemoulin"
TICKETS = "/api/v2/tickets"


def basic_auth(api_key: str) -> dict[str, str]:
    token = base64.b64encode(f"{api_key}:X".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FreshdeskHandle:
    """A running emulator: its address and key, its admin API, and the account's API."""

    def __init__(self, process: EmulatorProcess, api_key: str) -> None:
        self.process = process
        self.api_key = api_key
        self.base_url = process.base_url
        self.admin = process.admin
        self.http = httpx.Client(base_url=process.base_url, auth=(api_key, "X"), timeout=120)

    def _ok(self, answer: httpx.Response) -> Any:
        if answer.status_code >= 400:
            raise RuntimeError(f"{answer.request.method} {answer.request.url.path} answered "
                               f"{answer.status_code}: {answer.text[:300]}")  # fmt: skip
        return answer.json() if answer.content else None

    def reset(self, *, plan: str = "unlimited", now: dt.datetime | None = None) -> None:
        """Empty, no fault, fresh counters, `plan`'s limits; the clock at `now` (running)
        or the real time."""
        self.admin.reset()
        self.admin.clear_faults()
        self.admin.reset_stats()
        self.set_plan(plan)
        self.set_clock(now)

    def set_plan(self, plan: str) -> None:
        self._ok(self.http.put("/_emulator/plan", json={"plan": plan}))

    def set_clock(self, now: dt.datetime | None, *, frozen: bool = False) -> None:
        body = {"now": iso(now) if now else None, "frozen": frozen}
        self._ok(self.http.post("/_emulator/clock", json=body))

    def advance(self, seconds: int) -> None:
        self._ok(self.http.post("/_emulator/clock", json={"advance_seconds": seconds}))

    def bulk(self, **records: Sequence[dict[str, Any]]) -> dict[str, list[int]]:
        """Load companies, contacts, agents and tickets at once (their own dates, states)."""
        return self._ok(self.http.post("/_emulator/bulk", json=records, timeout=600))

    def create_ticket(self, **fields: Any) -> dict[str, Any]:
        body = {"description": "Bonjour", "status": 2, "priority": 1, **fields}
        return self._ok(self.http.post(TICKETS, json=body))

    def update_ticket(self, ticket_id: int, **fields: Any) -> dict[str, Any]:
        return self._ok(self.http.put(f"{TICKETS}/{ticket_id}", json=fields))

    def delete_ticket(self, ticket_id: int) -> None:
        self._ok(self.http.delete(f"{TICKETS}/{ticket_id}"))

    def mark_spam(self, ticket_id: int) -> None:
        self._ok(self.http.put(f"/_emulator/tickets/{ticket_id}/spam", json={"spam": True}))

    def update_contact(self, contact_id: int, **fields: Any) -> dict[str, Any]:
        return self._ok(self.http.put(f"/api/v2/contacts/{contact_id}", json=fields))

    def list_requests(self, status: int | None = None) -> int:
        """Ticket list requests since the stats were reset (one status, or all)."""
        return self.admin.count("GET", TICKETS, status)


@contextlib.contextmanager
def run_freshdesk_emulator(
    api_key: str = API_KEY, *, plan: str = "unlimited", state_path: str | Path | None = None
) -> Iterator[FreshdeskHandle]:
    """The emulator in a process of its own."""
    args = ["--api-key", api_key, "--plan", plan]
    with run_emulator_process(
        "moulin_sync.emulators.freshdesk",
        auth=basic_auth(api_key),
        extra_args=args,
        state_path=state_path,
    ) as process:
        handle = FreshdeskHandle(process, api_key)
        try:
            yield handle
        finally:
            handle.http.close()


@contextlib.contextmanager
def demo(root: Path, console: Any, seed: int) -> Iterator[tuple[str, str, dict[str, str]]]:
    """`make demo`'s Freshdesk: the emulator (its state under `root`, the enterprise plan's
    limits), filled once with the demo's support tickets; yields (label, address, the
    variables that turn it on)."""
    from moulin_sync.demo_data.freshdesk import fill_freshdesk

    state = root / "freshdesk_emulator.db"
    with run_freshdesk_emulator(plan="enterprise", state_path=state) as freshdesk:
        summary = freshdesk.admin._call("GET", "/_emulator/summary")
        if not summary["tickets"]:
            source = f"sqlite:///{root / 'app_du_moulin.db'}"
            filled = fill_freshdesk(freshdesk.base_url, freshdesk.api_key, source, seed=seed)
            console.print(
                f"Freshdesk: {filled.tickets:,} support tickets from {filled.contacts:,} "
                "requesters."
            )
        yield (
            "Freshdesk",
            freshdesk.base_url,
            {
                "FRESHDESK_DOMAIN": DOMAIN,
                "FRESHDESK_API_KEY": freshdesk.api_key,
                "FRESHDESK_BASE_URL": freshdesk.base_url,
                "FRESHDESK_PLAN": "enterprise",
            },
        )
