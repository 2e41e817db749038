"""Agents: the account's owner (whose API key clients use; `GET /agents/me`) and any
agent a bulk load adds, to be tickets' responders."""

from __future__ import annotations

from typing import Any

from .store import FIRST_USER_ID, Record
from .timefmt import iso

OWNER_EMAIL = "admin@emulator.freshdesk.test"


def new_agent(rid: int, values: dict[str, Any], now: int) -> Record:
    created = values.get("created_at", now)
    return {
        "id": rid, "name": values.get("name", "Agent"), "email": values.get("email"),
        "job_title": values.get("job_title"), "phone": None, "mobile": None,
        "language": "fr", "time_zone": "Paris", "active": True,
        "created_at": created, "updated_at": values.get("updated_at", created),
    }  # fmt: skip


def owner(now: int) -> Record:
    """The agent every new account has: its administrator."""
    return new_agent(FIRST_USER_ID, {"name": "Admin", "email": OWNER_EMAIL}, now)


def render(agent: Record) -> dict[str, Any]:
    created, updated = iso(agent["created_at"]), iso(agent["updated_at"])
    return {
        "available": True, "occasional": False, "id": agent["id"], "ticket_scope": 1,
        "signature": None, "group_ids": [], "role_ids": [], "skill_ids": [],
        "available_since": None, "type": "support_agent",
        "created_at": created, "updated_at": updated,
        "contact": {
            "active": agent["active"], "email": agent["email"], "job_title": agent["job_title"],
            "language": agent["language"], "last_login_at": None, "mobile": agent["mobile"],
            "name": agent["name"], "phone": agent["phone"], "time_zone": agent["time_zone"],
            "created_at": created, "updated_at": updated,
        },
    }  # fmt: skip
