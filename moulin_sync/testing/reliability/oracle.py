"""The one oracle: what HubSpot must hold, and how far a HubSpot is from it.

`capture()` reduces an emulator's `/_emulator/state` to a canonical image: per object type,
per moulin_* key, every live record's properties (ids and server timestamps left out,
pipeline and stage ids turned into labels) and associations (targets named by their own
moulin_* key). Two images of two emulators compare equal when HubSpot holds the same
records with the same values and links, whatever ids either emulator handed out.

The expected image is the final state of a clean reference run on a fresh emulator;
`audit_reference()` checks that reference against the source database itself (using the
source quality rules, not the transforms under test), so the oracle is not taken on trust.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import polars as pl

from moulin_sync.hubspot.streams.deals import DEAL_PIPELINE
from moulin_sync.hubspot.sync.state import SYNCED, SyncState
from moulin_sync.sources.app_du_moulin import quality
from moulin_sync.sources.app_du_moulin.reader import SourceReader
from moulin_sync.testing.hubspot_emulator import EmulatorHandle

KEYS = {
    "contacts": "moulin_customer_id",
    "companies": "moulin_company_id",
    "deals": "moulin_order_id",
}
# Set by the server, different on every emulator: not part of what a record "is".
VOLATILE = frozenset({"hs_object_id", "createdate", "lastmodifieddate", "hs_lastmodifieddate"})


@dataclass
class HubSpotImage:
    """HubSpot's content, canonical: comparable across emulators."""

    # type → key → canonical JSON of each live record carrying that key (2+ = duplicates)
    records: dict[str, dict[str, list[str]]]
    # type → key → HubSpot ids of those records (for the state-store check)
    ids: dict[str, dict[str, list[str]]]
    keyless: dict[str, list[str]]  # type → ids of live records without our key
    archived: dict[str, list[str]]  # type → keys (or ids) of archived records
    pipelines: dict[str, int]  # deal pipeline label → how many pipelines carry it

    def count(self) -> int:
        return sum(len(v) for by_key in self.records.values() for v in by_key.values())


def _pipelines(handle: EmulatorHandle) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{handle.base_url}/crm/v3/pipelines/deals",
        headers={"Authorization": f"Bearer {handle.token}"},
        timeout=30,
    )
    answer.raise_for_status()
    return list(answer.json()["results"])


def capture(handle: EmulatorHandle) -> HubSpotImage:
    objects = handle.admin.state()["objects"]
    pipelines = _pipelines(handle)
    pipeline_label = {str(p["id"]): p["label"] for p in pipelines}
    stage_label = {
        str(s["id"]): f"{p['label']} / {s['label']}" for p in pipelines for s in p["stages"]
    }
    key_of: dict[tuple[str, str], str] = {}
    for object_type, rows in objects.items():
        key_name = KEYS.get(object_type)
        for row in rows:
            key = row["properties"].get(key_name) if key_name else None
            key_of[(object_type, str(row["id"]))] = key or f"<{object_type} {row['id']}, no key>"
    records: dict[str, dict[str, list[str]]] = {t: {} for t in KEYS}
    ids: dict[str, dict[str, list[str]]] = {t: {} for t in KEYS}
    keyless: dict[str, list[str]] = {t: [] for t in KEYS}
    archived: dict[str, list[str]] = {t: [] for t in KEYS}
    for object_type, key_name in KEYS.items():
        for row in objects[object_type]:
            key = row["properties"].get(key_name)
            if row["archived"]:
                archived[object_type].append(key or str(row["id"]))
                continue
            if not key:
                keyless[object_type].append(str(row["id"]))
                continue
            properties = {k: v for k, v in row["properties"].items() if k not in VOLATILE}
            if object_type == "deals":
                if "pipeline" in properties:
                    properties["pipeline"] = pipeline_label.get(
                        properties["pipeline"], properties["pipeline"]
                    )
                if "dealstage" in properties:
                    properties["dealstage"] = stage_label.get(
                        properties["dealstage"], properties["dealstage"]
                    )
            associations = {
                to_type: sorted(
                    [key_of.get((to_type, str(link["id"])), "?"), sorted(link["types"])]
                    for link in links
                )
                for to_type, links in sorted(row["associations"].items())
            }
            canonical = json.dumps(
                {"properties": properties, "associations": associations},
                sort_keys=True,
                ensure_ascii=False,
            )
            records[object_type].setdefault(key, []).append(canonical)
            ids[object_type].setdefault(key, []).append(str(row["id"]))
    return HubSpotImage(
        records=records,
        ids=ids,
        keyless=keyless,
        archived=archived,
        pipelines=dict(Counter(p["label"] for p in pipelines)),
    )


@dataclass
class Verdict:
    """How far a HubSpot is from the expected one. Every figure must be 0."""

    duplicates: int = 0  # extra records for one key, keyless look-alikes, extra pipelines
    lost: int = 0  # expected records HubSpot does not hold
    extra: int = 0  # records HubSpot holds that the source does not call for
    mismatched: int = 0  # held once, but with other values or associations
    stale_state: int = 0  # state-store rows naming a HubSpot id that is not the record
    details: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.duplicates or self.lost or self.extra or self.mismatched) and not (
            self.stale_state
        )

    def describe(self, limit: int = 12) -> str:
        head = (
            f"duplicates {self.duplicates}, lost {self.lost}, extra {self.extra}, "
            f"mismatched {self.mismatched}, stale state {self.stale_state}"
        )
        return "\n".join([head, *self.details[:limit]])


def _diff(expected: str, actual: str) -> str:
    lines = difflib.unified_diff(
        json.dumps(json.loads(expected), indent=1, ensure_ascii=False).splitlines(),
        json.dumps(json.loads(actual), indent=1, ensure_ascii=False).splitlines(),
        lineterm="",
        n=0,
    )
    return " ".join(line.strip() for line in list(lines)[2:8])


def compare(expected: HubSpotImage, actual: HubSpotImage) -> Verdict:
    verdict = Verdict()
    for object_type in KEYS:
        want, have = expected.records[object_type], actual.records[object_type]
        for key, found in sorted(have.items()):
            if len(found) > 1:
                verdict.duplicates += len(found) - 1
                verdict.details.append(
                    f"{object_type} {key}: {len(found)} records "
                    f"(ids {', '.join(actual.ids[object_type][key])})"
                )
            if key not in want:
                verdict.extra += 1
                verdict.details.append(f"{object_type} {key}: in HubSpot, not expected")
            elif want[key][0] not in found:
                verdict.mismatched += 1
                verdict.details.append(
                    f"{object_type} {key}: differs: {_diff(want[key][0], found[0])}"
                )
        for key in sorted(set(want) - set(have)):
            verdict.lost += 1
            verdict.details.append(f"{object_type} {key}: missing from HubSpot")
        surplus_keyless = len(actual.keyless[object_type]) - len(expected.keyless[object_type])
        if surplus_keyless > 0:
            verdict.duplicates += surplus_keyless
            verdict.details.append(
                f"{object_type}: {surplus_keyless} record(s) without {KEYS[object_type]} "
                f"(ids {', '.join(actual.keyless[object_type][:5])})"
            )
        archived = Counter(actual.archived[object_type]) - Counter(expected.archived[object_type])
        if archived:
            verdict.extra += sum(archived.values())
            verdict.details.append(f"{object_type}: unexpected archived {sorted(archived)[:5]}")
    for label, count in actual.pipelines.items():
        surplus = count - expected.pipelines.get(label, 0)
        if surplus > 0:
            verdict.duplicates += surplus
            verdict.details.append(f"deal pipeline {label!r}: {count} pipelines")
    for label in set(expected.pipelines) - set(actual.pipelines):
        verdict.lost += 1
        verdict.details.append(f"deal pipeline {label!r}: missing")
    return verdict


def state_problems(state_url: str, image: HubSpotImage) -> list[str]:
    """State-store rows that say a record is synced under an id HubSpot does not give it."""
    problems = []
    store = SyncState(state_url)
    try:
        for object_type in KEYS:
            rows = store.load(object_type).filter(pl.col("status") == SYNCED)
            for key, hubspot_id in rows.select("source_key", "hubspot_id").iter_rows():
                if hubspot_id not in image.ids[object_type].get(key, []):
                    problems.append(
                        f"state store: {object_type} {key} synced as {hubspot_id}, HubSpot "
                        f"has it as {image.ids[object_type].get(key) or 'nothing'}"
                    )
    finally:
        store.close()
    return problems


def verify(expected: HubSpotImage, handle: EmulatorHandle, state_url: str | None) -> Verdict:
    """Compare the emulator with the expected image, and the state store with the emulator."""
    actual = capture(handle)
    verdict = compare(expected, actual)
    if state_url is not None:
        stale = state_problems(state_url, actual)
        verdict.stale_state = len(stale)
        verdict.details.extend(stale)
    return verdict


# The reference itself, against the source ---------------------------------------------------


def _month_window(months: tuple[str, str]) -> tuple[str, str]:
    """[first day, day after the last month) of a partition range, as local dates."""
    last = dt.date.fromisoformat(months[1])
    end = dt.date(last.year + (last.month == 12), last.month % 12 + 1, 1)
    return months[0], end.isoformat()


def _audit_emails(image: HubSpotImage, live: pl.DataFrame) -> list[str]:
    """Each live customer's contact carries their email when it is theirs to carry."""
    owners = (
        live.filter(quality.email_problem().is_null())
        .sort("created_at", "id")
        .group_by(quality.normalised_email().alias("email"), maintain_order=True)
        .agg(pl.col("id").first())
    )
    wanted = {str(i): email for email, i in owners.iter_rows()}
    problems = []
    for key in sorted(map(str, live["id"]), key=int):
        found = image.records["contacts"].get(key)
        if not found:
            continue  # reported as missing by the caller
        email = json.loads(found[0])["properties"].get("email")
        if email != wanted.get(key):
            problems.append(
                f"reference: contact {key} has email {email!r}, not {wanted.get(key)!r}"
            )
    return problems[:10]


def audit_reference(image: HubSpotImage, source_url: str, months: tuple[str, str]) -> list[str]:
    """What a clean run must hold, derived from the source with the quality rules alone.

    Contacts: every live customer; the email on the one that has a valid email first
    (the oldest account) among those carrying it, none on the others. Companies: every
    company with a name. Deals: every order of the months whose customer exists (live or
    erased), with a plausible amount and a known status — each with the source amount,
    its contact (none for an erased customer) and, for B2B orders, its company.
    """
    problems: list[str] = []
    reader = SourceReader(source_url)
    customers = reader.read_table("customers")
    live = customers.filter(~quality.is_erased())
    contact_keys = {str(i) for i in live["id"]}
    problems += _audit_emails(image, live)
    # An erased customer's orders are deals too, without the person (no contact link).
    erased_keys = {str(i) for i in customers.filter(quality.is_erased())["id"]}
    companies = reader.read_table("companies")
    company_keys = {
        str(i)
        for i, name in companies.select("id", "name").iter_rows()
        if name and name.strip() and len(name) <= 65_536
    }
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    first, end = _month_window(months)
    orders = reader.read_orders(
        dt.datetime.fromisoformat(first).replace(tzinfo=paris),
        dt.datetime.fromisoformat(end).replace(tzinfo=paris),
    )
    expected_deals = orders.filter(
        pl.col("customer_id").cast(pl.String).is_in(list(contact_keys | erased_keys))
        & pl.col("amount_eur").is_not_null()
        & (pl.col("amount_eur") >= 0)
        & (pl.col("amount_eur") <= quality.MAX_ORDER_AMOUNT_EUR)
        & pl.col("status").is_in(list(DEAL_PIPELINE.default_stage_for_status))
    )
    for object_type, keys in (
        ("contacts", contact_keys),
        ("companies", company_keys),
        ("deals", {str(i) for i in expected_deals["id"]}),
    ):
        held = set(image.records[object_type])
        for key in sorted(keys - held, key=int)[:10]:
            problems.append(f"reference: {object_type} {key} should be in HubSpot, is not")
        for key in sorted(held - keys, key=int)[:10]:
            problems.append(f"reference: {object_type} {key} is in HubSpot, should not be")
    for order_id, customer_id, company_id, amount in expected_deals.select(
        "id", "customer_id", "company_id", "amount_eur"
    ).iter_rows():
        found = image.records["deals"].get(str(order_id))
        if not found:
            continue
        deal = json.loads(found[0])
        if deal["properties"].get("amount") != f"{amount:.2f}":
            problems.append(
                f"reference: deal {order_id} amount {deal['properties'].get('amount')} "
                f"!= source {amount:.2f}"
            )
        contacts = [k for k, _ in deal["associations"].get("contacts", [])]
        wanted = [] if str(customer_id) in erased_keys else [str(customer_id)]
        if contacts != wanted:
            problems.append(f"reference: deal {order_id} linked to contacts {contacts}")
        if company_id is not None:
            linked = deal["associations"].get("companies", [])
            if [k for k, _ in linked] != [str(company_id)] or 5 not in linked[0][1]:
                problems.append(f"reference: deal {order_id} company links {linked}")
    if image.pipelines.get(DEAL_PIPELINE.default_label) != 1:
        problems.append(f"reference: pipelines {image.pipelines}")
    if any(image.keyless.values()) or any(image.archived.values()):
        problems.append("reference: keyless or archived records in a first load")
    return problems
