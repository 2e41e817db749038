"""The Parquet I/O manager over many months (defs/io_manager.py): each month its own file,
the empty months sharing one written file, and a later run's month never another's."""

from pathlib import Path

import dagster as dg
import polars as pl

from moulin_sync.defs.io_manager import ParquetIOManager, published_path
from moulin_sync.hubspot.streams.payloads import Payloads

MONTHS = dg.MonthlyPartitionsDefinition(start_date="2026-01-01", end_date="2026-07-01")
KEYS = MONTHS.get_partition_keys()
SCHEMA = {"source_key": pl.String, "reason": pl.String, "partition_key": pl.String}


def payloads(quarantined: dict[str, list[str]]) -> Payloads:
    """Records in every month; quarantined records in the months given."""
    records = pl.DataFrame(
        {"source_key": [f"r{m}" for m in KEYS], "partition_key": KEYS},
        schema={"source_key": pl.String, "partition_key": pl.String},
    )
    rows = [(key, "bad", month) for month, keys in quarantined.items() for key in keys]
    quarantine = pl.DataFrame(rows, schema=SCHEMA, orient="row")
    return Payloads(records, quarantine, quarantine.head(0).drop("reason"), quarantine.head(0))


def materialize(root: Path, made: Payloads, months: list[str]) -> None:
    @dg.asset(partitions_def=MONTHS, key=["hubspot_payloads", "deals"])
    def deals() -> Payloads:
        return made

    result = dg.materialize(
        [deals],
        resources={"io_manager": ParquetIOManager(root=str(root))},
        tags={
            "dagster/asset_partition_range_start": months[0],
            "dagster/asset_partition_range_end": months[-1],
        },
    )
    assert result.success


def quarantine_path(root: Path, month: str) -> Path:
    return published_path(root, ["hubspot_payloads", "deals", "quarantine"], ".parquet", month)


def quarantine_of(root: Path, month: str) -> pl.DataFrame:
    return pl.read_parquet(quarantine_path(root, month))


def test_every_month_has_its_file_and_a_later_run_changes_only_its_months(tmp_path: Path) -> None:
    materialize(tmp_path, payloads({KEYS[1]: ["q1"]}), KEYS)
    for month in KEYS:
        held = quarantine_of(tmp_path, month)
        assert held.schema == pl.Schema(SCHEMA)
        assert held["source_key"].to_list() == (["q1"] if month == KEYS[1] else [])
    # The months without rows hold one file, written once.
    empty = [m for m in KEYS if m != KEYS[1]]
    assert len({quarantine_path(tmp_path, month).stat().st_ino for month in empty}) == 1
    assert (
        quarantine_path(tmp_path, KEYS[1]).stat().st_ino
        != quarantine_path(tmp_path, KEYS[0]).stat().st_ino
    )
    # A later run quarantines a record in a month that had none: only that month changes,
    # though its file had been the one the empty months share.
    materialize(tmp_path, payloads({KEYS[0]: ["q0"]}), KEYS[:1])
    assert quarantine_of(tmp_path, KEYS[0])["source_key"].to_list() == ["q0"]
    assert quarantine_of(tmp_path, KEYS[1])["source_key"].to_list() == ["q1"]
    assert all(quarantine_of(tmp_path, month).is_empty() for month in KEYS[2:])
