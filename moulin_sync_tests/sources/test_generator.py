"""The demo-data generator: determinism, and every kind of dirt counted exactly."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from email_validator import EmailNotValidError, validate_email

from moulin_sync.demo_data import (
    DIRT_KINDS,
    LONG_NOTE_CAP,
    GenerationSummary,
    generate,
    vocab,
)
from moulin_sync_tests.sources.generated import (
    SMALL,
    TIMESTAMP,
    TODAY,
    sha256_of,
    sql_one,
    sql_rows,
)


def test_same_arguments_give_the_same_sqlite_file_byte_for_byte(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "c.db"
    for path in (first, second):
        generate(f"sqlite:///{path}", **SMALL, seed=3, dirty_rate=0.05, today=TODAY)
    generate(f"sqlite:///{other}", **SMALL, seed=4, dirty_rate=0.05, today=TODAY)
    assert sha256_of(first) == sha256_of(second)
    assert sha256_of(first) != sha256_of(other)


def test_the_progress_bar_leaves_the_output_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    quiet, shown = tmp_path / "quiet.db", tmp_path / "shown.db"
    for path, progress in ((quiet, False), (shown, True)):
        generate(
            f"sqlite:///{path}", **SMALL, seed=3, dirty_rate=0.05, today=TODAY, progress=progress
        )
    assert sha256_of(quiet) == sha256_of(shown)
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
        assert sql_rows(small, query) == sql_rows(large, query)
    names = "SELECT id, email, first_name, last_name, phone FROM customers ORDER BY id"
    assert sql_rows(small, names) == sql_rows(large, names)


# ------------------------------------------------------------------------ dirt


def _email_is_valid(email: str) -> bool:
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _measured_dirt(path: Path) -> dict[str, int]:
    """Each kind of dirt, counted from the database itself (not from the summary)."""
    emails = [row[0] for row in sql_rows(path, "SELECT email FROM customers")]
    present = [e for e in emails if e]
    exact = Counter(present)
    normalised = Counter(e.strip().lower() for e in present)
    names = sql_rows(path, "SELECT first_name, last_name FROM customers")
    exotic = set(vocab.EXOTIC_NAMES)
    return {
        "invalid_email": sum(not _email_is_valid(e.strip()) for e in present),
        "null_email": sql_one(
            path, "SELECT count(*) FROM customers WHERE email IS NULL AND anonymized_at IS NULL"
        ),
        "empty_email": sql_one(path, "SELECT count(*) FROM customers WHERE email = ''"),
        "duplicate_email": sum(1 for count in exact.values() if count == 2),
        "email_case_or_whitespace_variant": sum(
            1 for e in present if e != e.strip().lower() and normalised[e.strip().lower()] > 1
        ),
        "deleted_customer": sql_one(
            path, "SELECT count(*) FROM customers WHERE deleted_at IS NOT NULL"
        ),
        "anonymized_customer": sql_one(
            path, "SELECT count(*) FROM customers WHERE anonymized_at IS NOT NULL"
        ),
        "exotic_name": sum(1 for name in names if name in exotic),
        "long_customer_note": sql_one(
            path, "SELECT count(*) FROM customers WHERE length(notes) = 70000"
        ),
        "orders_of_deleted_customers": sql_one(
            path,
            "SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id "
            "WHERE c.deleted_at IS NOT NULL",
        ),
        "orders_of_anonymized_customers": sql_one(
            path,
            "SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id "
            "WHERE c.anonymized_at IS NOT NULL",
        ),
        "orphan_order": sql_one(
            path,
            "SELECT count(*) FROM orders WHERE customer_id NOT IN (SELECT id FROM customers)",
        ),
        "far_future_order": sql_one(path, "SELECT count(*) FROM orders WHERE ordered_at >= '2099'"),
        "long_order_note": sql_one(path, "SELECT count(*) FROM orders WHERE length(notes) = 70000"),
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
    emails = [row[0] for row in sql_rows(path, "SELECT email FROM customers")]
    assert all(emails), "clean customers all have an email"
    assert len({e.lower() for e in emails}) == len(emails)
    assert all(_email_is_valid(e) for e in emails)


def test_dirt_looks_like_the_real_thing(dirty_db: tuple[Path, GenerationSummary]) -> None:
    path, _ = dirty_db
    anonymized = sql_rows(
        path,
        "SELECT email, phone, address, postcode, city, first_name, last_name, notes "
        "FROM customers WHERE anonymized_at IS NOT NULL",
    )
    assert anonymized
    assert all(
        row == (None, None, None, None, None, "Anonyme", "Anonyme", None) for row in anonymized
    )
    deleted = sql_rows(
        path, "SELECT email, deleted_at, created_at FROM customers WHERE deleted_at IS NOT NULL"
    )
    assert all(deleted_at >= created for _, deleted_at, created in deleted)
    assert any(email for email, _, _ in deleted), "deleted customers keep their data"
    variants = [
        e for (e,) in sql_rows(path, "SELECT email FROM customers WHERE email IS NOT NULL")
        if e and e != e.strip().lower() and _email_is_valid(e.strip())
    ]  # fmt: skip
    assert any(e != e.strip() for e in variants), "some variants carry whitespace"
    assert any(e.strip() != e.strip().lower() for e in variants), "some variants differ by case"
    names = " ".join(
        f"{first} {last}"
        for first, last in sql_rows(path, "SELECT first_name, last_name FROM customers")
    )
    assert re.search(r"[\u0400-\u04ff]", names), "Cyrillic"
    assert re.search(r"[\U0001f300-\U0001faff]", names), "emoji"
    assert re.search(r"[\u0600-\u06ff]|[\u4e00-\u9fff]", names), "Arabic or Chinese"
    future = [
        row[0] for row in sql_rows(path, "SELECT ordered_at FROM orders WHERE ordered_at >= '2099'")
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
