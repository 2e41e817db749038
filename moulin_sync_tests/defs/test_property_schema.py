"""The property schema: missing options added, a property of another type reported (and
the sync stopped) but never altered, values the portal would refuse quarantined, and a
write path that never searches."""

from pathlib import Path

import httpx
import polars as pl
import pytest
from dagster import AssetSelection

from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.streams import custom_properties
from moulin_sync.hubspot.sync.portal import PortalSchemaError, apply_schema, refused_by_portal
from moulin_sync.testing.hubspot_emulator import EmulatorHandle
from moulin_sync.testing.sync_world import DEAL_ASSETS, SyncWorld, new_world, table_text


@pytest.fixture
def world(hubspot: EmulatorHandle, tmp_path: Path) -> SyncWorld:
    made = new_world(tmp_path, hubspot, customers=80, orders=300)
    hubspot.admin.reset(schema=True)  # a portal with HubSpot's own properties only
    return made


def _create_property(world: SyncWorld, object_type: str, definition: dict) -> None:
    """What an admin did in the portal before moulin-sync came."""
    answer = httpx.post(
        f"{world.hubspot.base_url}/crm/v3/properties/{object_type}",
        headers={"Authorization": f"Bearer {world.hubspot.token}"},
        json={"groupName": "contactinformation", **definition},
    )
    assert answer.status_code == 201, answer.text


def _portal(world: SyncWorld, object_type: str) -> dict[str, dict]:
    answer = httpx.get(
        f"{world.hubspot.base_url}/crm/v3/properties/{object_type}",
        headers={"Authorization": f"Bearer {world.hubspot.token}"},
    )
    return {p["name"]: p for p in answer.json()["results"]}


def _prepared_portal(world: SyncWorld) -> None:
    """An enumeration lacking one of our options, a number property made as text, and our
    key property made without the unique flag."""
    _create_property(world, "contacts", {
        "name": "moulin_customer_type", "label": "Type", "type": "enumeration",
        "fieldType": "select", "options": [{"label": "B2C", "value": "B2C", "displayOrder": 0}],
    })  # fmt: skip
    _create_property(world, "contacts", {
        "name": "moulin_order_count", "label": "Orders", "type": "string", "fieldType": "text",
    })  # fmt: skip
    _create_property(world, "contacts", {
        "name": "moulin_customer_id", "label": "Id", "type": "string", "fieldType": "text",
    })  # fmt: skip


def test_missing_options_are_added_and_other_types_reported_never_altered(
    world: SyncWorld,
) -> None:
    _prepared_portal(world)
    client = HubSpotClient(world.hubspot.base_url, world.hubspot.token)
    report = apply_schema(client, custom_properties())

    assert report.options_added == ["contacts.moulin_customer_type=B2B"]
    problems = {m["property"]: m["problem"] for m in report.mismatches}
    assert set(problems) == {"contacts.moulin_order_count", "contacts.moulin_customer_id"}
    assert (
        "is of type 'string' in HubSpot, moulin-sync needs 'number'"
        in problems["contacts.moulin_order_count"]
    )
    assert "not a unique-value property" in problems["contacts.moulin_customer_id"]
    portal = _portal(world, "contacts")
    assert [o["value"] for o in portal["moulin_customer_type"]["options"]] == ["B2C", "B2B"]
    assert portal["moulin_order_count"]["type"] == "string", "a type was altered"
    assert not portal["moulin_customer_id"]["hasUniqueValue"]
    # Everything else was created, once: a second pass has nothing to do.
    assert "deals.moulin_order_id" in report.created
    again = apply_schema(client, custom_properties())
    assert again.created == [] and again.options_added == []
    assert len(again.mismatches) == 2


def test_a_property_of_another_type_fails_the_blocking_check_and_stops_the_writes(
    world: SyncWorld,
) -> None:
    _prepared_portal(world)
    meta = world.run(expect_success=False)
    check = meta["check:property_types_match"]
    assert check["passed"] is False
    assert check["mismatches"] == 2
    assert "contacts.moulin_order_count" in table_text(check["details"])
    assert "hubspot/contacts" not in meta, "the writes ran over a wrong schema"
    assert not world.objects("contacts")


def test_a_value_the_portal_would_refuse_is_quarantined_before_any_call() -> None:
    portal = {
        "moulin_channel": {
            "type": "enumeration",
            "options": [{"value": "web"}, {"value": "shop"}],
        },
        "dealstage": {"type": "enumeration", "options": []},  # resolved by the pipelines API
        "dealname": {"type": "string"},
    }
    records = pl.DataFrame({
        "source_key": ["1", "2", "3"],
        "moulin_channel": ["web", "phone", ""],
        "dealstage": ["123", "456", "789"],
        "dealname": ["a", "b", "c"],
    })  # fmt: skip
    refused = refused_by_portal(records, portal, list(portal), "deals")
    assert refused.rows() == [
        ("2", "moulin_channel phone is not an option of the HubSpot property")
    ]
    with pytest.raises(PortalSchemaError, match="materialize hubspot/property_schema first"):
        refused_by_portal(records, portal, [*portal, "moulin_paid_at"], "deals")


def test_the_write_path_never_searches(world: SyncWorld) -> None:
    """Search lags writes by seconds: deciding whether to create from it makes
    duplicates. Writes are keyed by unique properties; only the checks search."""
    hubspot_checks = AssetSelection.checks_for_assets(
        *(["hubspot", stream] for stream in ("companies", "contacts", "deals"))
    )
    writes = DEAL_ASSETS - hubspot_checks
    months = ("2025-06-01", "2026-11-01")
    world.run(writes, months)
    world.sql("UPDATE customers SET city = 'Moulins' WHERE id <= 20")
    world.sql(
        "UPDATE orders SET status = 'refunded' WHERE id IN "
        "(SELECT id FROM orders WHERE ordered_at >= '2025-07-01' ORDER BY id LIMIT 20)"
    )
    meta = world.run(writes, months)
    assert meta["hubspot/contacts"]["updated"] > 0 and meta["hubspot/deals"]["updated"] > 0
    assert world.hubspot.admin.count("POST", "/crm/v3/objects/{objectType}/search") == 0
    # ...while the checks of the same job do search (the count sees searches).
    world.run(hubspot_checks, months)
    assert world.hubspot.admin.count("POST", "/crm/v3/objects/{objectType}/search") > 0
