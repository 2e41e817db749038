"""The pure transforms: source rows → HubSpot payloads and quarantine. No server."""

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from moulin_sync.hubspot.streams.build import build_payloads
from moulin_sync.hubspot.streams.companies import COMPANIES
from moulin_sync.hubspot.streams.contacts import CONTACTS
from moulin_sync.hubspot.streams.deals import DEALS
from moulin_sync.hubspot.streams.fingerprints import fingerprint_text
from moulin_sync.hubspot.streams.hashing import payload_hashes, stable_hash
from moulin_sync.hubspot.streams.payloads import Payloads
from moulin_sync.hubspot.streams.phones import e164
from moulin_sync.hubspot.streams.spec import PipelineStages, TransformContext
from moulin_sync.sources.app_du_moulin.aggregates import order_totals
from moulin_sync.sources.app_du_moulin.reader import COLUMNS

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 27, 12, tzinfo=UTC)


def frame(table: str, rows: list[dict]) -> pl.DataFrame:
    """Rows of a source table with every column present and typed as the reader does."""
    schema = COLUMNS[table]
    full = [{name: row.get(name) for name in schema} for row in rows]
    return pl.DataFrame(full, schema=schema, orient="row")


def customer(id: int, email: str | None = None, **extra) -> dict:
    base = {
        "id": id,
        "email": email if email is not None else f"c{id}@example.fr",
        "first_name": "Jeanne",
        "last_name": "Moulin",
        "phone": "06 12 34 56 78",
        "city": "Lyon",
        "postcode": "69001",
        "marketing_consent": True,
        "created_at": dt.datetime(2020, 5, 4, 22, 30, tzinfo=UTC),
        "updated_at": dt.datetime(2021, 1, 1, tzinfo=UTC),
    }
    return {**base, **extra}


def order(
    id: int,
    customer_id: int,
    status: str = "picked_up",
    amount: str = "12.50",
    when: dt.datetime = dt.datetime(2026, 3, 31, 23, 30, tzinfo=UTC),
    **extra,
) -> dict:
    return {
        "id": id,
        "order_number": f"M-2026-{id:07d}",
        "customer_id": customer_id,
        "ordered_at": when,
        "status": status,
        "amount_eur": Decimal(amount) if amount is not None else None,
        "channel": "web",
        "created_at": when,
        "updated_at": when,
        **extra,
    }


EMPTY = {t: frame(t, []) for t in COLUMNS}
NO_TOTALS = order_totals(
    EMPTY["orders"], EMPTY["pickup_points"], by="customer_id", timezone="Europe/Paris", now=NOW
)
PARIS = TransformContext("Europe/Paris")


def contact_payloads(
    customers: pl.DataFrame,
    links: pl.DataFrame = EMPTY["company_contacts"],
    companies: pl.DataFrame = EMPTY["companies"],
) -> Payloads:
    """What `hubspot_payloads/contacts` makes: the transform, hashes, the model's check."""
    frames = {
        "customers": customers,
        "company_contacts": links,
        "companies": companies,
        "customer_order_totals": NO_TOTALS,
    }
    return build_payloads(CONTACTS, frames, PARIS)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("0612345678", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("04 72 13 66 02", "+33472136602"),
        ("12", None),
        ("not a phone", None),
        (None, None),
    ],
)
def test_phones_become_e164(raw: str | None, expected: str | None) -> None:
    assert e164(raw) == expected


def test_contacts_are_normalised_and_dirt_is_quarantined_with_reasons() -> None:
    customers = frame(
        "customers",
        [
            customer(1, "  Jeanne.Moulin@Example.FR "),
            customer(2, None) | {"email": None},
            customer(3, "jean.dupont@"),
            customer(4, "jeanne.moulin@example.fr"),  # the same as 1 once trimmed and lowered
            customer(5, "x" * 10 + "@example.fr", first_name="A" * 70_000),
            customer(6, deleted_at=dt.datetime(2026, 1, 1, tzinfo=UTC)),
            customer(7, "Zoë🌾@exemple.fr", first_name="Zoë 🌾\x00 Müller", phone="123"),
            customer(8, "jean+pain@xn--caf-dma.fr"),
            customer(9, "marie@münchen.de"),
        ],
    )
    payloads = contact_payloads(customers)
    records = {r["source_key"]: r for r in payloads.records.iter_rows(named=True)}
    reasons = dict(payloads.quarantine.iter_rows())
    warnings = dict(payloads.warnings.iter_rows())
    assert records["1"]["email"] == "jeanne.moulin@example.fr"
    assert records["1"]["phone"] == "+33612345678"
    # Created 22:30 UTC on May 4th is May 5th in Paris: the day a person there saw.
    assert records["1"]["moulin_customer_since"] == "2020-05-05"
    assert records["1"]["moulin_marketing_consent"] == "true"
    assert records["1"]["moulin_customer_type"] == "B2C"
    assert records["1"]["moulin_order_count"] == "0"
    assert records["1"]["moulin_email_issue"] == records["1"]["moulin_app_email"] == ""
    assert reasons["5"] == "firstname is longer than 65,536 characters"
    assert "6" not in records and "6" not in reasons
    assert payloads.erased["source_key"].to_list() == ["6"]
    assert {"8", "9"} <= set(records), "plus-addressing and IDN domains are valid emails"
    # Only the transform's reasons: every record it lets through is valid by the model.
    assert set(reasons) == {"5"}
    # An unusable email costs the contact its email, never the contact (nor its deals).
    without = {
        key: (records[key]["email"], records[key]["moulin_email_issue"], warnings[key])
        for key in ("2", "3", "4", "7")
    }
    assert without == {
        "2": ("", "missing", "missing email"),
        "3": ("", "invalid", "invalid email syntax"),
        "4": (
            "",
            "shared",
            "email jeanne.moulin@example.fr also belongs to customer 1, who keeps it",
        ),
        "7": ("", "invalid", "invalid email syntax"),  # emoji in an address: not an email
    }
    assert set(warnings) == {"2", "3", "4", "7"}
    # The App du Moulin's value, beside the contact, for whoever fixes it.
    assert records["3"]["moulin_app_email"] == "jean.dupont@"
    assert records["4"]["moulin_app_email"] == "jeanne.moulin@example.fr"
    assert records["2"]["moulin_app_email"] == ""


def test_a_shared_email_stays_with_the_contact_that_holds_it() -> None:
    """The customer whose contact moulin-sync wrote the email into keeps it, even when
    an older customer takes the same email later; on a first sync, the oldest keeps it."""
    customers = frame(
        "customers",
        [
            customer(10, "anne@example.fr") | {"created_at": dt.datetime(2024, 1, 1, tzinfo=UTC)},
            customer(11, "Anne@example.fr") | {"created_at": dt.datetime(2021, 1, 1, tzinfo=UTC)},
        ],
    )
    frames = {
        "customers": customers,
        "company_contacts": EMPTY["company_contacts"],
        "companies": EMPTY["companies"],
        "customer_order_totals": NO_TOTALS,
    }
    first = build_payloads(CONTACTS, frames, PARIS)
    emails = dict(first.records.select("source_key", "email").iter_rows())
    assert emails == {"10": "", "11": "anne@example.fr"}, "the oldest keeps it"

    # Customer 10's contact holds it in HubSpot (moulin-sync wrote it there).
    held = first.records.filter(pl.col("source_key") == "11").with_columns(
        email=pl.lit("anne@example.fr")
    )
    written_text = held.select(fingerprint_text(CONTACTS))["fingerprints"].item()
    asked: list[list[str]] = []

    def last_written(keys):
        asked.append(sorted(keys))
        return {"10": written_text, "11": None}

    context = TransformContext("Europe/Paris", last_written=last_written)
    again = build_payloads(CONTACTS, frames, context)
    emails = dict(again.records.select("source_key", "email").iter_rows())
    assert emails == {"10": "anne@example.fr", "11": ""}
    assert dict(again.warnings.iter_rows()) == {
        "11": "email anne@example.fr also belongs to customer 10, who keeps it"
    }
    assert asked == [["10", "11"]], "only the customers sharing an email are looked up"


def test_control_characters_are_removed_not_sent() -> None:
    customers = frame("customers", [customer(1, first_name="Zoë\x00\x07 ", last_name="Nguyễn\x1b")])
    row = contact_payloads(customers).records.row(0, named=True)
    assert (row["firstname"], row["lastname"]) == ("Zoë", "Nguyễn")


def test_b2b_contacts_carry_their_company() -> None:
    customers = frame("customers", [customer(1)])
    companies = frame(
        "companies",
        [
            {
                "id": 7,
                "name": "Boulangerie Lenoir",
                "siret": "73282932000074",
                "created_at": NOW,
                "updated_at": NOW,
            }
        ],
    )
    links = frame(
        "company_contacts",
        [
            {
                "customer_id": 1,
                "company_id": 7,
                "role": "Gérante",
                "created_at": NOW,
                "updated_at": NOW,
            }
        ],
    )
    row = contact_payloads(customers, links, companies).records.row(0, named=True)
    assert row["moulin_customer_type"] == "B2B"
    assert row["company"] == "Boulangerie Lenoir"
    assert row["moulin_company_role"] == "Gérante"
    assert row["company_key"] == "7"
    totals = order_totals(
        EMPTY["orders"], EMPTY["pickup_points"], by="company_id", timezone="Europe/Paris", now=NOW
    )
    companies_out = build_payloads(
        COMPANIES, {"companies": companies, "company_order_totals": totals}, PARIS
    )
    assert companies_out.records.row(0, named=True)["moulin_siret"] == "73282932000074"


def test_order_totals_count_what_was_bought_and_paid() -> None:
    points = frame(
        "pickup_points",
        [
            {"id": 1, "name": "Halles", "active": True, "created_at": NOW, "updated_at": NOW},
            {"id": 2, "name": "Gare", "active": True, "created_at": NOW, "updated_at": NOW},
        ],
    )
    orders = frame(
        "orders",
        [
            order(
                1, 5, "picked_up", "10.00", dt.datetime(2025, 1, 1, tzinfo=UTC), pickup_point_id=1
            ),
            order(
                2, 5, "refunded", "99.00", dt.datetime(2025, 2, 1, tzinfo=UTC), pickup_point_id=2
            ),
            order(3, 5, "pending", "5.00", dt.datetime(2025, 3, 1, tzinfo=UTC)),
            order(
                4,
                5,
                "paid",
                "2.50",
                dt.datetime(2025, 12, 31, 23, 30, tzinfo=UTC),
                pickup_point_id=2,
            ),
            order(5, 5, "paid", "1000.00", dt.datetime(2099, 1, 1, tzinfo=UTC)),  # a typo'd date
        ],
    )
    totals = order_totals(orders, points, by="customer_id", timezone="Europe/Paris", now=NOW)
    row = totals.row(0, named=True)
    assert row["order_count"] == 3  # the refund does not count, the future order is ignored
    assert row["lifetime_value_eur"] == Decimal("12.50")  # pending is not paid yet
    assert row["first_order_date"] == "2025-01-01"
    assert row["last_order_date"] == "2026-01-01"  # 23:30 UTC on Dec 31st is New Year in Paris
    assert row["last_pickup_point"] == "Gare"


def test_deals_are_mapped_and_bad_orders_quarantined() -> None:
    customers = frame("customers", [customer(1), customer(2, anonymized_at=NOW)])
    orders = frame(
        "orders",
        [
            order(10, 1),
            order(11, 1, status="cancelled"),
            order(12, 99),
            order(13, 2),
            order(14, 1, amount="-5.00"),
            order(15, 1, amount=None),
            order(16, 1, amount="2000000.00"),
            order(17, 1, status="lost_in_the_mail"),
        ],
    )
    pipeline = PipelineStages(
        object_type="deals",
        pipeline_id="p",
        label="Commandes",
        stage_ids={"picked_up": "won", "cancelled": "lost"},
    )
    frames = {
        "orders": orders,
        "customers": customers,
        "companies": EMPTY["companies"],
        "pickup_points": EMPTY["pickup_points"],
    }
    payloads = build_payloads(DEALS, frames, TransformContext("Europe/Paris", pipeline))
    records = {r["source_key"]: r for r in payloads.records.iter_rows(named=True)}
    reasons = dict(payloads.quarantine.select("source_key", "reason").iter_rows())
    deal = records["10"]
    assert deal["dealname"] == "M-2026-0000010 — Jeanne Moulin"
    assert deal["amount"] == "12.50"
    assert deal["closedate"] == "2026-03-31T23:30:00.000Z"
    assert deal["deal_currency_code"] == "EUR"
    assert (deal["pipeline"], deal["dealstage"]) == ("p", "won")
    assert deal["contact_key"] == "1" and deal["company_key"] is None
    # 23:30 UTC on March 31st is April 1st in Paris: the April partition.
    assert deal["partition_key"] == "2026-04-01"
    assert records["11"]["dealstage"] == "lost"
    # An erased customer's order stays a deal, without the person: no name, no contact.
    erased = records["13"]
    assert erased["dealname"] == "M-2026-0000013 — client effacé (RGPD)"
    assert erased["contact_key"] is None and erased["amount"] == "12.50"
    assert reasons == {
        "12": "customer 99 does not exist in the App du Moulin",
        "14": "amount is negative",
        "15": "amount is missing or not a number",
        "16": "amount is above 1,000,000 EUR, surely a typo",
        "17": "unknown order status lost_in_the_mail: map it in MOULIN_DEAL_STAGES",
    }
    assert payloads.quarantine["partition_key"].null_count() == 0


def test_deal_lookups_and_order_numbers_as_the_source_gives_them() -> None:
    # A customer's id twice (the source's ids are unique: one deal per order all the
    # same, the first row's name); order numbers with a control character or blanks.
    customers = frame("customers", [customer(1), customer(1, first_name="Autre"), customer(2)])
    orders = frame(
        "orders",
        [order(10, 1, order_number="M-2026-\x000000010 "), order(11, 2, order_number="  ")],
    ).with_columns(partition_key=pl.lit("2026-03-01"))
    pipeline = PipelineStages(
        object_type="deals", pipeline_id="p", label="Commandes", stage_ids={"picked_up": "won"}
    )
    frames = {
        "orders": orders,
        "customers": customers,
        "companies": EMPTY["companies"],
        "pickup_points": EMPTY["pickup_points"],
    }
    payloads = build_payloads(DEALS, frames, TransformContext("Europe/Paris", pipeline))
    records = {r["source_key"]: r for r in payloads.records.iter_rows(named=True)}
    assert payloads.records.height == 2 and sorted(records) == ["10", "11"]
    assert records["10"]["dealname"].endswith("Jeanne Moulin")
    assert records["10"]["moulin_order_number"] == "M-2026-0000010"
    assert records["11"]["moulin_order_number"] == ""  # nothing left: no value
    # The month the orders' snapshot holds each order in (23:30 UTC on March 31st).
    assert set(payloads.records["partition_key"]) == {"2026-03-01"}


def test_payload_hashes_are_stable_and_sensitive() -> None:
    a = pl.DataFrame({"x": ["1", "2"], "y": ["a", "b"]})
    first = payload_hashes(a, ("x", "y")).to_list()
    assert first == payload_hashes(a.clone(), ("x", "y")).to_list()
    assert first[0] != first[1]
    changed = payload_hashes(a.with_columns(pl.lit("c").alias("y")), ("x", "y")).to_list()
    assert changed[0] != first[0]
    # XXH3-128 hex digests, marked:
    # independent of polars' own hashing, which may change between polars versions.
    assert all(h.startswith("xxh3:") and len(int(h[5:], 16).to_bytes(16)) == 16 for h in first)
    assert payload_hashes(a, ("x", "y")).to_list() != payload_hashes(a, ("y", "x")).to_list()


def test_payload_hashes_tell_apart_values_that_join_the_same() -> None:
    # A value holding the separator, and null next to "": encoded as JSON instead.
    tricky = pl.DataFrame(
        {"x": ["a\x1fb", "a", None, "", "a\x1fb"], "y": ["c", "b\x1fc", "", None, "c"]}
    )
    hashes = payload_hashes(tricky, ("x", "y")).to_list()
    assert len(set(hashes[:4])) == 4
    assert hashes[4] == hashes[0]
    assert hashes == [
        payload_hashes(tricky.slice(i, 1), ("x", "y")).item() for i in range(tricky.height)
    ]


def test_the_stable_hash_is_xxh3_128_as_specified() -> None:
    texts = pl.DataFrame({"t": ["", None]}, schema={"t": pl.String})
    # XXH3-128 of no bytes (seed 0), as xxHash's own tests and `xxh128_hexdigest` give it.
    assert texts.select(stable_hash(pl.col("t"))).to_series().to_list() == [
        "xxh3:99aa06d3014798d86001c324468d497f",
        None,
    ]


# What a payload of each stream hashes to, as the state stores of earlier releases hold
# it: a change of property names or order would re-send every record once.
STORED_HASHES = {
    "contacts": "xxh3:7bf40928d3010609c0273750d19bc127",
    "companies": "xxh3:3f682e2b2a140d73727075b4931107c0",
    "deals": "xxh3:b0506d22d2c9f2fc86f38e0bdf272069",
}


@pytest.mark.parametrize("spec", [CONTACTS, COMPANIES, DEALS], ids=lambda s: s.name)
def test_a_payload_hashes_as_the_state_store_holds_it(spec) -> None:
    row = pl.DataFrame({name: [f"{name} value"] for name in spec.property_names})
    assert payload_hashes(row, spec.property_names).item() == STORED_HASHES[spec.name]
