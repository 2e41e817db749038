"""The `moulin-sync` commands: plan (dry run), export-deal-ids, demo."""

import json
from pathlib import Path

import httpx
import polars as pl
import pytest
from click.testing import CliRunner

from moulin_sync.cli import main
from moulin_sync.cli.plan import plans_for
from moulin_sync.hubspot.streams import stream as stream_spec
from moulin_sync.testing.hubspot_emulator import EmulatorHandle
from moulin_sync.testing.sync_world import DEAL_ASSETS, SyncWorld, new_world

MONTHS = ("2026-09-01", "2026-11-01")


@pytest.fixture
def world(hubspot: EmulatorHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SyncWorld:
    world = new_world(tmp_path, hubspot, customers=250, companies=8, orders=2_500)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("MOULIN_SOURCE_URL", world.source_url)
    monkeypatch.setenv("MOULIN_STATE_URL", world.state_url)
    monkeypatch.setenv("MOULIN_DATA_DIR", str(world.root / "data"))
    return world


def test_plan_predicts_what_the_next_run_does(world: SyncWorld) -> None:
    before = world.hubspot.admin.stats()
    plans = plans_for(*MONTHS)
    assert world.hubspot.admin.stats() == before, "a dry run calls HubSpot not once"
    meta = world.run(DEAL_ASSETS, MONTHS)
    for stream in ("companies", "contacts", "deals"):
        planned = plans[stream].counts()
        done = meta[f"hubspot/{stream}"]
        assert done["created"] == planned["create"], stream
        assert done["updated"] == planned["update"], stream
        assert done["rejected"] == planned["rejected"], stream
        assert done["waiting"] == planned["waiting"], stream
        warned = plans[stream].warned.height
        assert done[stream_spec(stream).warned_key] == warned, stream
    assert plans["contacts"].warned.height > 0, "the generated dirt: contacts without email"
    # After a change, the plan names exactly what the next run updates.
    world.sql("UPDATE customers SET city = 'Moulins' WHERE id IN (1, 2, 3)")
    world.sql(
        "UPDATE orders SET status = 'refunded' WHERE id IN "
        "(SELECT id FROM orders WHERE ordered_at >= '2026-10-01' LIMIT 4)"
    )
    plans = plans_for(*MONTHS)
    updates = {t: set(p.update["source_key"]) for t, p in plans.items()}
    meta = world.run(DEAL_ASSETS, MONTHS)
    assert meta["hubspot/contacts"]["updated"] == len(updates["contacts"]) > 0
    assert meta["hubspot/deals"]["updated"] == len(updates["deals"]) > 0
    assert meta["hubspot/companies"]["updated"] == len(updates["companies"])


def test_plan_command_prints_counts_and_reasons(world: SyncWorld) -> None:
    result = CliRunner().invoke(main, ["plan", "--from", MONTHS[0], "--to", MONTHS[1]])
    assert result.exit_code == 0, result.output
    assert "dry run, nothing sent" in result.output
    for object_type in ("companies", "contacts", "deals"):
        assert object_type in result.output
    assert "rejected ×" in result.output  # the generated dirt is explained
    assert "contacts created without email (" in result.output  # not rejected: they land
    assert "contacts rejected" not in result.output


def test_export_deal_ids_lists_each_order_once(world: SyncWorld, tmp_path: Path) -> None:
    world.run(DEAL_ASSETS, MONTHS)
    out = tmp_path / "deals.csv"
    result = CliRunner().invoke(main, ["export-deal-ids", "--format", "csv", "-o", str(out)])
    assert result.exit_code == 0, result.output
    exported = pl.read_csv(out, schema_overrides={"order_id": pl.String, "deal_id": pl.String})
    in_hubspot = {d["properties"]["moulin_order_id"]: d["id"] for d in world.objects("deals")}
    assert dict(exported.select("order_id", "deal_id").iter_rows()) == in_hubspot
    as_json = CliRunner().invoke(main, ["export-deal-ids", "--format", "json"])
    assert as_json.exit_code == 0
    assert len(json.loads(as_json.stdout)) == len(in_hubspot)
    # Without a Dagster instance to ask, it says it cannot vouch for duplicates.
    assert "DAGSTER_HOME is unset" in as_json.stderr


def test_export_deal_ids_before_any_sync_says_so(tmp_path: Path, monkeypatch) -> None:
    missing = tmp_path / "nowhere" / "state.db"
    monkeypatch.setenv("MOULIN_STATE_URL", f"sqlite:///{missing}")
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    result = CliRunner().invoke(main, ["export-deal-ids"])
    assert result.exit_code == 1
    assert "there is no sync state at" in result.output and "moulin-sync sync" in result.output
    assert "Traceback" not in result.output and "order_id" not in result.output
    assert not missing.exists() and not missing.parent.exists(), "an empty store was made"


def test_demo_syncs_everything_then_finds_nothing_to_do(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    command = [
        sys.executable,
        "-m",
        "moulin_sync.cli",
        "demo",
        "--dir",
        str(tmp_path / "demo"),
        "--customers",
        "200",
        "--companies",
        "6",
        "--orders",
        "1500",
    ]
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("MOULIN_", "HUBSPOT_", "DAGSTER_"))
    }
    env["COLUMNS"] = "80"  # and piped: no terminal
    first = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "succeeded" in first.stdout
    progress, report = first.stdout.split("nightly_sync succeeded")
    lines = report.splitlines()
    assert all(len(line) <= 80 for line in first.stdout.splitlines()), first.stdout
    deals = next(line.split() for line in lines if line.strip().startswith("deals "))
    assert deals[1] == first.stdout.split("Deals created this run: ")[1].split(".")[0]
    assert "…" not in report, "a number was cut"
    # Customers whose email is unusable are contacts without it: none of their orders
    # waits, and the summary says so instead of rejecting them.
    assert "Waiting deals" not in report and deals[5] == "0", report
    assert "Contacts created without email (" in report and "missing email ×" in report
    assert "Rejected contacts:" not in report
    assert "Where to look next:" in first.stdout and "moulin-sync plan" in first.stdout
    assert "Duplicate deals found: 0" in first.stdout
    created = int(first.stdout.split("Deals created this run: ")[1].split(".")[0].replace(",", ""))
    assert created > 0
    # Progress, piped: each step once it is done; each write, its records out of planned.
    steps = progress.split("running")[1]
    assert "done  hubspot/deals (" in steps and "done  deal_checks" in steps
    written = steps.split("done  hubspot/deals (")[1].splitlines()[1].split()
    assert written[:4] == [f"{created:,}", "of", f"{created:,}", "records"], steps
    assert "moulin-sync demo --ui" in report
    second = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Deals created this run: 0." in second.stdout
    assert "Nothing changed: HubSpot already held every record" in second.stdout
    assert "Duplicate deals found: 0" in second.stdout


def test_sync_nightly_runs_tonights_months_and_says_why(world: SyncWorld) -> None:
    """A refund in a months-old partition reaches HubSpot the next night, and the night
    reads nothing of the months that did not change."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUBSPOT_", "DAGSTER_"))}
    env |= {
        "HUBSPOT_BASE_URL": world.hubspot.base_url,
        "HUBSPOT_ACCESS_TOKEN": world.hubspot.token,
        "HUBSPOT_TIER": "unlimited",
        "COLUMNS": "200",
        "DAGSTER_HOME": str(world.root / "dagster_home"),
    }
    (world.root / "dagster_home").mkdir()
    (world.root / "dagster_home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")

    def sync(*arguments: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "moulin_sync.cli", "sync", *arguments],
            capture_output=True, text=True, env=env, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    sync()  # the whole history, once
    # As if that was last night: an hour ago, the source as it was then.
    import datetime as dt

    synced = world.state().months_synced("deals")
    an_hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    world.state().record_months_synced("deals", list(synced), an_hour_ago)
    deals = {d["properties"]["moulin_order_id"] for d in world.objects("deals")}
    order, month = next(
        (i, m)
        for i, m in world.sql(
            "SELECT id, substr(ordered_at, 1, 7) FROM orders WHERE status = 'picked_up' "
            "AND ordered_at >= '2024-03-05' AND ordered_at < '2024-03-25' ORDER BY id"
        )
        if str(i) in deals
    )
    world.sql(
        "UPDATE orders SET status = 'refunded', updated_at = datetime('now', '-30 minutes') "
        "WHERE id = ?",
        (order,),
    )
    world.hubspot.admin.reset_stats()
    out = sync("--nightly")
    assert "tonight's schedule runs 2 span(s) of months" in out
    assert f"{month}-01 (" in out and "1 order(s) changed since" in out
    assert "the previous and the current month, every night" in out
    # A source data warning is said as one, not as a failure.
    assert "check customers_have_valid_emails: warning" in out
    assert "check no_duplicate_deals: passed" in out and "FAILED" not in out
    deal = next(
        d for d in world.objects("deals") if d["properties"]["moulin_order_id"] == str(order)
    )
    assert deal["properties"]["moulin_order_status"] == "refunded"
    # The months in between were not looked at: the deals read back by key are those of
    # the months the night ran, one batch per run (the whole history would take 15).
    # (Searches are not counted: the drift checks search what HubSpot modified lately,
    # here the whole history synced a minute ago.)
    read = world.hubspot.admin.count("POST", "/crm/v3/objects/{objectType}/batch/read")
    assert 0 < read <= 2, read
    # And a night with nothing new runs the two usual months only.
    again = sync("--nightly")
    assert "tonight's schedule runs 1 span(s) of months" in again
    # Each is a run of the nightly_sync job of the workspace's code location (the UI
    # lists it under the job), with its months, and the output says how to open the UI.
    from dagster import DagsterInstance, RunsFilter

    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        label = {".dagster/repository": "__repository__@moulin_sync"}
        runs = instance.get_runs(RunsFilter(job_name="nightly_sync", tags=label))
    assert len(runs) == 4 and all(run.status.value == "SUCCESS" for run in runs)
    assert {run.tags["dagster/asset_partition_range_end"] for run in runs} >= {f"{month}-01"}
    assert f"DAGSTER_HOME={env['DAGSTER_HOME']} dagster-webserver" in again


def test_inspect_says_why_a_customer_is_as_they_are(
    world: SyncWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUBSPOT_BASE_URL", world.hubspot.base_url)
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", world.hubspot.token)
    world.run(DEAL_ASSETS, MONTHS)
    synced = {d["properties"]["moulin_order_id"]: d for d in world.objects("deals")}
    order, number, customer = next(
        (str(i), n, c)
        for i, n, c in world.sql(
            "SELECT id, order_number, customer_id FROM orders WHERE company_id IS NULL "
            "AND ordered_at >= '2025-12-01' ORDER BY id"
        )
        if str(i) in synced
    )
    shown = CliRunner().invoke(main, ["inspect", "order", number])
    assert shown.exit_code == 0, shown.output
    assert f"contacts {customer}: up to date: the next run leaves it" in shown.output
    assert f"deals {order}: up to date" in shown.output
    assert f"HubSpot id {synced[order]['id']} (synced, last written" in shown.output
    # The source changes; a person edits the deal in HubSpot.
    world.sql("UPDATE customers SET city = 'Moulins' WHERE id = ?", (customer,))
    httpx.patch(
        f"{world.hubspot.base_url}/crm/v3/objects/deals/{synced[order]['id']}",
        headers={"Authorization": f"Bearer {world.hubspot.token}"},
        json={"properties": {"dealname": "Renamed by Anne"}},
    ).raise_for_status()
    live = CliRunner().invoke(main, ["inspect", "customer", str(customer), "--live"])
    assert live.exit_code == 0, live.output
    assert f"contacts {customer}: the next run updates it" in live.output
    assert "city: Moulins | " in live.output
    assert "| Renamed by Anne   ← differs" in live.output


def test_inspect_says_a_contact_goes_without_its_email_and_its_deals_follow(
    world: SyncWorld,
) -> None:
    world.run(DEAL_ASSETS, MONTHS)
    [(customer, order)] = world.sql(
        "SELECT c.id, min(o.id) FROM customers c JOIN orders o ON o.customer_id = c.id "
        "WHERE c.email IS NULL AND o.company_id IS NULL AND o.ordered_at >= '2025-09-01' "
        "AND c.deleted_at IS NULL AND c.anonymized_at IS NULL GROUP BY c.id ORDER BY c.id LIMIT 1"
    )
    shown = CliRunner().invoke(main, ["inspect", "customer", str(customer)])
    assert shown.exit_code == 0, shown.output
    assert f"contacts {customer}: up to date: the next run leaves it" in shown.output
    assert "created without email: missing email (fix it in the App du Moulin)" in shown.output
    assert "moulin_email_issue=missing" in shown.output
    assert f"deals {order}: up to date: the next run leaves it" in shown.output
    assert "waiting" not in shown.output
    unknown = CliRunner().invoke(main, ["inspect", "email", "nobody@example.org"])
    assert unknown.exit_code == 1 and "no email 'nobody@example.org'" in unknown.output
