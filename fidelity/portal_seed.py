"""A portal to read: contacts linked to companies, deals linked to both, a few tickets,
written through the emulator's public API; then some of them changed."""

from __future__ import annotations

import time
from typing import Any

import httpx

from moulin_sync.testing.hubspot_emulator import EmulatorHandle

EDITS = {"contacts": {"jobtitle": "Miller"}, "companies": {"industry": "Milling"},
         "deals": {"description": "Changed"}}  # fmt: skip
NEW = {"contacts": {"email": "late@example.org"}, "companies": {"name": "Late Co"},
       "deals": {"dealname": "Late deal", "dealstage": "closedwon"}}  # fmt: skip


def seed(hs: EmulatorHandle, contacts: int, companies: int, deals: int) -> None:
    http = httpx.Client(base_url=hs.base_url, headers=hs.auth, timeout=60)
    company_ids = create(http, "companies", [
        {"name": f"Company {n}", "domain": f"c{n}.example"} for n in range(companies)])  # fmt: skip
    contact_ids = create(http, "contacts", [
        {"email": f"person{n}@example.org", "firstname": f"P{n}", "lastname": "Doe"}
        for n in range(contacts)
    ], links=lambda n: [(company_ids[n % companies], 279)])  # fmt: skip
    create(http, "deals", [
        {"dealname": f"Deal {n}", "dealstage": "appointmentscheduled", "amount": str(100 + n)}
        for n in range(deals)
    ], links=lambda n: [(contact_ids[n % contacts], 3), (company_ids[n % companies], 341)])  # fmt: skip
    create(http, "tickets", [{"subject": f"Ticket {n}", "hs_pipeline_stage": "1"} for n in range(5)],
           links=lambda n: [(contact_ids[n], 16)])  # fmt: skip
    # The portal's last edits before the first read are one record at a time, as people
    # make them: a batch leaves a hundred records written in the same millisecond.
    for t, ids in (("companies", company_ids), ("contacts", contact_ids)):
        time.sleep(0.01)
        http.patch(
            f"/crm/v3/objects/{t}/{ids[0]}", json={"properties": EDITS[t]}
        ).raise_for_status()
    time.sleep(0.01)
    http.post("/crm/v3/objects/deals", json={"properties": NEW["deals"]}).raise_for_status()


def create(http: httpx.Client, t: str, rows: list[dict[str, str]], links: Any = None) -> list[str]:
    """Batch-create `rows` (100 a call); `links(n)` gives row n's (target id, type id)."""
    ids: list[str] = []
    for start in range(0, len(rows), 100):
        inputs = []
        for n in range(start, min(start + 100, len(rows))):
            x: dict[str, Any] = {"properties": rows[n]}
            if links:
                x["associations"] = [
                    {"to": {"id": to}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                  "associationTypeId": type_id}]}
                    for to, type_id in links(n)
                ]  # fmt: skip
            inputs.append(x)
        r = http.post(f"/crm/v3/objects/{t}/batch/create", json={"inputs": inputs})
        r.raise_for_status()
        ids += [row["id"] for row in r.json()["results"]]
    return ids


def change(hs: EmulatorHandle, per_stream: int) -> dict[str, set[str]]:
    """Update `per_stream` records of contacts, companies and deals, spread over their
    ids, and create one more of each: the ids changed, by type."""
    http = httpx.Client(base_url=hs.base_url, headers=hs.auth, timeout=60)
    state = hs.admin.state()["objects"]
    changed: dict[str, set[str]] = {}
    for t, edit in EDITS.items():
        live = [r["id"] for r in state[t] if not r["archived"]]
        picked = live[:: max(1, len(live) // per_stream)][:per_stream]
        inputs = [{"id": rid, "properties": edit} for rid in picked]
        http.post(f"/crm/v3/objects/{t}/batch/update", json={"inputs": inputs}).raise_for_status()
        created = http.post(f"/crm/v3/objects/{t}", json={"properties": NEW[t]})
        created.raise_for_status()
        changed[t] = {*picked, created.json()["id"]}
    return changed
