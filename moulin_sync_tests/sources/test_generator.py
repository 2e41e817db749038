"""The demo-data generator: determinism, realism, every kind of dirt, both databases, CLI."""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import phonenumbers
import psycopg2
import pytest
from click.testing import CliRunner
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.engine import make_url

from moulin_sync.demo_data import (
    APP_LAUNCH,
    DIRT_KINDS,
    LONG_NOTE_CAP,
    GenerationSummary,
    GeneratorError,
    generate,
    luhn_complete,
    luhn_valid,
    vat_number_from_siren,
    vocab,
)
from moulin_sync.demo_data.cli import demo_data_command
from moulin_sync.sources.app_du_moulin import vocabulary
from moulin_sync.sources.app_du_moulin.schema import TABLE_NAMES

ORDER_STATUSES = vocabulary.values(vocabulary.ORDER_STATUSES)
ORDER_CHANNELS = vocabulary.values(vocabulary.ORDER_CHANNELS)
PAID_STATUSES = vocabulary.statuses(paid=True)

TODAY = date(2025, 11, 20)
MEDIUM = {"customers": 1_500, "companies": 40, "orders": 12_000}
SMALL = {"customers": 300, "companies": 10, "orders": 2_000}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rows(path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(sql, params).fetchall()


def _one(path: Path, sql: str, *params: Any) -> Any:
    return _rows(path, sql, *params)[0][0]


@pytest.fixture(scope="module")
def dirty_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerationSummary]:
    path = tmp_path_factory.mktemp("dirty") / "moulin.db"
    summary = generate(f"sqlite:///{path}", **MEDIUM, seed=7, dirty_rate=0.02, today=TODAY)
    return path, summary


@pytest.fixture(scope="module")
def clean_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerationSummary]:
    path = tmp_path_factory.mktemp("clean") / "moulin.db"
    summary = generate(f"sqlite:///{path}", **MEDIUM, seed=7, dirty_rate=0.0, today=TODAY)
    return path, summary


# ------------------------------------------------------------------ determinism


def test_same_arguments_give_the_same_sqlite_file_byte_for_byte(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "c.db"
    for path in (first, second):
        generate(f"sqlite:///{path}", **SMALL, seed=3, dirty_rate=0.05, today=TODAY)
    generate(f"sqlite:///{other}", **SMALL, seed=4, dirty_rate=0.05, today=TODAY)
    assert _sha256(first) == _sha256(second)
    assert _sha256(first) != _sha256(other)


def test_the_progress_bar_leaves_the_output_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    quiet, shown = tmp_path / "quiet.db", tmp_path / "shown.db"
    for path, progress in ((quiet, False), (shown, True)):
        generate(
            f"sqlite:///{path}", **SMALL, seed=3, dirty_rate=0.05, today=TODAY, progress=progress
        )
    assert _sha256(quiet) == _sha256(shown)
    shown_on_stderr = capsys.readouterr().err
    for phase in ("customers (generate)", "orders", "customers (write)", "indexes"):
        assert phase in shown_on_stderr


def test_orders_size_leaves_pickup_points_and_companies_unchanged(tmp_path: Path) -> None:
    # One random stream per table: more orders must not reshuffle unrelated tables.
    small, large = tmp_path / "small.db", tmp_path / "large.db"
    generate(f"sqlite:///{small}", customers=200, companies=10, orders=500, today=TODAY)
    generate(f"sqlite:///{large}", customers=200, companies=10, orders=900, today=TODAY)
    for table in ("pickup_points", "companies", "company_contacts"):
        query = f"SELECT * FROM {table} ORDER BY 1"
        assert _rows(small, query) == _rows(large, query)
    names = "SELECT id, email, first_name, last_name, phone FROM customers ORDER BY id"
    assert _rows(small, names) == _rows(large, names)


# ------------------------------------------------------------------------ dirt


def _email_is_valid(email: str) -> bool:
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _measured_dirt(path: Path) -> dict[str, int]:
    """Each kind of dirt, counted from the database itself (not from the summary)."""
    emails = [row[0] for row in _rows(path, "SELECT email FROM customers")]
    present = [e for e in emails if e]
    exact = Counter(present)
    normalised = Counter(e.strip().lower() for e in present)
    names = _rows(path, "SELECT first_name, last_name FROM customers")
    exotic = set(vocab.EXOTIC_NAMES)
    return {
        "invalid_email": sum(not _email_is_valid(e.strip()) for e in present),
        "null_email": _one(
            path, "SELECT count(*) FROM customers WHERE email IS NULL AND anonymized_at IS NULL"
        ),
        "empty_email": _one(path, "SELECT count(*) FROM customers WHERE email = ''"),
        "duplicate_email": sum(1 for count in exact.values() if count == 2),
        "email_case_or_whitespace_variant": sum(
            1 for e in present if e != e.strip().lower() and normalised[e.strip().lower()] > 1
        ),
        "deleted_customer": _one(
            path, "SELECT count(*) FROM customers WHERE deleted_at IS NOT NULL"
        ),
        "anonymized_customer": _one(
            path, "SELECT count(*) FROM customers WHERE anonymized_at IS NOT NULL"
        ),
        "exotic_name": sum(1 for name in names if name in exotic),
        "long_customer_note": _one(
            path, "SELECT count(*) FROM customers WHERE length(notes) = 70000"
        ),
        "orders_of_deleted_customers": _one(
            path,
            "SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id "
            "WHERE c.deleted_at IS NOT NULL",
        ),
        "orders_of_anonymized_customers": _one(
            path,
            "SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id "
            "WHERE c.anonymized_at IS NOT NULL",
        ),
        "orphan_order": _one(
            path,
            "SELECT count(*) FROM orders WHERE customer_id NOT IN (SELECT id FROM customers)",
        ),
        "far_future_order": _one(path, "SELECT count(*) FROM orders WHERE ordered_at >= '2099'"),
        "long_order_note": _one(path, "SELECT count(*) FROM orders WHERE length(notes) = 70000"),
    }


def test_every_kind_of_dirt_is_present_and_counted_exactly(
    dirty_db: tuple[Path, GenerationSummary],
) -> None:
    path, summary = dirty_db
    assert tuple(summary.dirt) == DIRT_KINDS
    assert all(count > 0 for count in summary.dirt.values()), summary.dirt
    assert _measured_dirt(path) == summary.dirt
    # "About the rate": 2 % of 1,500 customers and of 12,000 orders.
    assert summary.dirt["invalid_email"] == 30
    assert summary.dirt["orphan_order"] == 240
    assert summary.dirt["long_order_note"] == min(240, LONG_NOTE_CAP)


def test_clean_data_has_no_dirt_at_all(clean_db: tuple[Path, GenerationSummary]) -> None:
    path, summary = clean_db
    assert summary.dirt == dict.fromkeys(DIRT_KINDS, 0)
    assert _measured_dirt(path) == summary.dirt
    emails = [row[0] for row in _rows(path, "SELECT email FROM customers")]
    assert all(emails), "clean customers all have an email"
    assert len({e.lower() for e in emails}) == len(emails)
    assert all(_email_is_valid(e) for e in emails)


def test_dirt_looks_like_the_real_thing(dirty_db: tuple[Path, GenerationSummary]) -> None:
    path, _ = dirty_db
    anonymized = _rows(
        path,
        "SELECT email, phone, address, postcode, city, first_name, last_name, notes "
        "FROM customers WHERE anonymized_at IS NOT NULL",
    )
    assert anonymized
    assert all(
        row == (None, None, None, None, None, "Anonyme", "Anonyme", None) for row in anonymized
    )
    deleted = _rows(
        path, "SELECT email, deleted_at, created_at FROM customers WHERE deleted_at IS NOT NULL"
    )
    assert all(deleted_at >= created for _, deleted_at, created in deleted)
    assert any(email for email, _, _ in deleted), "deleted customers keep their data"
    variants = [
        e for (e,) in _rows(path, "SELECT email FROM customers WHERE email IS NOT NULL")
        if e and e != e.strip().lower() and _email_is_valid(e.strip())
    ]  # fmt: skip
    assert any(e != e.strip() for e in variants), "some variants carry whitespace"
    assert any(e.strip() != e.strip().lower() for e in variants), "some variants differ by case"
    names = " ".join(
        f"{first} {last}"
        for first, last in _rows(path, "SELECT first_name, last_name FROM customers")
    )
    assert re.search(r"[\u0400-\u04ff]", names), "Cyrillic"
    assert re.search(r"[\U0001f300-\U0001faff]", names), "emoji"
    assert re.search(r"[\u0600-\u06ff]|[\u4e00-\u9fff]", names), "Arabic or Chinese"
    future = [
        row[0] for row in _rows(path, "SELECT ordered_at FROM orders WHERE ordered_at >= '2099'")
    ]
    assert all(TIMESTAMP.match(value) and value[:4] in ("2099", "2100") for value in future)


def test_tiny_tables_still_get_at_least_one_of_each_kind(tmp_path: Path) -> None:
    path = tmp_path / "tiny.db"
    summary = generate(
        f"sqlite:///{path}", customers=60, companies=3, orders=200, dirty_rate=0.001, today=TODAY
    )
    assert all(count >= 1 for count in summary.dirt.values()), summary.dirt
    assert _measured_dirt(path) == summary.dirt


# ------------------------------------------------------------------- realism


def test_company_identifiers_are_valid(clean_db: tuple[Path, GenerationSummary]) -> None:
    path, _ = clean_db
    companies = _rows(path, "SELECT siret, vat_number, sector FROM companies")
    assert len(companies) == MEDIUM["companies"]
    with_siret = [row for row in companies if row[0] is not None]
    assert len(with_siret) >= len(companies) * 0.8
    for siret, vat, _ in with_siret:
        assert re.fullmatch(r"\d{14}", siret)
        assert luhn_valid(siret) and luhn_valid(siret[:9])
        if vat is not None:
            key = (12 + 3 * (int(siret[:9]) % 97)) % 97  # computed here, independently
            assert vat == f"FR{key:02d}{siret[:9]}"
    assert len({siret[:9] for siret, _, _ in with_siret}) == len(with_siret)
    assert {sector for _, _, sector in companies} <= {s for s, _ in vocab.SECTORS}


def test_luhn_and_vat_helpers_match_published_examples() -> None:
    assert luhn_valid("73282932000074")  # INSEE's documented SIRET example
    assert luhn_valid("732829320")
    assert not luhn_valid("73282932000075")
    assert not luhn_valid("")
    assert luhn_complete("73282932") == "732829320"
    assert vat_number_from_siren("404833048") == "FR83404833048"


def test_b2b_orders_belong_to_a_contact_of_their_company(
    clean_db: tuple[Path, GenerationSummary],
) -> None:
    path, summary = clean_db
    assert summary.rows["company_contacts"] >= MEDIUM["companies"]
    roles = Counter(row[0] for row in _rows(path, "SELECT role FROM company_contacts"))
    assert set(roles) - {None} <= {r for r, _ in vocab.CONTACT_ROLES}
    per_company = _rows(path, "SELECT count(*) FROM company_contacts GROUP BY company_id")
    assert all(1 <= count <= 4 for (count,) in per_company)
    b2b = _one(path, "SELECT count(*) FROM orders WHERE channel = 'b2b'")
    assert b2b > 0
    assert (
        _one(
            path, "SELECT count(*) FROM orders WHERE (channel = 'b2b') != (company_id IS NOT NULL)"
        )
        == 0
    )
    not_contact = _one(
        path,
        "SELECT count(*) FROM orders o LEFT JOIN company_contacts cc "
        "ON cc.customer_id = o.customer_id AND cc.company_id = o.company_id "
        "WHERE o.company_id IS NOT NULL AND cc.customer_id IS NULL",
    )
    assert not_contact == 0
    amounts = _rows(
        path, "SELECT min(amount_eur), max(amount_eur) FROM orders WHERE channel = 'b2b'"
    )
    assert 50 <= amounts[0][0] <= amounts[0][1] <= 3000


def test_orders_are_consistent_in_time_and_status(clean_db: tuple[Path, GenerationSummary]) -> None:
    path, _ = clean_db
    orders = _rows(
        path,
        "SELECT o.ordered_at, o.paid_at, o.status, o.channel, o.created_at, o.updated_at, "
        "o.amount_eur, o.pickup_point_id, o.order_number, c.created_at "
        "FROM orders o JOIN customers c ON c.id = o.customer_id",
    )
    assert len(orders) == MEDIUM["orders"]
    last_day = f"{TODAY.isoformat()} 23:59:59"
    for ordered, paid, status, channel, created, updated, amount, pp, number, since in orders:
        assert TIMESTAMP.match(ordered) and TIMESTAMP.match(updated)
        assert "2019-01-01 00:00:00" <= ordered <= last_day
        assert created == ordered <= updated <= last_day
        assert status in ORDER_STATUSES and channel in ORDER_CHANNELS
        assert (paid is not None) == (status in PAID_STATUSES)
        if paid is not None:
            assert ordered <= paid <= last_day
        assert since <= ordered, "customers order after their account exists"
        assert re.fullmatch(rf"M-{ordered[:4]}-\d{{7}}", number)
        if channel != "b2b":
            assert 5 <= amount <= 150
            assert round(amount, 2) == amount
        if channel == "shop":
            assert pp is None
        if channel == "app":
            assert ordered >= APP_LAUNCH.isoformat()
    with_pp = sum(1 for row in orders if row[7] is not None)
    b2c = sum(1 for row in orders if row[3] != "b2b")
    assert with_pp > b2c / 2, "most B2C orders go to a pickup point"
    old = Counter(row[2] for row in orders if row[0] < "2025-01-01")
    assert (old["picked_up"] + old["delivered"]) / sum(old.values()) > 0.85
    assert old["cancelled"] and old["refunded"]
    assert not old["pending"] and not old["ready"]
    recent = Counter(row[2] for row in orders if row[0] >= "2025-11-10")
    assert recent["pending"] + recent["paid"] + recent["ready"] > 0


def test_orders_follow_the_seasons_and_grow(clean_db: tuple[Path, GenerationSummary]) -> None:
    path, _ = clean_db
    months = dict(_rows(path, "SELECT substr(ordered_at, 6, 2), count(*) FROM orders GROUP BY 1"))
    assert months["12"] > 1.5 * months["08"]
    assert months["11"] > months["08"]
    years = dict(_rows(path, "SELECT substr(ordered_at, 1, 4), count(*) FROM orders GROUP BY 1"))
    assert years["2024"] > 1.5 * years["2019"]


def test_customers_look_french_and_point_to_their_last_pickup_point(
    clean_db: tuple[Path, GenerationSummary],
) -> None:
    path, _ = clean_db
    customers = _rows(
        path,
        "SELECT email, first_name, last_name, phone, postcode, city, marketing_consent, "
        "created_at, updated_at FROM customers",
    )
    first_names = set(vocab.FIRST_NAMES_FEMALE + vocab.FIRST_NAMES_MALE)
    assert all(row[1] in first_names and row[2] in vocab.LAST_NAMES for row in customers)
    domains = Counter(row[0].split("@")[1] for row in customers)
    assert {"orange.fr", "free.fr", "gmail.com", "laposte.net"} <= set(domains)
    phones = [row[3] for row in customers if row[3] is not None]
    assert len(phones) > 0.8 * len(customers)
    for phone in phones:
        assert phonenumbers.is_valid_number(phonenumbers.parse(phone, "FR")), phone
    shapes = {re.sub(r"\d", "9", phone.replace("+33", "+CC")) for phone in phones}
    expected = {
        "99 99 99 99 99",
        "9999999999",
        "+CC 9 99 99 99 99",
        "+CC999999999",
        "99.99.99.99.99",
    }
    assert expected <= shapes
    cities = {(c[0], c[1]) for c in vocab.CITIES}
    assert all((row[5], row[4]) in cities for row in customers)
    consent = sum(row[6] for row in customers) / len(customers)
    assert 0.5 < consent < 0.7
    assert min(row[7] for row in customers) < "2019-01-01"
    assert all(row[7] <= row[8] for row in customers)
    mismatched = _one(
        path,
        "WITH last AS (SELECT customer_id, pickup_point_id, "
        "row_number() OVER (PARTITION BY customer_id ORDER BY ordered_at DESC, id DESC) AS n "
        "FROM orders WHERE pickup_point_id IS NOT NULL) "
        "SELECT count(*) FROM customers c LEFT JOIN last l ON l.customer_id = c.id AND l.n = 1 "
        "WHERE c.last_pickup_point_id IS NOT l.pickup_point_id",
    )
    assert mismatched == 0
    points = _rows(path, "SELECT name, active FROM pickup_points")
    assert 10 <= len(points) <= 40
    assert all(name.startswith("Point retrait — ") for name, _ in points)
    assert any(active for _, active in points)


# ------------------------------------------------------------- refusals and CLI


def test_refuses_to_overwrite_data_unless_replace(tmp_path: Path) -> None:
    path = tmp_path / "moulin.db"
    url = f"sqlite:///{path}"
    generate(url, customers=50, companies=2, orders=100, seed=1, today=TODAY)
    before = _sha256(path)
    with pytest.raises(GeneratorError, match=re.escape(url) + ".*--replace"):
        generate(url, customers=50, companies=2, orders=100, seed=2, today=TODAY)
    assert _sha256(path) == before
    generate(url, customers=50, companies=2, orders=100, seed=2, today=TODAY, replace=True)
    fresh = tmp_path / "fresh.db"
    generate(f"sqlite:///{fresh}", customers=50, companies=2, orders=100, seed=2, today=TODAY)
    assert _sha256(path) == _sha256(fresh)


def test_replace_keeps_unrelated_tables(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT)")
        connection.execute("INSERT INTO audit VALUES (1, 'kept')")
    url = f"sqlite:///{path}"
    generate(url, customers=20, companies=1, orders=30, today=TODAY)
    generate(url, customers=25, companies=1, orders=30, today=TODAY, replace=True)
    assert _rows(path, "SELECT what FROM audit") == [("kept",)]
    assert _one(path, "SELECT count(*) FROM customers") == 25


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
        _one(path, "SELECT max(ordered_at) FROM orders WHERE ordered_at < '2099'")
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


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards."""
    base = os.environ.get("MOULIN_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    try:
        admin = _connect(base)
    except psycopg2.OperationalError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL unreachable at MOULIN_TEST_POSTGRES_URL ({error})")
        pytest.skip(f"PostgreSQL unreachable: {error}")
    admin.autocommit = True
    name = f"moulin_gen_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


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
def test_postgres_gets_the_same_rows_as_sqlite(postgres_url: str, tmp_path: Path) -> None:
    arguments: dict[str, Any] = {**SMALL, "seed": 11, "dirty_rate": 0.03, "today": TODAY}
    pg_summary = generate(postgres_url, **arguments)
    sqlite_path = tmp_path / "same.db"
    sqlite_summary = generate(f"sqlite:///{sqlite_path}", **arguments)
    assert pg_summary.rows == sqlite_summary.rows
    assert pg_summary.dirt == sqlite_summary.dirt
    assert all(count > 0 for count in pg_summary.dirt.values())
    connection = _connect(postgres_url)
    try:
        with connection.cursor() as cursor:
            for table in TABLE_NAMES:
                cursor.execute(f"SELECT * FROM {table} ORDER BY 1")
                pg_rows = [tuple(_normalise(v) for v in row) for row in cursor.fetchall()]
                lite_rows = [
                    tuple(
                        float(v) if table == "orders" and i == 7 else v for i, v in enumerate(row)
                    )
                    for row in _rows(sqlite_path, f"SELECT * FROM {table} ORDER BY 1")
                ]
                assert pg_rows == lite_rows, table
            cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'ix_%'")
            assert len(cursor.fetchall()) == 5
    finally:
        connection.close()


@pytest.mark.postgres
def test_postgres_refuses_to_overwrite_unless_replace(postgres_url: str) -> None:
    generate(postgres_url, customers=30, companies=2, orders=50, today=TODAY)
    with pytest.raises(GeneratorError, match="--replace"):
        generate(postgres_url, customers=30, companies=2, orders=50, today=TODAY)
    summary = generate(
        postgres_url, customers=40, companies=2, orders=60, today=TODAY, replace=True
    )
    assert summary.rows["customers"] == 40
    connection = _connect(postgres_url)
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
