"""What the HubSpotClient tests share: a token, routes, sample contacts, emulator counts."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from moulin_sync.testing.hubspot_emulator import EmulatorHandle, free_port

TOKEN = "pat-eu1-0000-very-secret-token"
UPSERT = "/crm/v3/objects/contacts/batch/upsert"
CREATE = "/crm/v3/objects/contacts/batch/create"
PRIMARY_CONTACT_TO_COMPANY = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}
CONTACT_TO_COMPANY = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}
DEAL_TO_COMPANY = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 341}


def dead_url() -> str:
    """A local port nobody listens on: connections are refused at once."""
    return f"http://127.0.0.1:{free_port()}"


def contacts(n: int, start: int = 0, domain: str = "moulin.test") -> list[dict[str, Any]]:
    return [
        {"id": f"c{i}@{domain}", "properties": {"firstname": f"C{i}", "lastname": "Test"}}
        for i in range(start, start + n)
    ]


def stored(emulator: EmulatorHandle, object_type: str) -> list[dict[str, Any]]:
    return [r for r in emulator.admin.state()["objects"][object_type] if not r["archived"]]


def emails(emulator: EmulatorHandle) -> Counter[str]:
    return Counter(r["properties"].get("email") for r in stored(emulator, "contacts"))


def by_template(calls: Counter[str]) -> Counter[str]:
    """The client's "METHOD /crm/v3/objects/contacts/..." keys as the emulator's route templates."""
    out: Counter[str] = Counter()
    for key, n in calls.items():
        method, path = key.split(" ", 1)
        path = re.sub(r"^/crm/v3/objects/[^/{]+", "/crm/v3/objects/{objectType}", path)
        path = re.sub(r"^/crm/v3/(properties|pipelines)/[^/{]+", r"/crm/v3/\1/{objectType}", path)
        path = re.sub(
            r"^/crm/v4/associations/[^/]+/[^/]+",
            "/crm/v4/associations/{fromObjectType}/{toObjectType}",
            path,
        )
        out[f"{method} {path}"] += n
    return out


def emulator_counts(emulator: EmulatorHandle) -> Counter[str]:
    out: Counter[str] = Counter()
    for row in emulator.admin.stats():
        out[f"{row['method']} {row['route']}"] += row["count"]
    return out


def batches_of(items: list[Any], size: int = 100) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def count_status(emulator: EmulatorHandle, status: int) -> int:
    return sum(r["count"] for r in emulator.admin.stats() if r["status"] == status)
