"""The generator as the team uses it: replace or refuse, bad arguments, the CLI, PostgreSQL."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from moulin_sync.demo_data import (
    GeneratorError,
    generate,
)
from moulin_sync.demo_data.cli import demo_data_command
from moulin_sync.sources.app_du_moulin.schema import INDEXES, TABLE_NAMES
from moulin_sync_tests.sources.generated import (
    SMALL,
    TODAY,
    sha256_of,
    sql_one,
    sql_rows,
)


def test_refuses_to_overwrite_data_unless_replace(tmp_path: Path) -> None:
    path = tmp_path / "moulin.db"
    url = f"sqlite:///{path}"
    generate(url, customers=50, companies=2, orders=100, seed=1, today=TODAY)
    before = sha256_of(path)
    with pytest.raises(GeneratorError, match=re.escape(url) + ".*--replace"):
        generate(url, customers=50, companies=2, orders=100, seed=2, today=TODAY)
    assert sha256_of(path) == before
    generate(url, customers=50, companies=2, orders=100, seed=2, today=TODAY, replace=True)
    fresh = tmp_path / "fresh.db"
    generate(f"sqlite:///{fresh}", customers=50, companies=2, orders=100, seed=2, today=TODAY)
    assert sha256_of(path) == sha256_of(fresh)


def test_replace_keeps_unrelated_tables(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT)")
        connection.execute("INSERT INTO audit VALUES (1, 'kept')")
    url = f"sqlite:///{path}"
    generate(url, customers=20, companies=1, orders=30, today=TODAY)
    generate(url, customers=25, companies=1, orders=30, today=TODAY, replace=True)
    assert sql_rows(path, "SELECT what FROM audit") == [("kept",)]
    assert sql_one(path, "SELECT count(*) FROM customers") == 25


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"customers": 10, "companies": 1, "orders": 10, "dirty_rate": 0.5}, "dirty rate"),
        ({"customers": 0, "companies": 0, "orders": 10}, "orders need customers"),
        ({"customers": -1, "companies": 0, "orders": 0}, "customers must be"),
        ({"customers": 1, "companies": 0, "orders": 0, "today": date(2018, 5, 1)}, "today"),
    ],
)
def test_bad_arguments_are_refused(tmp_path: Path, arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(GeneratorError, match=message):
        generate(f"sqlite:///{tmp_path / 'x.db'}", **arguments)
    assert not (tmp_path / "x.db").exists()


def test_cli_generates_prints_a_summary_and_refuses_a_second_run(tmp_path: Path) -> None:
    path = tmp_path / "cli.db"
    arguments = [
        "--url", f"sqlite:///{path}", "--customers", "120", "--companies", "4",
        "--orders", "600", "--seed", "5", "--dirty-rate", "0.05", "--today", "2025-06-30",
    ]  # fmt: skip
    runner = CliRunner()
    result = runner.invoke(demo_data_command, arguments)
    assert result.exit_code == 0, result.output
    assert "orders" in result.output and "600" in result.output
    assert "far_future_order" in result.output
    assert (
        sql_one(path, "SELECT max(ordered_at) FROM orders WHERE ordered_at < '2099'")
        <= "2025-06-30 23:59:59"
    )
    again = runner.invoke(demo_data_command, arguments)
    assert again.exit_code == 1
    assert "--replace" in again.output and str(path) in again.output
    replaced = runner.invoke(demo_data_command, [*arguments, "--replace"])
    assert replaced.exit_code == 0, replaced.output
    bad_day = runner.invoke(demo_data_command, [*arguments[:2], "--today", "30/06/2025"])
    assert bad_day.exit_code == 2 and "2025-11-30" in bad_day.output


# ---------------------------------------------------------------- PostgreSQL


def _connect(url: str) -> Any:
    parsed = make_url(url)
    return psycopg2.connect(
        host=parsed.host,
        port=parsed.port,
        user=parsed.username,
        password=parsed.password,
        dbname=parsed.database,
        connect_timeout=5,
    )


def _normalise(value: Any) -> Any:
    """PostgreSQL values in SQLite's representation, to compare the two row for row."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


@pytest.mark.postgres
def test_postgres_gets_the_same_rows_as_sqlite(postgres_database: str, tmp_path: Path) -> None:
    arguments: dict[str, Any] = {**SMALL, "seed": 11, "dirty_rate": 0.03, "today": TODAY}
    pg_summary = generate(postgres_database, **arguments)
    sqlite_path = tmp_path / "same.db"
    sqlite_summary = generate(f"sqlite:///{sqlite_path}", **arguments)
    assert pg_summary.rows == sqlite_summary.rows
    assert pg_summary.dirt == sqlite_summary.dirt
    assert all(count > 0 for count in pg_summary.dirt.values())
    connection = _connect(postgres_database)
    try:
        with connection.cursor() as cursor:
            for table in TABLE_NAMES:
                cursor.execute(f"SELECT * FROM {table} ORDER BY 1")
                pg_rows = [tuple(_normalise(v) for v in row) for row in cursor.fetchall()]
                lite_rows = [
                    tuple(
                        float(v) if table == "orders" and i == 7 else v for i, v in enumerate(row)
                    )
                    for row in sql_rows(sqlite_path, f"SELECT * FROM {table} ORDER BY 1")
                ]
                assert pg_rows == lite_rows, table
            cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'ix_%'")
            assert len(cursor.fetchall()) == len(INDEXES)
    finally:
        connection.close()


@pytest.mark.postgres
def test_postgres_refuses_to_overwrite_unless_replace(postgres_database: str) -> None:
    generate(postgres_database, customers=30, companies=2, orders=50, today=TODAY)
    with pytest.raises(GeneratorError, match="--replace"):
        generate(postgres_database, customers=30, companies=2, orders=50, today=TODAY)
    summary = generate(
        postgres_database, customers=40, companies=2, orders=60, today=TODAY, replace=True
    )
    assert summary.rows["customers"] == 40
    connection = _connect(postgres_database)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM customers")
            assert cursor.fetchone() == (40,)
    finally:
        connection.close()


def test_a_file_that_is_not_sqlite_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("not a database, just someone's notes\n" * 200)
    with pytest.raises(GeneratorError, match="not a SQLite database"):
        generate(f"sqlite:///{path}", customers=5, companies=0, orders=5, today=TODAY)
    assert path.read_text().startswith("not a database")
