"""Deals against the HubSpot emulator: issue 5's "done when"."""

import datetime as dt
from collections import Counter
from pathlib import Path

import httpx
import polars as pl
import pytest
from dagster import AssetCheckKey, DagsterInstance

from moulin_sync.definitions import collected_defs
from moulin_sync.defs.hubspot.factory import records_key
from moulin_sync.hubspot.audit import deals_closing_between
from moulin_sync.hubspot.client import HubSpotClient
from moulin_sync.hubspot.streams.deals import DEALS
from moulin_sync.sources.app_du_moulin import quality
from moulin_sync.sources.app_du_moulin.reader import SourceReader
from moulin_sync.testing.hubspot_emulator import EmulatorHandle, run_hubspot_emulator
from moulin_sync.testing.sync_world import DEAL_ASSETS, SyncWorld, new_world

MONTHS = ("2025-09-01", "2026-02-01")  # six months in one run
DEALS_KEY = records_key(DEALS)
DEAL_CHECKS = ("no_duplicate_deals", "every_order_has_a_deal", "deals_are_associated")


@pytest.fixture
def world(hubspot: EmulatorHandle, tmp_path: Path) -> SyncWorld:
    return new_world(tmp_path, hubspot, customers=300, companies=10, orders=4_000)


def _orders_in(world: SyncWorld, months: tuple[str, str]) -> pl.DataFrame:
    paris = dt.timezone(dt.timedelta(hours=1))
    start = dt.datetime.fromisoformat(months[0]).replace(tzinfo=paris)
    last = dt.datetime.fromisoformat(months[1])
    end = (
        last.replace(year=last.year + 1, month=1)
        if last.month == 12
        else last.replace(month=last.month + 1)
    ).replace(tzinfo=paris)
    return SourceReader(world.source_url).read_orders(start, end)


def merged_by(result) -> int:
    """How many deals a `dedupe_deals` run merged (its output's metadata)."""
    [output] = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    return output.event_specific_data.metadata["merged"].value


def _deals_by_order(world: SyncWorld) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for deal in world.objects("deals"):
        key = deal["properties"].get("moulin_order_id")
        if key:
            found.setdefault(key, []).append(deal)
    return found


def _assert_each_synced_order_once(world: SyncWorld, meta: dict) -> None:
    deals = _deals_by_order(world)
    assert all(len(v) == 1 for v in deals.values()), "an order has two deals"
    state = world.state().load("deals")
    synced = set(state.filter(pl.col("status") == "synced")["source_key"])
    assert synced == set(deals)
    check = meta["check:every_order_has_a_deal"]
    assert check["passed"] and check["missing"] == 0 and check["extra"] == 0


def test_a_multi_month_backfill_lands_every_order_once_and_associated(world: SyncWorld) -> None:
    meta = world.run(DEAL_ASSETS, MONTHS)
    orders = _orders_in(world, MONTHS)
    deals = _deals_by_order(world)
    created = meta["hubspot/deals"]["created"]
    assert created == len(deals) > 0
    # Every order is either a deal, quarantined with a reason, or waiting for its contact.
    state = world.state().load("deals")
    accounted = set(state["source_key"])
    assert {str(i) for i in orders["id"]} == accounted
    assert state.filter(pl.col("status") == "rejected")["last_error"].null_count() == 0
    _assert_each_synced_order_once(world, meta)
    # Created 100 per call, associations inline: no separate association call.
    assert meta["hubspot/deals"]["write_calls"] == -(-created // 100)
    # Associations: contact always, company (as primary) for B2B.
    contacts = {o["id"]: o for o in world.objects("contacts")}
    by_order = orders.select(pl.col("id").cast(pl.String), "customer_id", "company_id")
    companies = {o["properties"]["moulin_company_id"]: o["id"] for o in world.objects("companies")}
    erased = set(
        SourceReader(world.source_url).read_table("customers").filter(quality.is_erased())["id"]
    )
    for order_id, customer_id, company_id in by_order.iter_rows():
        if order_id not in deals:
            continue
        links = deals[order_id][0]["associations"]
        contact_ids = [a["id"] for a in links.get("contacts", [])]
        if customer_id in erased:
            assert contact_ids == [], "a deal of an erased customer keeps no contact"
            continue
        assert len(contact_ids) == 1
        assert contacts[contact_ids[0]]["properties"]["moulin_customer_id"] == str(customer_id)
        if company_id is not None:
            company = links.get("companies", [])
            assert [c["id"] for c in company] == [companies[str(company_id)]]
            assert 5 in company[0]["types"], "the company is the deal's primary company"
    assert meta["check:deals_are_associated"]["passed"]
    assert meta["check:no_duplicate_deals"]["passed"]
    # Stages come from the pipelines API: ids of our pipeline, lost stages for undone orders.
    pipeline = meta["hubspot/deal_pipeline"]
    stage_ids = pipeline["stage_ids"]
    for deals_of_order in deals.values():
        props = deals_of_order[0]["properties"]
        assert props["pipeline"] == pipeline["pipeline_id"]
        assert props["dealstage"] == stage_ids[props["moulin_order_status"]]
        assert props["deal_currency_code"] == "EUR"


def test_a_rerun_makes_no_write(world: SyncWorld) -> None:
    world.run(DEAL_ASSETS, MONTHS)
    before = world.hubspot.admin.state()
    world.hubspot.admin.reset_stats()
    meta = world.run(DEAL_ASSETS, MONTHS)
    assert world.write_calls() == 0
    assert meta["hubspot/deals"]["write_calls"] == 0
    assert meta["hubspot/deals"]["unchanged"] > 0
    assert world.hubspot.admin.state() == before


def test_a_changed_order_updates_its_deal(world: SyncWorld) -> None:
    world.run(DEAL_ASSETS, MONTHS)
    synced = world.state().load("deals").filter(pl.col("status") == "synced")
    order_id = synced["source_key"][0]
    world.sql("UPDATE orders SET status = 'refunded' WHERE id = ?", (int(order_id),))
    world.hubspot.admin.reset_stats()
    meta = world.run(DEAL_ASSETS, MONTHS)
    assert meta["hubspot/deals"]["updated"] == 1
    assert meta["hubspot/deals"]["write_calls"] == 1
    deal = _deals_by_order(world)[order_id][0]
    assert deal["properties"]["moulin_order_status"] == "refunded"
    assert deal["properties"]["dealstage"] == meta["hubspot/deal_pipeline"]["stage_ids"]["refunded"]


def test_commit_then_drop_mid_backfill_leaves_no_duplicate_and_no_gap(world: SyncWorld) -> None:
    # Two batch creates are committed by HubSpot, but their answers never arrive.
    world.hubspot.admin.add_fault(
        kind="drop_after_commit", count=2, method="POST", route="/crm/v3/objects/deals/batch/create"
    )
    meta = world.run(DEAL_ASSETS, MONTHS)
    assert not world.hubspot.admin.faults(), "the faults must have fired"
    _assert_each_synced_order_once(world, meta)
    first = len(world.objects("deals"))
    meta = world.run(DEAL_ASSETS, MONTHS)
    _assert_each_synced_order_once(world, meta)
    assert len(world.objects("deals")) == first
    assert meta["check:no_duplicate_deals"]["passed"]


def test_legacy_look_alikes_are_caught_block_the_export_and_are_merged(
    world: SyncWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner
    from dagster import DagsterInstance

    from moulin_sync.cli import main

    # A Dagster instance with a history, as in production, for the CLI to ask.
    (tmp_path / "dagster_home").mkdir()
    (tmp_path / "dagster_home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setenv("MOULIN_STATE_URL", world.state_url)
    instance = DagsterInstance.get()
    world.run(DEAL_ASSETS, MONTHS, instance=instance)
    assert CliRunner().invoke(main, ["export-deal-ids"]).exit_code == 0
    deals = _deals_by_order(world)
    # A legacy import made before moulin-sync: same contact, amount and day, no key.
    victims = sorted(deals, key=int)[:3]
    headers = {"Authorization": f"Bearer {world.hubspot.token}"}
    for order_id in victims:
        ours = deals[order_id][0]
        contact = ours["associations"]["contacts"][0]["id"]
        answer = httpx.post(
            f"{world.hubspot.base_url}/crm/v3/objects/deals",
            headers=headers,
            json={
                "properties": {
                    "dealname": f"Import 2021 commande {order_id}",
                    "amount": ours["properties"]["amount"],
                    "closedate": ours["properties"]["closedate"][:10] + "T12:00:00.000Z",
                    "dealstage": "closedwon",
                },
                "associations": [
                    {
                        "to": {"id": contact},
                        "types": [
                            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 3}
                        ],
                    }
                ],
            },
        )
        assert answer.status_code == 201, answer.text
    export = world.root / "data" / "exports" / "deal_ids.csv"
    exported_before = export.read_text()
    world.sql("UPDATE orders SET status = 'refunded' WHERE id = ?", (int(victims[0]),))
    meta = world.run(DEAL_ASSETS, MONTHS, expect_success=False, instance=instance)
    check = meta["check:no_duplicate_deals"]
    assert not check["passed"]
    assert check["legacy_look_alikes"] == 3 and check["duplicate_deals"] == 3
    # Blocking: the export downstream did not run on a HubSpot with duplicates.
    assert "exports/deal_ids" not in meta
    assert meta["hubspot/deals"]["updated"] == 1, "the write itself ran; only downstream waits"
    assert export.read_text() == exported_before
    # The command refuses as the asset does, unless told otherwise.
    refused = CliRunner().invoke(main, ["export-deal-ids"])
    assert refused.exit_code == 1
    assert "no_duplicate_deals failed" in refused.output and "3 duplicate" in refused.output
    assert "dedupe_deals" in refused.output and "order_id" not in refused.output
    forced = CliRunner().invoke(main, ["export-deal-ids", "--allow-duplicates"])
    assert forced.exit_code == 0 and forced.output.startswith("order_id")

    from dagster import DagsterInstance

    from moulin_sync.defs.hubspot.dedupe import dedupe_deals

    months = ["2025-09-01", "2025-10-01", "2025-11-01", "2025-12-01", "2026-01-01", "2026-02-01"]
    run_config = {"ops": {"merge_duplicate_deals": {"config": {"dry_run": True, "months": months}}}}
    with DagsterInstance.ephemeral() as instance:
        dry = dedupe_deals.execute_in_process(
            run_config=run_config, resources=world.resources(), instance=instance
        )
    assert merged_by(dry) == 0
    assert len(world.objects("deals")) == len(deals) + 3, "a dry run changes nothing"

    run_config["ops"]["merge_duplicate_deals"]["config"]["dry_run"] = False
    with DagsterInstance.ephemeral() as instance:
        done = dedupe_deals.execute_in_process(
            run_config=run_config, resources=world.resources(), instance=instance
        )
    assert merged_by(done) == 3
    after = world.objects("deals")
    assert len(after) == len(deals)
    survivors = _deals_by_order(world)
    for order_id in victims:
        assert survivors[order_id][0]["id"] == deals[order_id][0]["id"], "our deal survives"
        assert survivors[order_id][0]["properties"]["hs_merged_object_ids"]
    meta = world.run(DEAL_ASSETS, MONTHS)
    assert meta["check:no_duplicate_deals"]["passed"]
    assert meta["exports/deal_ids"]["dagster/row_count"] == len(survivors)


def test_a_window_of_more_than_10000_deals_is_read_whole(hubspot: EmulatorHandle) -> None:
    hubspot.admin.reset()
    hubspot.admin.set_limits(per_10s=None, daily=None, search_per_s=None)
    client = HubSpotClient(
        base_url=hubspot.base_url, access_token=hubspot.token, tier="unlimited", search_per_s=None
    )
    month = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    total = 10_250
    for start in range(0, total, 100):
        inputs = [
            {
                "properties": {
                    "dealname": f"d{i}",
                    "dealstage": "closedwon",
                    "amount": "10",
                    "closedate": (month + dt.timedelta(minutes=4 * i))
                    .isoformat()
                    .replace("+00:00", "Z"),
                }
            }
            for i in range(start, min(start + 100, total))
        ]
        client.objects.batch_create("deals", inputs)
    found = deals_closing_between(client, month, dt.datetime(2026, 4, 1, tzinfo=dt.UTC))
    assert found.height == total
    assert found["deal_id"].n_unique() == total
    assert Counter(client.calls)["POST /crm/v3/objects/deals/search"] > total // 200


def test_two_deals_with_one_order_id_are_caught_and_merged_into_ours(tmp_path: Path) -> None:
    """Where `moulin_order_id` is not unique (a portal that had the property before
    moulin-sync), HubSpot can hold two deals for one order: the check must see them."""
    from dagster import DagsterInstance

    from moulin_sync.defs.hubspot.dedupe import dedupe_deals
    from moulin_sync.defs.partitions import run_window
    from moulin_sync.hubspot.audit import audit_duplicates
    from moulin_sync.hubspot.sync.state import Accepted

    with run_hubspot_emulator(tier="unlimited") as hubspot:
        world = new_world(tmp_path, hubspot, customers=20, companies=1, orders=50)
        client = HubSpotClient(
            base_url=hubspot.base_url,
            access_token=hubspot.token,
            tier="unlimited",
            search_per_s=None,
        )
        client.properties.create_group("deals", "app_du_moulin", "App du Moulin")
        client.properties.create(
            "deals",
            {
                "name": "moulin_order_id",
                "label": "Order id",
                "type": "string",
                "fieldType": "text",
                "groupName": "app_du_moulin",
            },
        )
        day = "2026-01-15T10:00:00.000Z"
        made = client.objects.batch_create(
            "deals",
            [
                {
                    "properties": {
                        "dealname": f"copy {n}",
                        "dealstage": "closedwon",
                        "amount": "12.5",
                        "closedate": day,
                        "moulin_order_id": "42",
                    }
                }
                for n in range(3)
            ],
        )
        ids = sorted((r.id for r in made.results), key=int)
        # The state store says which of the three is ours: the one the App du Moulin links.
        world.state().record_accepted("deals", [Accepted("42", ids[1], "h")])
        # Order 43: two copies, and the state store's deal for it is gone from HubSpot.
        copies = client.objects.batch_create(
            "deals",
            [
                {"properties": {"dealname": "43", "dealstage": "closedwon", "amount": "3",
                                "closedate": day, "moulin_order_id": "43"}}
                for _ in range(2)
            ],
        )  # fmt: skip
        copy_ids = sorted((r.id for r in copies.results), key=int)
        links = '{"contact_key_id": "7"}'
        world.state().record_accepted(
            "deals", [Accepted("43", "999999", "h43", link_key=links, partition_key="2026-01-01")]
        )

        _, duplicates = audit_duplicates(client, *run_window(["2026-01-01"]), "Europe/Paris")
        assert duplicates.by_key.height == 2
        assert duplicates.by_key["deal_ids"][0].to_list() == ids
        assert duplicates.count == 3

        run_config = {
            "ops": {
                "merge_duplicate_deals": {"config": {"dry_run": False, "months": ["2026-01-01"]}}
            }
        }
        with DagsterInstance.ephemeral() as instance:
            done = dedupe_deals.execute_in_process(
                run_config=run_config, resources=world.resources(), instance=instance
            )
        assert merged_by(done) == 3
        live = {o["properties"]["moulin_order_id"]: o for o in world.objects("deals")}
        assert live["42"]["id"] == ids[1], "our deal survives, the copies are merged"
        assert set(live["42"]["properties"]["hs_merged_object_ids"].split(";")) == {ids[0], ids[2]}
        # The survivor of 43 is its deal of record now, with what HubSpot last accepted
        # kept (hash, month, links): no rewrite follows.
        held = world.state().load("deals").filter(pl.col("source_key") == "43")
        assert held.select("hubspot_id", "payload_hash", "partition_key", "link_key").rows() == [
            (live["43"]["id"], "h43", "2026-01-01", links)
        ]
        assert live["43"]["id"] == copy_ids[0]
        _, duplicates = audit_duplicates(client, *run_window(["2026-01-01"]), "Europe/Paris")
        assert duplicates.count == 0


def test_each_month_carries_its_own_figures_and_each_check_one_result(world: SyncWorld) -> None:
    """What the UI shows: June's materialization holds June's figures (not the run's),
    and each check one Passed result for the run's months (not "Skipped" per month)."""
    later = ("2026-03-01", "2026-04-01")
    with DagsterInstance.ephemeral() as instance:
        world.run(DEAL_ASSETS, MONTHS)
        meta = world.run(DEAL_ASSETS, later, instance=instance)
        records = instance.fetch_materializations(DEALS_KEY, limit=50).records
        months = {
            r.partition_key: {
                k: getattr(v, "value", v) for k, v in r.asset_materialization.metadata.items()
            }
            for r in records
        }
        checks = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [AssetCheckKey(DEALS_KEY, name) for name in DEAL_CHECKS]
        )
    assert sorted(months) == list(later)
    state = world.state().load("deals").filter(pl.col("status") == "synced")
    for month, figures in months.items():
        created_there = state.filter(pl.col("partition_key") == month).height
        assert figures["created"] == created_there > 0, month
        assert figures["run_created"] == meta["hubspot/deals"]["created"]
    assert sum(f["created"] for f in months.values()) == meta["hubspot/deals"]["created"]
    run_rejected = meta["hubspot/deals"]["rejected"]
    assert sum(f["rejected"] for f in months.values()) == run_rejected
    assert {f["created"] for f in months.values()} != {meta["hubspot/deals"]["created"]}
    # One evaluation per check and run, for the run's months only: an unpartitioned
    # check (a partitioned one would show "Skipped" on every month of a range run).
    specs = [spec for checks in collected_defs().asset_checks for spec in checks.check_specs]
    assert all(spec.partitions_def is None for spec in specs if spec.asset_key == DEALS_KEY)
    assert {key.name: record.status.value for key, record in checks.items()} == {
        name: "SUCCEEDED" for name in DEAL_CHECKS
    }
    assert all(record.event.asset_check_evaluation.partition is None for record in checks.values())
    check = meta["check:every_order_has_a_deal"]
    assert check["months"] == "2026-03 to 2026-04"
    in_later = _orders_in(world, later).height
    accounted = check["orders_expected"] + check["orders_quarantined"]
    assert accounted + check["orders_waiting_for_contact"] == in_later


def test_the_deal_id_export_is_written_again_only_when_an_id_changed(world: SyncWorld) -> None:
    export = world.root / "data" / "exports" / "deal_ids.csv"
    with DagsterInstance.ephemeral() as instance:
        first = world.run(DEAL_ASSETS, MONTHS, instance=instance)
        rows = first["exports/deal_ids"]["dagster/row_count"]
        assert rows > 0 and export.exists()
        written = export.stat().st_mtime_ns
        # Nothing changed: the file stands, no materialization.
        again = world.run(DEAL_ASSETS, MONTHS, instance=instance)
        assert "exports/deal_ids" not in again
        assert export.stat().st_mtime_ns == written
        # A deal updated (its sync time moves): exported again.
        order = next(iter(_deals_by_order(world)))
        world.sql("UPDATE orders SET status = 'refunded' WHERE id = ?", (int(order),))
        updated = world.run(DEAL_ASSETS, MONTHS, instance=instance)
        assert updated["hubspot/deals"]["updated"] == 1
        assert updated["exports/deal_ids"]["dagster/row_count"] == rows
        # A deal HubSpot moved to another id (a merge kept another record): exported again.
        state = world.state()
        state.record_moved("deals", [(order, "999999999")])
        moved = world.run(DEAL_ASSETS, MONTHS, instance=instance)
        assert "exports/deal_ids" in moved
        assert "999999999" in export.read_text()
        # The file gone: written again though nothing changed.
        export.unlink()
        assert "exports/deal_ids" in world.run(DEAL_ASSETS, MONTHS, instance=instance)
        assert export.exists()
