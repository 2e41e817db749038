"""The generated data looks real: valid company identifiers, consistent orders, seasons,
French customers."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import phonenumbers

from moulin_sync.demo_data import (
    APP_LAUNCH,
    GenerationSummary,
    luhn_complete,
    luhn_valid,
    vat_number_from_siren,
    vocab,
)
from moulin_sync_tests.sources.generated import (
    MEDIUM,
    ORDER_CHANNELS,
    ORDER_STATUSES,
    PAID_STATUSES,
    TIMESTAMP,
    TODAY,
    sql_one,
    sql_rows,
)


def test_company_identifiers_are_valid(clean_db: tuple[Path, GenerationSummary]) -> None:
    path, _ = clean_db
    companies = sql_rows(path, "SELECT siret, vat_number, sector FROM companies")
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
    roles = Counter(row[0] for row in sql_rows(path, "SELECT role FROM company_contacts"))
    assert set(roles) - {None} <= {r for r, _ in vocab.CONTACT_ROLES}
    per_company = sql_rows(path, "SELECT count(*) FROM company_contacts GROUP BY company_id")
    assert all(1 <= count <= 4 for (count,) in per_company)
    b2b = sql_one(path, "SELECT count(*) FROM orders WHERE channel = 'b2b'")
    assert b2b > 0
    assert (
        sql_one(
            path, "SELECT count(*) FROM orders WHERE (channel = 'b2b') != (company_id IS NOT NULL)"
        )
        == 0
    )
    not_contact = sql_one(
        path,
        "SELECT count(*) FROM orders o LEFT JOIN company_contacts cc "
        "ON cc.customer_id = o.customer_id AND cc.company_id = o.company_id "
        "WHERE o.company_id IS NOT NULL AND cc.customer_id IS NULL",
    )
    assert not_contact == 0
    amounts = sql_rows(
        path, "SELECT min(amount_eur), max(amount_eur) FROM orders WHERE channel = 'b2b'"
    )
    assert 50 <= amounts[0][0] <= amounts[0][1] <= 3000


def test_orders_are_consistent_in_time_and_status(clean_db: tuple[Path, GenerationSummary]) -> None:
    path, _ = clean_db
    orders = sql_rows(
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
    months = dict(
        sql_rows(path, "SELECT substr(ordered_at, 6, 2), count(*) FROM orders GROUP BY 1")
    )
    assert months["12"] > 1.5 * months["08"]
    assert months["11"] > months["08"]
    years = dict(sql_rows(path, "SELECT substr(ordered_at, 1, 4), count(*) FROM orders GROUP BY 1"))
    assert years["2024"] > 1.5 * years["2019"]


def test_customers_look_french_and_point_to_their_last_pickup_point(
    clean_db: tuple[Path, GenerationSummary],
) -> None:
    path, _ = clean_db
    customers = sql_rows(
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
    mismatched = sql_one(
        path,
        "WITH last AS (SELECT customer_id, pickup_point_id, "
        "row_number() OVER (PARTITION BY customer_id ORDER BY ordered_at DESC, id DESC) AS n "
        "FROM orders WHERE pickup_point_id IS NOT NULL) "
        "SELECT count(*) FROM customers c LEFT JOIN last l ON l.customer_id = c.id AND l.n = 1 "
        "WHERE c.last_pickup_point_id IS NOT l.pickup_point_id",
    )
    assert mismatched == 0
    points = sql_rows(path, "SELECT name, active FROM pickup_points")
    assert 10 <= len(points) <= 40
    assert all(name.startswith("Point retrait — ") for name, _ in points)
    assert any(active for _, active in points)


# ------------------------------------------------------------- refusals and CLI
