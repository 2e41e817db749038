"""Freshdesk tickets as HubSpot tickets, against both emulators: pulled incrementally,
one HubSpot ticket per Freshdesk ticket, on the requester's contact (and company), never
a contact created for a ticket; deleted and spam tickets archived."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from dagster import AssetKey, AssetSelection

from moulin_sync.defs.freshdesk.resources import Freshdesk
from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.testing.freshdesk_emulator import (
    DOMAIN,
    FreshdeskHandle,
    iso,
    run_freshdesk_emulator,
)
from moulin_sync.testing.hubspot_emulator import EmulatorHandle, free_port
from moulin_sync.testing.sync_world import SyncWorld, new_world, table_text

WRITE = "hubspot/tickets"
SOURCE = "freshdesk/tickets"
STEP = "freshdesk__tickets"
TICKET_ASSETS = AssetSelection.assets(AssetKey(["hubspot", "tickets"])).upstream()
WITH_CHECKS = TICKET_ASSETS | AssetSelection.checks_for_assets(AssetKey(["hubspot", "tickets"]))
DUPLICATES = f"check:{WRITE}:no_duplicate_tickets"
T0 = dt.datetime(2026, 9, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def freshdesk_server() -> Iterator[FreshdeskHandle]:
    with run_freshdesk_emulator() as handle:
        yield handle


@pytest.fixture
def freshdesk(freshdesk_server: FreshdeskHandle) -> FreshdeskHandle:
    freshdesk_server.reset()
    return freshdesk_server


def _resource(freshdesk: FreshdeskHandle, **overrides: Any) -> Freshdesk:
    values = {"domain": DOMAIN, "api_key": freshdesk.api_key, "base_url": freshdesk.base_url,
              "plan": "unlimited", **overrides}  # fmt: skip
    return Freshdesk(**values)


@pytest.fixture
def world(hubspot: EmulatorHandle, freshdesk: FreshdeskHandle, tmp_path: Path) -> SyncWorld:
    made = new_world(tmp_path, hubspot, customers=60, companies=4, orders=100, dirty_rate=0)
    made.sources = ("app_du_moulin", "freshdesk")
    made.extra = {"freshdesk": _resource(freshdesk)}
    return made


def _customers(world: SyncWorld, n: int, *, b2b: bool = False) -> list[tuple[int, str]]:
    link = "IN" if b2b else "NOT IN"
    return world.sql(
        "SELECT id, lower(trim(email)) FROM customers WHERE deleted_at IS NULL AND "
        f"anonymized_at IS NULL AND email LIKE '%@%' AND id {link} "
        "(SELECT customer_id FROM company_contacts) ORDER BY id LIMIT ?",
        (n,),
    )


def _requesters(freshdesk: FreshdeskHandle, *people: dict[str, Any]) -> list[int]:
    return freshdesk.bulk(contacts=list(people))["contacts"]


def _tickets(freshdesk: FreshdeskHandle, *rows: dict[str, Any]) -> list[int]:
    defaults = {"subject": "Commande", "description": "<div>Bonjour</div>", "status": 2,
                "priority": 2, "source": 1, "created_at": iso(T0), "updated_at": iso(T0)}  # fmt: skip
    return freshdesk.bulk(tickets=[{**defaults, **row} for row in rows])["tickets"]


def _hubspot_tickets(world: SyncWorld, *, archived: bool = False) -> dict[str, dict]:
    return {
        o["properties"]["freshdesk_ticket_id"]: o
        for o in world.objects("tickets", archived=archived)
        if o["properties"].get("freshdesk_ticket_id") and o["archived"] == archived
    }


def _contact_of(world: SyncWorld, customer_id: int) -> dict:
    return next(
        o for o in world.objects("contacts")
        if o["properties"].get("moulin_customer_id") == str(customer_id)
    )  # fmt: skip


def _client(world: SyncWorld) -> HubSpotClient:
    return HubSpotClient(base_url=world.hubspot.base_url, access_token=world.hubspot.token,
                         tier="unlimited", search_per_s=None)  # fmt: skip


def test_first_pull_puts_each_ticket_on_its_requesters_contact(
    world: SyncWorld, freshdesk: FreshdeskHandle
) -> None:
    (a, email_a), *_ = _customers(world, 1)
    (b, email_b), *_ = _customers(world, 1, b2b=True)
    company_b = world.sql("SELECT company_id FROM company_contacts WHERE customer_id = ?", (b,))
    # A requester who is no customer but whom HubSpot knows (a form's contact).
    hs_stranger = (
        _client(world)
        .objects.batch_create(
            "contacts", [{"properties": {"email": "visiteur@ailleurs.fr", "firstname": "Vi"}}]
        )
        .results[0]
        .id
    )
    ra, rb, known, nobody, phone, bad = _requesters(
        freshdesk,
        {"name": "A", "email": email_a.upper()},
        {"name": "B", "email": email_b},
        {"name": "Visiteur", "email": "visiteur@ailleurs.fr"},
        {"name": "Personne", "email": "personne@inconnu.fr"},
        {"name": "Sans email", "phone": "+33612345678"},
        {"name": "Mauvais", "email": "jean..dupont@exemple.fr"},
    )
    ids = _tickets(
        freshdesk,
        {"requester_id": ra, "subject": "Pain rassis", "priority": 4, "source": 7,
         "type": "Incident", "tags": ["pain", "qualité"]},
        {"requester_id": rb, "subject": "Facture B2B", "status": 6},
        {"requester_id": known, "subject": "Question"},
        {"requester_id": nobody, "subject": "Inconnu"},
        {"requester_id": phone, "subject": "Par téléphone"},
        {"requester_id": bad, "subject": "Email faux"},
        {"requester_id": ra, "subject": "Long", "description": "x" * 70_000, "status": 5},
    )  # fmt: skip
    t_a, t_b, t_known, _nobody, _phone, _bad, t_long = map(str, ids)

    meta = world.run(TICKET_ASSETS)

    tickets = _hubspot_tickets(world)
    assert set(tickets) == {t_a, t_b, t_known, t_long}
    first = tickets[t_a]["properties"]
    assert first["subject"] == "Pain rassis" and first["content"] == "Bonjour"
    assert first["hs_ticket_priority"] == "URGENT" and first["source_type"] == "CHAT"
    assert first["freshdesk_type"] == "Incident" and first["freshdesk_tags"] == "pain, qualité"
    assert first["freshdesk_created_at"] == "2026-09-01T09:00:00.000Z"
    # The ticket where agents open it: the account's address, not the API's.
    assert first["freshdesk_url"] == f"https://{DOMAIN}.freshdesk.com/a/tickets/{t_a}"
    # The pipeline is ours, made through the pipelines API, stages by id.
    pipeline = meta["hubspot/ticket_pipeline"]
    assert pipeline["pipeline"] == "Support Freshdesk" and pipeline["created"]
    stages = pipeline["stage_ids"]
    assert first["hs_pipeline"] == pipeline["pipeline_id"]
    assert first["hs_pipeline_stage"] == stages["2"]
    assert tickets[t_long]["properties"]["hs_pipeline_stage"] == stages["5"]
    # On the requester's contact (matched by email, case aside), and the company for B2B.
    assert [x["id"] for x in tickets[t_a]["associations"]["contacts"]] == [
        _contact_of(world, a)["id"]
    ]
    company = next(
        o for o in world.objects("companies")
        if o["properties"]["moulin_company_id"] == str(company_b[0][0])
    )  # fmt: skip
    assert [x["id"] for x in tickets[t_b]["associations"]["companies"]] == [company["id"]]
    assert [x["id"] for x in tickets[t_known]["associations"]["contacts"]] == [hs_stranger]
    # A custom status with no stage: the fallback's, reported.
    written = meta[WRITE]
    assert tickets[t_b]["properties"]["hs_pipeline_stage"] == stages["3"]
    warnings = table_text(written["warnings"])
    assert "Freshdesk status 6: no stage in MOULIN_TICKET_STAGES, put in En attente" in warnings
    # A 70,000-character description: cut to HubSpot's limit with a note, reported.
    content = tickets[t_long]["properties"]["content"]
    assert len(content) <= 65_536 and content.endswith("(cut: 70000 characters in Freshdesk)")
    assert "description of 70000 characters cut" in warnings
    # Nobody's ticket waits; no contact is made for it.
    assert written["waiting"] == 1
    assert "contact personne@inconnu.fr" in table_text(written["waiting_for"])
    assert not any(
        o["properties"].get("email") == "personne@inconnu.fr" for o in world.objects("contacts")
    )
    # No email, an email that is not one: quarantined with their reasons.
    with world.state() as state:
        rejected = dict(
            state.load("tickets").filter(pl.col("status") == "rejected")
            .select("source_key", "last_error").iter_rows()
        )  # fmt: skip
    assert rejected[_phone].startswith(f"requester {phone} has no email")
    assert rejected[_bad] == (
        f"requester {bad} has the email jean..dupont@exemple.fr, which is not an email: fix it "
        "in Freshdesk"
    )
    assert written["rejected"] == 2
    source = meta[SOURCE]
    assert source["tickets"] == 7 and source["requests"] == 3
    assert "Custom status 6".lower() in table_text(source["tickets_by_status"]).lower()
    assert "2026-09" in table_text(source["tickets_by_month"])
    strangers = table_text(source["not_customers_by_requester"])
    assert "personne@inconnu.fr" in strangers and "visiteur@ailleurs.fr" in strangers


def test_a_nothing_new_pull_is_one_request_per_listing_and_writes_nothing(
    world: SyncWorld, freshdesk: FreshdeskHandle
) -> None:
    (_, email), *_ = _customers(world, 1)
    (r,) = _requesters(freshdesk, {"name": "A", "email": email})
    _tickets(freshdesk, {"requester_id": r}, {"requester_id": r, "subject": "Deux"})
    world.run(TICKET_ASSETS)
    freshdesk.admin.reset_stats()
    world.hubspot.admin.reset_stats()

    meta = world.run(TICKET_ASSETS)

    # One for the ticket list; one each for the trash and the spam.
    assert freshdesk.list_requests() == 3
    assert meta[SOURCE]["requests_by_listing"] == {"tickets": 1, "deleted": 1, "spam": 1}
    assert meta[SOURCE]["new_or_changed"] == 0
    assert meta[WRITE]["write_calls"] == 0 and meta[WRITE]["unchanged"] == 2


def test_an_updated_ticket_updates_its_hubspot_ticket_and_an_email_change_moves_nothing(
    world: SyncWorld, freshdesk: FreshdeskHandle
) -> None:
    (a, email_a), *_ = _customers(world, 1)
    (r,) = _requesters(freshdesk, {"name": "A", "email": email_a})
    (ticket,) = _tickets(freshdesk, {"requester_id": r, "subject": "Retard"})
    world.run(TICKET_ASSETS)
    (before,) = _hubspot_tickets(world).values()

    freshdesk.update_contact(r, email="nouvelle.adresse@ailleurs.fr")
    freshdesk.update_ticket(ticket, status=4, subject="Retard de livraison")
    meta = world.run(TICKET_ASSETS)

    (after,) = _hubspot_tickets(world).values()
    assert after["id"] == before["id"], "the same HubSpot ticket, never a second"
    assert after["properties"]["subject"] == "Retard de livraison"
    assert after["properties"]["hs_pipeline_stage"] == meta["hubspot/ticket_pipeline"][
        "stage_ids"]["4"]  # fmt: skip
    # The requester's new email is nobody's: the ticket stays on the customer's contact.
    assert [x["id"] for x in after["associations"]["contacts"]] == [_contact_of(world, a)["id"]]
    assert meta[WRITE]["updated"] == 1 and meta[WRITE]["created"] == 0
    assert meta[WRITE]["associations_changed"] == 0 and meta[WRITE]["waiting"] == 0


def test_deleted_and_spam_tickets_are_archived(
    world: SyncWorld, freshdesk: FreshdeskHandle
) -> None:
    (_, email), *_ = _customers(world, 1)
    (r,) = _requesters(freshdesk, {"name": "A", "email": email})
    kept, deleted, spam = _tickets(
        freshdesk, {"requester_id": r}, {"requester_id": r}, {"requester_id": r}
    )
    # Not a GDPR erasure: archived whatever MOULIN_GDPR_ERASURE says, even "ignore".
    world.gdpr_erasure = "ignore"
    world.run(TICKET_ASSETS)
    assert len(_hubspot_tickets(world)) == 3

    freshdesk.delete_ticket(deleted)
    freshdesk.mark_spam(spam)
    meta = world.run(TICKET_ASSETS)

    assert set(_hubspot_tickets(world)) == {str(kept)}
    assert set(_hubspot_tickets(world, archived=True)) == {str(deleted), str(spam)}
    assert meta[WRITE]["archived"] == 2
    assert (meta[SOURCE]["deleted"], meta[SOURCE]["spam"]) == (1, 1)


def test_the_300_page_cap_is_crossed_by_windows(
    world: SyncWorld, freshdesk: FreshdeskHandle
) -> None:
    (_, email), *_ = _customers(world, 1)
    (r,) = _requesters(freshdesk, {"name": "A", "email": email})
    # 650 tickets, one a page: three windows; the first window ends amid five tickets
    # updated in one second (they come again in the next window, once in the table).
    rows = [
        {"requester_id": r, "subject": f"t{i}",
         "updated_at": iso(T0 + dt.timedelta(seconds=min(i, 298) if i < 303 else i))}
        for i in range(650)
    ]  # fmt: skip
    _tickets(freshdesk, *rows)
    world.extra = {"freshdesk": _resource(freshdesk, per_page=1)}

    meta = world.run(TICKET_ASSETS)

    assert freshdesk.list_requests(400) == 0, "never a page past the 300th"
    source = meta[SOURCE]
    assert source["windows"] == 3 and source["tickets"] == 650
    assert source["requests_by_listing"]["tickets"] <= 650 + 2 * 5 + 2
    assert len(_hubspot_tickets(world)) == 650


def test_a_429_with_retry_after_is_waited_out(world: SyncWorld, freshdesk: FreshdeskHandle) -> None:
    (_, email), *_ = _customers(world, 1)
    (r,) = _requesters(freshdesk, {"name": "A", "email": email})
    _tickets(freshdesk, *[{"requester_id": r, "subject": f"t{i}"} for i in range(3)])
    freshdesk.set_plan("enterprise")
    freshdesk.admin.add_fault(kind="status", status=429, policy="tickets_list", count=1,
                              method="GET", route="/api/v2/tickets")  # fmt: skip
    started = time.monotonic()

    meta = world.run(TICKET_ASSETS)

    assert freshdesk.list_requests(429) == 1
    assert meta[SOURCE]["rate_limited"] == 1 and meta[SOURCE]["retry_after_seconds"] >= 1
    assert time.monotonic() - started >= 1, "the Retry-After was waited out"
    assert len(_hubspot_tickets(world)) == 3


def test_a_fault_mid_window_then_a_rerun_loses_nothing_and_doubles_nothing(
    world: SyncWorld, freshdesk: FreshdeskHandle
) -> None:
    people = _customers(world, 20)
    requesters = _requesters(freshdesk, *[{"name": f"C{i}", "email": e} for i, (_, e) in
                                          enumerate(people)])  # fmt: skip
    rows = [
        {"requester_id": requesters[i % 20], "subject": f"t{i}",
         "updated_at": iso(T0 + dt.timedelta(minutes=i))}
        for i in range(350)
    ]  # fmt: skip
    _tickets(freshdesk, *rows)
    # The third page fails, whatever the client's retries.
    freshdesk.admin.add_fault(kind="status", status=503, count=10, skip=2, method="GET",
                              route="/api/v2/tickets")  # fmt: skip
    failed = world.run(TICKET_ASSETS, expect_success=False)
    assert SOURCE not in failed and STEP in world.failures
    assert not _hubspot_tickets(world)
    freshdesk.admin.clear_faults()

    meta = world.run(WITH_CHECKS)

    assert meta[SOURCE]["tickets"] == 350
    assert len(_hubspot_tickets(world)) == 350 and meta[WRITE]["created"] == 350
    assert meta[DUPLICATES]["passed"]


def test_the_duplicate_check_catches_a_ticket_created_twice_by_hand(
    world: SyncWorld, freshdesk: FreshdeskHandle
) -> None:
    (_, email), *_ = _customers(world, 1)
    (r,) = _requesters(freshdesk, {"name": "A", "email": email})
    (ticket,) = _tickets(freshdesk, {"requester_id": r})
    world.run(TICKET_ASSETS)
    (ours,) = _hubspot_tickets(world).values()
    # A copy made by hand: HubSpot refuses it while the property is unique, so the test
    # makes it while it is not (as a portal that had the property before would hold it).
    admin = world.hubspot.admin
    admin.set_unique("tickets", "freshdesk_ticket_id", False)
    copy = _client(world).objects.batch_create("tickets", [{"properties": {
        "subject": "copie", "hs_pipeline": ours["properties"]["hs_pipeline"],
        "hs_pipeline_stage": ours["properties"]["hs_pipeline_stage"],
        "freshdesk_ticket_id": str(ticket)}}]).results[0].id  # fmt: skip
    admin.set_unique("tickets", "freshdesk_ticket_id", True)

    meta = world.run(WITH_CHECKS)

    check = meta[DUPLICATES]
    assert not check["passed"] and check["duplicate_tickets"] == 1
    assert f"{ours['id']}, {copy}" in table_text(check["duplicates"])


def test_a_wrong_api_key_or_domain_is_named_in_one_line(
    world: SyncWorld, freshdesk: FreshdeskHandle
) -> None:
    world.extra = {"freshdesk": _resource(freshdesk, api_key="wrong")}
    result = world.run(TICKET_ASSETS, expect_success=False)
    assert "hubspot/contacts" in result, "the other streams go on"
    failure = world.failures[STEP]
    assert failure.startswith("FRESHDESK_API_KEY: Freshdesk at ") and "\n" not in failure

    nowhere = f"http://127.0.0.1:{free_port()}"
    world.extra = {"freshdesk": _resource(freshdesk, base_url=nowhere)}
    world.run(TICKET_ASSETS, expect_success=False)
    failure = world.failures[STEP]
    assert failure.startswith(f"FRESHDESK_BASE_URL: Freshdesk does not answer at {nowhere}")
    assert "\n" not in failure


def test_a_tickets_snapshot_holds_each_ticket_once(
    world: SyncWorld, freshdesk: FreshdeskHandle
) -> None:
    (_, email), *_ = _customers(world, 1)
    (r,) = _requesters(freshdesk, {"name": "A", "email": email})
    (ticket,) = _tickets(freshdesk, {"requester_id": r})
    world.run(TICKET_ASSETS)
    freshdesk.update_ticket(ticket, priority=3)
    world.run(TICKET_ASSETS)
    kept = pl.read_parquet(Path(world.data_dir, "freshdesk", "tickets", "all.parquet"))
    assert kept["id"].to_list() == [ticket] and kept["priority"].to_list() == [3]


def test_without_freshdesk_settings_its_assets_are_absent() -> None:
    from moulin_sync.definitions import enabled_defs

    def keys(made) -> set[str]:
        found = {k.to_user_string() for a in made.assets for k in a.keys}
        return found | {
            f"{c.asset_key.to_user_string()}:{c.name}"
            for checks in [*made.assets, *made.asset_checks]
            for c in checks.check_keys
        }

    off = keys(enabled_defs(["app_du_moulin"]))
    on = keys(enabled_defs(["app_du_moulin", "freshdesk"]))
    assert on - off == {
        "freshdesk/tickets", "hubspot_payloads/tickets", "hubspot/tickets",
        "hubspot/ticket_pipeline", "hubspot/tickets:no_drift", "hubspot/tickets:no_duplicate_tickets",
    }  # fmt: skip
