"""The bad-input corpus: the generator's dirt plus adversarial values written into the source.

`plant()` adds customers, companies, company contacts and orders to an App du Moulin
(SQLite) — each either *bad* (must be quarantined, with a reason a person understands)
or *good but unusual* (must land in HubSpot with exactly the expected values). Corpus
records only link to corpus records, so nothing that was already in HubSpot has a
reason to change. `run_corpus()` syncs before and after planting and checks all of it,
plus the generator's own dirt.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from moulin_sync.hubspot.sync.state import REJECTED, SyncState
from moulin_sync.sources.app_du_moulin import quality
from moulin_sync.sources.app_du_moulin.reader import SourceReader
from moulin_sync.testing.reliability.harness import TODAY, World
from moulin_sync.testing.reliability.oracle import HubSpotImage, capture, compare

LONG = "x" * 70_000
WHEN = "2026-07-15 10:00:00"  # inside the synced months (July 2026, Paris)
PAID = "2026-07-15 10:05:00"

# Names in every script (first, last): each must land exactly as written.
SCRIPTS: tuple[tuple[str, str, str], ...] = (
    ("Greek", "Αλέξανδρος", "Παπαδόπουλος"),
    ("Cyrillic", "Дмитрий", "Шостакович"),
    ("Arabic", "محمد", "الأمين"),
    ("Hebrew", "דוד", "בן־גוריון"),
    ("Devanagari", "अमिताभ", "बच्चन"),
    ("Bengali", "রবীন্দ্রনাথ", "ঠাকুর"),
    ("Tamil", "முத்து", "சாமி"),
    ("Sinhala", "කමල්", "පෙරේරා"),
    ("Thai", "สมชาย", "ใจดี"),
    ("Khmer", "សុខា", "ចាន់"),
    ("Han", "小明", "王"),
    ("Japanese", "太郎", "山田"),
    ("Hangul", "민준", "김"),
    ("Georgian", "გიორგი", "ბერიძე"),
    ("Armenian", "Արամ", "Խաչատրյան"),
    ("Ethiopic", "አበበ", "ቢቂላ"),
    ("Cherokee", "ᏣᎳᎩ", "ᎠᏂᏴᏫᏯ"),
    ("Tifinagh", "ⵜⴰⵎⴰⵣⵉⵖⵜ", "ⴰⵎⵓⵔ"),
    ("Mongolian Cyrillic", "Бат-Эрдэнэ", "Болд"),
    ("Vietnamese", "Văn Ánh", "Nguyễn"),
    ("Turkish", "İsmail", "Çağlar"),
    ("Polish", "Łukasz", "Żółć"),
    ("Icelandic", "Þórður", "Guðmundsson"),
    ("combining marks", "Zoe\u0301", "Le\u0301ger"),
    ("emoji and ZWJ", "Zoé 🌾", "👩\u200d🌾 Meunière"),
    ("bidi marks", "\u200fנועה", "\u202bכהן\u202c"),
)


@dataclass(frozen=True)
class Input:
    kind: str  # contacts, companies, deals, orders outside history
    key: str
    what: str
    # bad: words the quarantine reason must contain; good: the HubSpot values it must
    # carry (None: the property must be empty)
    reason: tuple[str, ...] = ()
    expect: dict[str, str | None] = field(default_factory=dict)


def _customer(
    i: int,
    email: str | None,
    first: str = "Corpus",
    last: str = "Test",
    *,
    phone: str | None = None,
    address: str | None = "1 rue du Moulin",
    city: str | None = "Lyon",
    created: str = "2024-03-01 09:00:00",
    notes: str | None = None,
    deleted: str | None = None,
) -> tuple[Any, ...]:
    return (
        i, email, first, last, phone, address, "69001", city, created, created, 1, None,
        notes, deleted, None,
    )  # fmt: skip


def _order(
    i: int,
    customer: int,
    *,
    amount: Any = 25.5,
    status: str = "paid",
    channel: str = "web",
    when: str = WHEN,
    paid: str | None = PAID,
    company: int | None = None,
    number: str | None = None,
    notes: str | None = None,
) -> tuple[Any, ...]:
    return (
        i, number or f"RELI-{i}", customer, company, when, paid, status, amount, channel, None,
        notes, when, when,
    )  # fmt: skip


def plant(source: Path) -> list[tuple[Input, bool]]:
    """Write the corpus into the SQLite source; (input, bad?) for each."""
    customers: list[tuple[Any, ...]] = []
    companies: list[tuple[Any, ...]] = []
    links: list[tuple[Any, ...]] = []
    orders: list[tuple[Any, ...]] = []
    inputs: list[tuple[Input, bool]] = []

    def good(kind: str, key: int, what: str, **expect: str | None) -> None:
        inputs.append((Input(kind, str(key), what, expect=expect), False))

    def bad(kind: str, key: int, what: str, *reason: str) -> None:
        inputs.append((Input(kind, str(key), what, reason=reason), True))

    # Contacts that must land ------------------------------------------------------------
    sql_name = "Robert'); DROP TABLE customers;--"
    customers.append(_customer(900_001, "bobby.tables@example.com", sql_name, "O'Brien"))
    good("contacts", 900_001, "SQL in a name", firstname=sql_name, lastname="O'Brien")
    for i, email in enumerate(
        (
            "jean+moulin@example.fr",
            "jean@exemple.café",
            "hans@münchen.de",
            "x@xn--mnchen-3ya.de",
            "o'brien@example.ie",
            "prenom.nom+tag@sous.domaine.example.co.uk",
        ),
        start=900_002,
    ):
        customers.append(_customer(i, email))
        good("contacts", i, f"unusual but valid email {email}", email=email)
    customers.append(_customer(900_010, "  Marie.CURIE@Example.FR "))
    good("contacts", 900_010, "email with spaces and capitals", email="marie.curie@example.fr")
    customers.append(
        _customer(
            900_011, "ctrl@example.fr", "Jean\x00Pierre", "Du\x07pont\x1b",
            address="12 rue du Moulin\x00\x7f", city="\x0bVienne\x00",
        )
    )  # fmt: skip
    good(
        "contacts", 900_011, "NUL and control characters in names and address",
        firstname="JeanPierre", lastname="Dupont", address="12 rue du Moulin", city="Vienne",
    )  # fmt: skip
    customers.append(_customer(900_012, "old@example.fr", created="1900-01-01 12:00:00"))
    good("contacts", 900_012, "customer since 1900", moulin_customer_since="1900-01-01")
    customers.append(_customer(900_013, "future@example.fr", created="2100-06-15 12:00:00"))
    good("contacts", 900_013, "customer since 2100", moulin_customer_since="2100-06-15")
    for i, phone in enumerate(
        ("06 12", "+33 6 12 34 56 78 90 12 34", "not a phone'; DROP TABLE--", "☎ 06-12"),
        start=900_014,
    ):
        customers.append(_customer(i, f"phone{i}@example.fr", phone=phone))
        good("contacts", i, f"malformed phone {phone!r} (dropped, contact kept)", phone=None)
    customers.append(_customer(900_018, "intl@example.fr", phone="0033 6 12 34 56 78"))
    good("contacts", 900_018, "phone in 0033 form", phone="+33612345678")
    customers.append(_customer(900_019, "notes@example.fr", notes=LONG))
    good("contacts", 900_019, "70,000-character notes (not synced)", email="notes@example.fr")
    for n, (script, first, last) in enumerate(SCRIPTS):
        i = 900_030 + n
        customers.append(_customer(i, f"script{n}@example.org", first, last))
        good("contacts", i, f"name in {script}", firstname=first.strip(), lastname=last.strip())

    # Contacts whose email cannot be theirs: contacts without it, flagged why -------------
    for i, email, issue in (
        (900_101, "jean@@exemple.fr", "invalid"),
        (900_102, "jean.dupont", "invalid"),
        (900_103, "'; DROP TABLE customers;--", "invalid"),
        (900_104, None, "missing"),
        (900_105, "   ", "missing"),
        (900_106, "a" * 250 + "@exemple.fr", "invalid"),
        (900_107, "\x00\x01@\x02", "invalid"),
        (900_108, "jean\x00@exemple.fr", "invalid"),
        (900_109, "δοκιμή@παράδειγμα.δοκιμή", "invalid"),  # ours takes it, HubSpot does not
        (900_110, "a@x_y.fr", "invalid"),
    ):
        customers.append(_customer(i, email))
        good("contacts", i, f"email {email!r}: without it", email=None, moulin_email_issue=issue)

    # Contacts that must be quarantined --------------------------------------------------
    customers.append(_customer(900_111, "addr@example.fr", address=LONG))
    bad("contacts", 900_111, "70,000-character address", "address", "65,536")
    customers.append(_customer(900_112, "first@example.fr", first=LONG))
    bad("contacts", 900_112, "70,000-character first name", "firstname", "65,536")
    customers.append(_customer(900_113, "city@example.fr", city=LONG))
    bad("contacts", 900_113, "70,000-character city", "city", "65,536")
    customers.append(_customer(900_120, "gone@example.fr", deleted="2026-01-01 00:00:00"))

    # Companies ---------------------------------------------------------------------------
    def company(i: int, name: str, siret: str | None = "73282932000074") -> tuple[Any, ...]:
        return (i, name, siret, "FR44732829320", "Boulangerie", "2 rue X", "69002", "Lyon",
                "2024-01-01 00:00:00", "2024-01-01 00:00:00")  # fmt: skip

    sql_company = "L'Épi d'Or'); DROP TABLE companies;--"
    companies.append(company(90_001, sql_company))
    good("companies", 90_001, "SQL in a company name", name=sql_company)
    companies.append(company(90_002, "株式会社 風車"))
    good("companies", 90_002, "company name in Japanese", name="株式会社 風車")
    companies.append(company(90_003, "Müller & Söhne GmbH\x00"))
    good("companies", 90_003, "NUL in a company name", name="Müller & Söhne GmbH")
    for i, name, siret, reason in (
        (90_101, "   ", None, ("no name",)),
        (90_102, "\x00\x07", None, ("no name",)),
        (90_103, "M" * 70_000, None, ("name", "65,536")),
        (90_104, "Siret Court", "12345", ("moulin_siret", "12345")),
        (90_105, "Siret Injecté", "7328293200007'; --", ("moulin_siret",)),
    ):
        companies.append(company(i, name, siret))
        bad("companies", i, f"company name {name[:20]!r} siret {siret!r}", *reason)
    customers.append(_customer(900_200, "b2b@example.fr", "Gérante", "B2B"))
    good("contacts", 900_200, "B2B contact of a corpus company", moulin_customer_type="B2B")
    links.append((900_200, 90_001, "Gérante'); --", WHEN, WHEN))

    # Orders (deals) that must land ---------------------------------------------------------
    sql_number = "CMD-'; DROP TABLE orders;--"
    orders.append(_order(9_000_001, 900_001, amount=12.34, number=sql_number))
    good("deals", 9_000_001, "SQL in an order number", moulin_order_number=sql_number,
         amount="12.34")  # fmt: skip
    orders.append(_order(9_000_002, 900_001, amount=0))
    good("deals", 9_000_002, "amount 0", amount="0.00")
    orders.append(_order(9_000_003, 900_001, amount=999_999.99))
    good("deals", 9_000_003, "amount 999,999.99", amount="999999.99")
    orders.append(_order(9_000_004, 900_001, paid="2100-01-01 00:00:00"))
    good("deals", 9_000_004, "paid in 2100", moulin_paid_at="2100-01-01T00:00:00.000Z")
    orders.append(_order(9_000_005, 900_001, notes=LONG))
    good("deals", 9_000_005, "70,000-character notes", moulin_order_status="paid")
    orders.append(_order(9_000_006, 900_200, amount=250, company=90_001, channel="b2b"))
    good("deals", 9_000_006, "B2B order", moulin_customer_type="B2B", amount="250.00")
    orders.append(_order(9_000_007, 900_030, amount=7.5))
    good("deals", 9_000_007, "order of a customer named in Greek", amount="7.50")

    # Orders that must be quarantined ---------------------------------------------------------
    # Bad amounts, all on one customer (who must land, as a contact, untouched by them).
    customers.append(_customer(900_021, "amounts@example.fr"))
    for i, kwargs, reason in (
        (9_000_101, {"amount": -12.5}, ("amount is negative",)),
        (9_000_102, {"amount": 1e12}, ("amount", "1,000,000")),
        (9_000_103, {"amount": "NaN"}, ("amount", "not a number")),
        (9_000_104, {"amount": float("inf")}, ("amount", "not a number")),
        (9_000_105, {"amount": "douze euros"}, ("amount", "not a number")),
        (9_000_106, {"amount": 9e15}, ("amount", "1,000,000")),
    ):
        orders.append(_order(i, 900_021, **kwargs))
        bad("deals", i, f"order with {kwargs}", *reason)
    good("contacts", 900_021, "customer whose orders all have bad amounts",
         email="amounts@example.fr")  # fmt: skip
    for i, kwargs, reason in (
        (9_000_108, {"status": "lost_in_space"}, ("unknown order status", "lost_in_space")),
        (9_000_109, {"channel": "fax"}, ("moulin_channel", "fax")),
    ):
        orders.append(_order(i, 900_002, **kwargs))
        bad("deals", i, f"order with {kwargs}", *reason)
    orders.append(_order(9_000_110, 987_654_321))
    bad("deals", 9_000_110, "order of a customer that does not exist", "987654321",
        "does not exist")  # fmt: skip
    orders.append(_order(9_000_111, 900_120))
    good("deals", 9_000_111, "order of an erased customer: a deal without the person",
         dealname="RELI-9000111 — client effacé (RGPD)")  # fmt: skip
    orders.append(_order(9_000_112, 900_101))
    good("deals", 9_000_112, "order of a customer without a usable email", amount="25.50")
    orders.append(_order(9_000_116, 900_113, amount=12, company=90_001, channel="b2b"))
    good("deals", 9_000_116, "B2B order of a quarantined person: on its company",
         moulin_customer_type="B2B")  # fmt: skip
    orders.append(_order(9_000_117, 900_113))
    bad("deals", 9_000_117, "B2C order of a quarantined customer", "waiting")
    orders.append(_order(9_000_113, 900_002, when="2026-07-32 25:61:00"))
    bad("deals", 9_000_113, "order dated 2026-07-32 25:61", "date")
    for i, when in ((9_000_114, "1900-01-01 09:00:00"), (9_000_115, "2100-01-01 09:00:00")):
        orders.append(_order(i, 900_002, when=when))
        bad("orders outside history", i, f"order dated {when[:4]}", "outside")

    with sqlite3.connect(source) as connection:
        connection.executemany(f"INSERT INTO customers VALUES ({', '.join('?' * 15)})", customers)
        connection.executemany(f"INSERT INTO companies VALUES ({', '.join('?' * 10)})", companies)
        connection.executemany("INSERT INTO company_contacts VALUES (?, ?, ?, ?, ?)", links)
        connection.executemany(f"INSERT INTO orders VALUES ({', '.join('?' * 13)})", orders)
    return inputs


# Running it --------------------------------------------------------------------------------


@dataclass
class CorpusReport:
    bad_tried: int = 0
    bad_quarantined: int = 0
    good_tried: int = 0
    good_landed: int = 0
    lost: int = 0  # inputs neither in HubSpot nor quarantined, good inputs missing
    wrong: int = 0  # bad inputs in HubSpot, good ones with wrong values, others changed
    problems: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)  # "kind key" → reason seen
    # "contacts key" → the warning of a contact written without its email, HubSpot's first
    warnings: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def _rejections(state_url: str) -> dict[str, dict[str, str]]:
    store = SyncState(state_url)
    try:
        return {
            t: dict(
                store.load(t)
                .filter(pl.col("status") == REJECTED)
                .select("source_key", "last_error")
                .iter_rows()
            )
            for t in ("contacts", "companies", "deals")
        }
    finally:
        store.close()


def _generator_dirt(source_url: str, image: HubSpotImage) -> tuple[int, list[str]]:
    """The generator's dirty emails, found in the source with the quality rules: each
    such customer a contact without email, flagged why. (rows checked, problems)"""
    reader = SourceReader(source_url)
    customers = reader.read_table("customers")
    flagged = {
        str(customer_id): "missing" if reason == quality.MISSING_EMAIL else "invalid"
        for customer_id, reason in quality.invalid_emails(customers)
        .select("id", "reason")
        .iter_rows()
    }
    for ids in quality.duplicate_emails(customers)["customer_ids"].to_list():
        flagged |= {str(other): "shared" for other in quality.oldest_first(customers, ids)[1:]}
    problems = []
    for key, issue in flagged.items():
        found = image.records["contacts"].get(key, [])
        held = json.loads(found[0])["properties"] if found else {}
        if held.get("email") or held.get("moulin_email_issue") != issue:
            problems.append(
                f"dirt: customer {key} ({issue} email) is in HubSpot as "
                f"{ {k: held.get(k) for k in ('email', 'moulin_email_issue')} if found else 'nothing' }"
            )
    return len(flagged), problems


def run_corpus(world: World, image_before: HubSpotImage | None = None) -> CorpusReport:
    """Sync a dirty source, plant the corpus, sync again; check every input and that
    nothing else changed. `world.source_url` is copied, never modified."""
    started = time.monotonic()
    report = CorpusReport()
    run = world.run_dir("corpus")
    source = run / "app.db"
    shutil.copy(world.source_url.removeprefix("sqlite:///"), source)
    corpus_world = World(run, f"sqlite:///{source}", world.hubspot, world.months)
    corpus_world.reset_hubspot()
    first = corpus_world.materialize(run)
    if not first.ok:
        report.problems.append(f"the sync before the corpus failed: {first.failure_text()}")
    before = capture(world.hubspot)
    inputs = plant(source)
    second = corpus_world.materialize(run)
    if not second.ok:
        report.problems.append(f"the sync of the corpus failed: {second.failure_text()}")
    after = capture(world.hubspot)
    rejected = _rejections(World.state_url(run))
    for row in getattr(second.metadata.get("hubspot/contacts", {}).get("warnings"), "records", []):
        report.warnings[f"contacts {row.data['source_key']}"] = row.data["reason"]
    # Orders dated outside the history fall in no partition: the source check reports them.
    check = "check:orders_are_dated_within_history"
    reported = second.metadata.get(check, {}).get("orders_outside_history", 0) - (
        first.metadata.get(check, {}).get("orders_outside_history", 0)
    )
    outside = [i for i, _ in inputs if i.kind == "orders outside history"]

    for item, is_bad in inputs:
        label = f"{item.kind} {item.key} ({item.what})"
        if is_bad:
            report.bad_tried += 1
            if item.kind == "orders outside history":
                landed = item.key in after.records["deals"]
                reason = (
                    "reported by orders_are_dated_within_history: outside the history"
                    if reported == len(outside)
                    else ""
                )
            else:
                landed = item.key in after.records[item.kind]
                reason = rejected[item.kind].get(item.key, "")
            report.reasons[f"{item.kind} {item.key}"] = reason
            missing = [w for w in item.reason if w.lower() not in reason.lower()]
            if landed:
                report.wrong += 1
                report.problems.append(f"bad input landed in HubSpot: {label}")
            elif not reason:
                report.lost += 1
                report.problems.append(f"bad input neither in HubSpot nor quarantined: {label}")
            elif missing:
                report.problems.append(f"{label}: reason {reason!r} lacks {missing}")
            else:
                report.bad_quarantined += 1
            continue
        report.good_tried += 1
        found = after.records[item.kind].get(item.key, [])
        if len(found) != 1:
            report.lost += not found
            report.wrong += len(found) > 1
            why = rejected[item.kind].get(item.key)
            report.problems.append(
                f"good input {label}: {len(found)} records in HubSpot"
                + (f" (quarantined: {why})" if why else "")
            )
            continue
        properties = json.loads(found[0])["properties"]
        wrong = {
            name: (value, properties.get(name))
            for name, value in item.expect.items()
            if properties.get(name) != value
        }
        if wrong:
            report.wrong += 1
            report.problems.append(f"good input {label}: expected vs HubSpot {wrong}")
        else:
            report.good_landed += 1

    # Nothing else changed: what HubSpot held before the corpus is untouched.
    corpus_keys = {t: {i.key for i, _ in inputs if i.kind == t} for t in after.records}
    untouched = HubSpotImage(
        records={
            t: {k: v for k, v in by_key.items() if k not in corpus_keys[t]}
            for t, by_key in after.records.items()
        },
        ids=after.ids,
        keyless=after.keyless,
        archived=after.archived,
        pipelines=after.pipelines,
    )
    drift = compare(before, untouched)
    if not drift.clean:
        report.lost += drift.lost
        report.wrong += drift.duplicates + drift.extra + drift.mismatched
        report.problems.append("records outside the corpus changed: " + drift.describe(6))

    dirt_checked, dirt_problems = _generator_dirt(world.source_url, after)
    report.good_tried += dirt_checked
    report.good_landed += dirt_checked - len(dirt_problems)
    report.problems += dirt_problems

    # Probes: bad amounts must not reach a contact's totals, nor stop everyone's sync.
    amounts = after.records["contacts"].get("900021", [])
    if amounts:
        value = json.loads(amounts[0])["properties"].get("moulin_lifetime_value_eur")
        if value not in (None, "0.00", "0"):
            report.wrong += 1
            report.problems.append(
                f"contacts 900021: lifetime value counts amounts its deals quarantine ({value})"
            )
    with sqlite3.connect(source) as connection:
        connection.execute(
            f"INSERT INTO orders VALUES ({', '.join('?' * 13)})",
            _order(9_000_107, 900_021, amount=9e15),
        )
    report.bad_tried += 1
    third = corpus_world.materialize(run)
    reason = _rejections(World.state_url(run))["deals"].get("9000107", "")
    if not third.ok:
        report.problems.append(
            f"a second 9e15 EUR order: the sync stopped on one customer's totals: "
            f"{third.failure_text()[:300]}"
        )
    elif "1,000,000" not in reason:
        report.problems.append(f"deals 9000107 (a second 9e15 EUR order) quarantined as {reason!r}")
    else:
        report.bad_quarantined += 1
    report.seconds = time.monotonic() - started
    return report


__all__ = ["TODAY", "CorpusReport", "plant", "run_corpus"]
