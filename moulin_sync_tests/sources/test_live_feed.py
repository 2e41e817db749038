"""The App du Moulin's live change feed: its cursor (equal times neither missed nor
repeated), what a change maps to, and the indexes it needs. No daemon, no HubSpot."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from moulin_sync.demo_data.generator import generate
from moulin_sync.settings import MoulinSettings
from moulin_sync.sources.app_du_moulin.live import INDEXES, WATCHED, changes, missing_indexes, start
from moulin_sync.sources.app_du_moulin.source import APP_DU_MOULIN
from moulin_sync.sources.indexes import live_index_warnings

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
AT = "2026-11-27 11:00:00"


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "app.db"
    generate(f"sqlite:///{path}", customers=40, companies=3, orders=120, seed=5,
             dirty_rate=0.0, today=dt.date(2026, 11, 27))  # fmt: skip
    return path


def url(path: Path) -> str:
    return f"sqlite:///{path}"


def sql(path: Path, statement: str, parameters: tuple = ()) -> list[tuple]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute(statement, parameters).fetchall()
        connection.commit()
    return rows


def touch_orders(path: Path, ids: list[int], at: str = AT) -> None:
    for order_id in ids:
        sql(path, "UPDATE orders SET updated_at = ? WHERE id = ?", (at, order_id))


def order_ids(path: Path, count: int, offset: int = 0) -> list[int]:
    rows = sql(path, "SELECT id FROM orders ORDER BY id LIMIT ? OFFSET ?", (count, offset))
    return [i for (i,) in rows]


def customers_of(path: Path, ids: list[int]) -> list[int]:
    marks = ",".join("?" * len(ids))
    rows = sql(path, f"SELECT DISTINCT customer_id FROM orders WHERE id IN ({marks})", tuple(ids))
    return sorted(i for (i,) in rows)


def test_the_source_spec_watches_every_table_of_the_feed() -> None:
    assert APP_DU_MOULIN.live is not None
    assert APP_DU_MOULIN.live.tables == tuple(w.name for w in WATCHED)


def test_a_cursor_at_the_present_sees_nothing_then_each_change_once(source: Path) -> None:
    cursor = start(url(source), NOW)
    nothing = changes(url(source), cursor, 100, NOW)
    assert nothing.empty and nothing.oldest is None and nothing.cursor == cursor

    ids = order_ids(source, 3)
    touch_orders(source, ids)
    found = changes(url(source), cursor, 100, NOW)
    assert found.counts["orders"] == 3
    assert found.customer_ids == customers_of(source, ids)
    assert found.oldest == dt.datetime(2026, 11, 27, 11, 0, tzinfo=dt.UTC)
    # Looked at again from where it got to: nothing is repeated.
    assert changes(url(source), found.cursor, 100, NOW).empty


def test_changes_in_the_same_second_after_the_cursor_are_neither_missed_nor_repeated(
    source: Path,
) -> None:
    cursor = start(url(source), NOW)
    first = order_ids(source, 2)
    touch_orders(source, first)
    seen = changes(url(source), cursor, 100, NOW)
    assert seen.counts["orders"] == 2
    # Two more orders change in that very second, after the look.
    later = order_ids(source, 2, offset=10)
    touch_orders(source, later)
    again = changes(url(source), seen.cursor, 100, NOW)
    assert again.counts["orders"] == 2
    assert again.customer_ids == customers_of(source, later)
    assert sorted(again.cursor["orders"][1]) == sorted(first + later)
    assert changes(url(source), again.cursor, 100, NOW).empty


def test_a_look_that_stops_at_its_limit_mid_second_goes_on_from_there(source: Path) -> None:
    cursor = start(url(source), NOW)
    ids = order_ids(source, 7)
    touch_orders(source, ids)
    looks = 0
    while True:
        found = changes(url(source), cursor, 3, NOW)
        looks += 1
        if found.empty:
            break
        assert found.complete == (found.counts["orders"] < 3)
        cursor = found.cursor
    assert looks == 4  # 3 + 3 + 1, then nothing
    assert sorted(cursor["orders"][1]) == sorted(ids)


def test_a_change_dated_in_the_future_does_not_carry_the_cursor_past_later_ones(
    source: Path,
) -> None:
    cursor = start(url(source), NOW)
    [wrong, right] = order_ids(source, 2)
    touch_orders(source, [wrong], at="2099-01-01 00:00:00")
    touch_orders(source, [right])
    found = changes(url(source), cursor, 100, NOW)
    assert found.counts["orders"] == 1
    assert found.cursor["orders"][0].startswith("2026-11-27T11:00:00")


def test_each_table_maps_to_the_customers_and_companies_its_records_hang_on(
    source: Path,
) -> None:
    cursor = start(url(source), NOW)
    [(customer,)] = sql(source, "SELECT id FROM customers ORDER BY id LIMIT 1")
    [(erased,)] = sql(source, "SELECT id FROM customers ORDER BY id LIMIT 1 OFFSET 5")
    [(company,)] = sql(source, "SELECT id FROM companies ORDER BY id LIMIT 1")
    [(linked,)] = sql(source, "SELECT customer_id FROM company_contacts LIMIT 1")
    sql(source, "UPDATE customers SET first_name = 'Zoé', updated_at = ? WHERE id = ?",
        (AT, customer))  # fmt: skip
    # An erasure that left `updated_at` as it was.
    sql(source, "UPDATE customers SET deleted_at = ? WHERE id = ?", (AT, erased))
    sql(source, "UPDATE companies SET updated_at = ? WHERE id = ?", (AT, company))
    sql(source, "UPDATE company_contacts SET updated_at = ? WHERE customer_id = ?", (AT, linked))
    found = changes(url(source), cursor, 100, NOW)
    assert {customer, erased, linked} <= set(found.customer_ids)
    assert found.company_ids == [company]
    assert found.counts == {"customers": 1, "erasures": 1, "anonymizations": 0, "orders": 0,
                            "companies": 1, "company_links": 1}  # fmt: skip


def test_a_missing_index_is_named_with_its_ddl_and_never_created(source: Path) -> None:
    assert missing_indexes(url(source)) == []  # the generator makes them, as a DBA would
    sql(source, "DROP INDEX ix_companies_updated_at")
    assert missing_indexes(url(source)) == [
        "CREATE INDEX ix_companies_updated_at ON companies (updated_at)"
    ]
    assert missing_indexes(url(source)) == [
        "CREATE INDEX ix_companies_updated_at ON companies (updated_at)"
    ]
    assert len(INDEXES) == len({(w.table, w.stamp) for w in WATCHED})
    [warning] = live_index_warnings(MoulinSettings(source_url=url(source)))
    assert warning.startswith("MOULIN_LIVE: the App du Moulin has no index")
    assert "CREATE INDEX ix_companies_updated_at ON companies (updated_at)" in warning


@pytest.mark.postgres
def test_the_feed_on_postgresql_sees_same_second_changes_once(postgres_database: str) -> None:
    """The production shape: timestamptz change times, bound as datetimes."""
    import psycopg2
    from sqlalchemy.engine import make_url

    generate(postgres_database, customers=30, companies=2, orders=80, seed=5, dirty_rate=0.0,
             today=dt.date(2026, 11, 27))  # fmt: skip
    parts = make_url(postgres_database)
    connection = psycopg2.connect(host=parts.host, port=parts.port or 5432,
                                  user=parts.username, dbname=parts.database)  # fmt: skip
    connection.autocommit = True

    def touch(offset: int, at: dt.datetime) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM orders ORDER BY id LIMIT 1 OFFSET %s", (offset,))
            [order] = cursor.fetchone()
            cursor.execute("UPDATE orders SET updated_at = %s WHERE id = %s", (at, order))
        return order

    try:
        cursor = start(postgres_database, NOW)
        at = dt.datetime(2026, 11, 27, 11, 0, 0, 250_000, tzinfo=dt.UTC)
        first = touch(0, at)
        seen = changes(postgres_database, cursor, 100, NOW)
        assert seen.counts["orders"] == 1 and seen.oldest == at
        second = touch(1, at)  # the same instant, after the look
        again = changes(postgres_database, seen.cursor, 100, NOW)
        assert again.counts["orders"] == 1
        assert sorted(again.cursor["orders"][1]) == sorted([first, second])
        assert changes(postgres_database, again.cursor, 100, NOW).empty
        assert missing_indexes(postgres_database) == []
    finally:
        connection.close()
