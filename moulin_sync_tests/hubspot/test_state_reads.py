"""Reading the state store fast (hubspot/sync/state.py): a plan's records by key or from
the whole stream, the same either way; the deal id table from SQLite's own text, as
SQLAlchemy's datetimes would write it — on SQLite and on PostgreSQL."""

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import select

import moulin_sync.hubspot.sync.state as state_module
from moulin_sync.hubspot.sync.state import Accepted, Rejected, SyncState
from moulin_sync.hubspot.sync.state_db import sync_records


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SyncState]:
    url = (
        f"sqlite:///{tmp_path / 'state.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_database")
    )
    with SyncState(url) as state:
        state.record_accepted(
            "deals",
            [
                Accepted(str(i), f"h{i}", f"xxh3:{i}", '{"contact_id": "7"}', "2026-11-01")
                for i in range(1, 13)
            ],
        )
        state.record_rejected("deals", [Rejected("40", "amount is negative", "2026-11-01")])
        yield state


def keys(*names: str) -> pl.Series:
    return pl.Series("source_key", names)


def test_a_plans_records_are_the_same_by_key_or_from_the_whole_stream(
    store: SyncState,
) -> None:
    assert store.count("deals") == 13 and store.count("contacts") == 0
    few = store.records_of("deals", keys("3", "40", "99", "3"))  # looked up by key
    assert sorted(few["source_key"]) == ["3", "40"]
    many = store.records_of("deals", keys(*(str(i) for i in range(1, 99))))  # read whole
    assert many.height == 13
    assert few.sort("source_key").equals(
        many.filter(pl.col("source_key").is_in(["3", "40"])).sort("source_key")
    )
    assert few.schema == store.load("deals").schema
    assert store.records_of("contacts", keys("1")).is_empty()


@pytest.mark.parametrize(
    "when",
    [dt.datetime(2026, 12, 1, 6, tzinfo=dt.UTC), dt.datetime(2026, 12, 1, 6, 0, 1, 250, dt.UTC)],
    ids=["on the second", "with microseconds"],
)
def test_the_id_table_writes_when_as_sqlalchemy_reads_it(
    store: SyncState, monkeypatch: pytest.MonkeyPatch, when: dt.datetime
) -> None:
    monkeypatch.setattr(state_module, "_now", lambda: when)
    store.record_accepted("deals", [Accepted("100", "h100", "xxh3:100", None, "2026-12-01")])
    table = store.id_table("deals")
    # Held by HubSpot (the rejected one has no id), by number.
    assert table["source_key"].to_list() == [*(str(i) for i in range(1, 13)), "100"]
    c = sync_records.c
    with store.engine.connect() as connection:
        stored = dict(connection.execute(select(c.source_key, c.synced_at)).all())
    assert table["synced_at"].to_list() == [stored[key].isoformat() for key in table["source_key"]]
