"""`moulin-sync rebuild-state`: a lost state store rebuilt from HubSpot, by key."""

from __future__ import annotations

from pathlib import Path

import httpx
import polars as pl
import pytest
from click.testing import CliRunner, Result

from moulin_sync.cli import main
from moulin_sync.defs.partitions import monthly_partitions
from moulin_sync.hubspot.streams import STREAMS
from moulin_sync.hubspot.sync.state import SyncState
from moulin_sync.testing.hubspot_emulator import EmulatorHandle
from moulin_sync.testing.sync_world import DEAL_ASSETS, SyncWorld, new_world

STORED = ["source_key", "hubspot_id", "payload_hash", "link_key", "status", "partition_key"]


@pytest.fixture
def world(hubspot: EmulatorHandle, tmp_path: Path) -> SyncWorld:
    """A world whose whole history was synced."""
    made = new_world(tmp_path, hubspot, customers=120, companies=6, orders=1_500)
    made.run(DEAL_ASSETS, history())
    return made


def history() -> tuple[str, str]:
    keys = monthly_partitions.get_partition_keys()
    return keys[0], keys[-1]


def stored(world: SyncWorld) -> dict[str, pl.DataFrame]:
    """Every stream's rows as the state store holds them, with their fingerprints."""
    with world.state() as state:
        return {
            spec.name: state.load(spec.name, columns=STORED)
            .join(_fingerprints(state, spec.name), on="source_key", how="left")
            .sort("source_key")
            for spec in STREAMS
        }


def _fingerprints(state: SyncState, stream: str) -> pl.DataFrame:
    keys = state.load(stream, columns=["source_key"])["source_key"]
    found = state.fingerprints_of(stream, keys)
    return pl.DataFrame(
        list(found.items()), schema={"source_key": pl.String, "fingerprints": pl.String},
        orient="row",
    )  # fmt: skip


def lose_the_store(world: SyncWorld) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{world.root / 'state.db'}{suffix}").unlink(missing_ok=True)


def rebuild(world: SyncWorld) -> Result:
    env = {
        "MOULIN_SOURCE_URL": world.source_url,
        "MOULIN_STATE_URL": world.state_url,
        "MOULIN_DATA_DIR": str(world.data_dir),
        "HUBSPOT_BASE_URL": world.hubspot.base_url,
        "HUBSPOT_ACCESS_TOKEN": world.hubspot.token,
        "HUBSPOT_TIER": "unlimited",
    }
    return CliRunner().invoke(main, ["rebuild-state"], env=env)


def months_synced(world: SyncWorld) -> dict[str, object]:
    with world.state() as state:
        return state.months_synced("deals")


def test_a_rebuilt_store_is_the_lost_one_and_the_next_run_writes_nothing(world: SyncWorld) -> None:
    lost, lost_months = stored(world), months_synced(world)
    assert lost["deals"].height > 1_000
    lose_the_store(world)
    world.hubspot.admin.reset_stats()

    result = rebuild(world)

    assert result.exit_code == 0, result.output
    assert "0 differ" in result.output and "0 not in HubSpot" in result.output
    assert world.write_calls() == 0
    rebuilt = stored(world)
    for spec in STREAMS:
        synced = lost[spec.name].filter(pl.col("status") == "synced")
        assert rebuilt[spec.name].equals(synced), spec.name
    assert set(months_synced(world)) == set(lost_months)

    world.hubspot.admin.reset_stats()
    after = world.run(DEAL_ASSETS, history())
    assert world.write_calls() == 0
    for name in ("hubspot/contacts", "hubspot/companies", "hubspot/deals"):
        assert after[name]["created"] == after[name]["updated"] == 0, name


def test_what_a_person_changed_or_deleted_is_put_right_by_the_next_run(world: SyncWorld) -> None:
    deals = sorted(world.objects("deals"), key=lambda d: int(d["id"]))
    edited, deleted = deals[0], deals[1]
    api = httpx.Client(
        base_url=world.hubspot.base_url,
        headers={"Authorization": f"Bearer {world.hubspot.token}"},
    )
    api.patch(
        f"/crm/v3/objects/deals/{edited['id']}", json={"properties": {"amount": "0.01"}}
    ).raise_for_status()
    api.delete(f"/crm/v3/objects/deals/{deleted['id']}").raise_for_status()
    lose_the_store(world)

    result = rebuild(world)

    assert result.exit_code == 0, result.output
    line = next(li for li in result.output.splitlines() if li.startswith("deals:"))
    assert "1 differ" in line and "1 not in HubSpot" in line, line
    world.hubspot.admin.reset_stats()
    after = world.run(DEAL_ASSETS, history())
    assert after["hubspot/deals"]["created"] == 1
    assert after["hubspot/deals"]["updated"] == 1
    held = {d["properties"]["moulin_order_id"]: d for d in world.objects("deals")}
    assert len(held) == len(world.objects("deals")), "an order has two deals"
    assert (
        held[edited["properties"]["moulin_order_id"]]["properties"]["amount"]
        == (edited["properties"]["amount"])
    )
    assert deleted["properties"]["moulin_order_id"] in held
    world.hubspot.admin.reset_stats()
    world.run(DEAL_ASSETS, history())
    assert world.write_calls() == 0


def test_a_store_that_holds_records_is_not_rebuilt_over(world: SyncWorld) -> None:
    result = rebuild(world)

    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: MOULIN_STATE_URL:"), result.output
    assert "already holds" in lines[0] and "Traceback" not in result.output
