"""Deterministic generator of a realistic (and, on request, realistically dirty) App du Moulin.

`generate()` fills the five source tables of `moulin_sync.sources.app_du_moulin.schema` at a SQLite
or PostgreSQL URL. Same arguments (including `today`) give the same database: byte
for byte for SQLite, row for row for PostgreSQL.

How it stays deterministic: every table samples its own `random.Random` stream,
seeded from `(seed, table name)`; nothing reads the clock except the default for
`today`; rows are written in a fixed order.

How it stays fast (1,000,000 orders in well under a minute): rows are plain tuples
built in Python lists, timestamps are integer epoch seconds formatted through
precomputed day and time-of-day strings, SQLite is loaded with `executemany` in one
transaction with the journal off and indexes built afterwards, PostgreSQL with COPY.

Dirt (`dirty_rate` > 0): each kind listed in `DIRT_KINDS` is injected into about
`dirty_rate` of the rows of its table (at least one when the table is big enough),
except 70,000-character notes, capped at `LONG_NOTE_CAP` rows per table so the
database stays a sensible size. The summary counts what was actually injected.
"""

from __future__ import annotations

import io
import queue
import random
import sqlite3
import threading
import time
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import accumulate
from math import log
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from sqlalchemy import inspect, text
from sqlalchemy.engine import URL

from moulin_sync.demo_data import vocab
from moulin_sync.sources.app_du_moulin.schema import (
    TABLE_NAMES,
    index_statements,
    make_engine,
    metadata,
    normalize_url,
    table_statements,
)

HISTORY_START: Final[date] = date(2019, 1, 1)
"""First day with orders."""
CUSTOMERS_START: Final[date] = date(2018, 1, 1)
"""First day with customer accounts (the shop opened before the order history starts)."""
APP_LAUNCH: Final[date] = date(2020, 6, 2)
"""The mobile app exists from this day: no `app` orders before."""
LONG_NOTE_CAP: Final[int] = 25
"""At most this many 70,000-character notes per table, whatever the dirty rate."""
MAX_DIRTY_RATE: Final[float] = 0.1
"""Above this the exclusive customer dirt kinds no longer fit in the table."""
ORDER_CHUNK: Final[int] = 50_000

DIRT_KINDS: Final[tuple[str, ...]] = (
    "invalid_email",
    "null_email",
    "empty_email",
    "duplicate_email",
    "email_case_or_whitespace_variant",
    "deleted_customer",
    "anonymized_customer",
    "exotic_name",
    "long_customer_note",
    "orders_of_deleted_customers",
    "orders_of_anonymized_customers",
    "orphan_order",
    "far_future_order",
    "long_order_note",
)
"""Every kind of dirt, as counted in `GenerationSummary.dirt`. See docs/source-schema.md."""

_DAY: Final[int] = 86_400


@dataclass(frozen=True)
class GenerationSummary:
    """What `generate()` wrote."""

    url: str
    """Target URL, password hidden."""
    seed: int
    today: date
    dirty_rate: float
    rows: dict[str, int]
    """Rows written per table, in `TABLE_NAMES` order."""
    dirt: dict[str, int]
    """Rows carrying each kind of dirt, in `DIRT_KINDS` order (all zero when clean)."""
    elapsed_seconds: float


class GeneratorError(Exception):
    """A refusal or bad argument, with a message meant for the person at the terminal."""


def _epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _fmt_any(ts: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))


class _Clock:
    """Formats epoch seconds as SQLite timestamps without a datetime per value.

    A timestamp is `day_prefix[day] + hms[second of day]`: two list lookups and a
    concatenation, several times faster than strftime in the million-row loops.
    """

    def __init__(self, today: date) -> None:
        self.first_day = _epoch(CUSTOMERS_START) // _DAY
        last_day = _epoch(today) // _DAY
        self.day_prefix: list[str] = [
            (CUSTOMERS_START + timedelta(days=i)).isoformat() + " "
            for i in range(last_day - self.first_day + 1)
        ]
        self.hms: list[str] = [
            f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)
        ]

    def fmt(self, ts: int) -> str:
        index = ts // _DAY - self.first_day
        if 0 <= index < len(self.day_prefix):
            return self.day_prefix[index] + self.hms[ts % _DAY]
        return _fmt_any(ts)


# --------------------------------------------------------------------------- checks


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum used by SIREN and SIRET numbers."""
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def luhn_complete(payload: str) -> str:
    """`payload` followed by the one digit that makes it Luhn-valid."""
    for digit in "0123456789":
        if luhn_valid(payload + digit):
            return payload + digit
    raise AssertionError("unreachable: one of ten digits always completes a Luhn number")


def vat_number_from_siren(siren: str) -> str:
    """French intra-EU VAT number: `FR` + key + SIREN, key = (12 + 3 × (SIREN mod 97)) mod 97."""
    key = (12 + 3 * (int(siren) % 97)) % 97
    return f"FR{key:02d}{siren}"


# ------------------------------------------------------------------ vocab helpers


@cache
def _ascii_slug(value: str) -> str:
    """Lower-case ASCII letters, digits and hyphens: the name part of an email."""
    plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    slug = "".join(c if c.isalnum() or c == "-" else "" for c in plain.replace(" ", "-"))
    return slug.strip("-") or "client"


def _cum_weights(weights: Sequence[float]) -> list[float]:
    return list(accumulate(weights))


_MONTH_FACTOR: Final[tuple[float, ...]] = (
    0.0,  # no month 0
    0.90,
    0.88,
    0.98,
    1.05,
    1.00,
    0.93,
    0.78,
    0.52,  # August: the mill's customers are on holiday
    1.00,
    1.06,
    1.35,
    1.65,  # December: Christmas baking
)
_WEEKDAY_FACTOR: Final[tuple[float, ...]] = (0.95, 0.9, 1.0, 1.0, 1.15, 1.45, 0.55)
_YEARLY_GROWTH: Final[float] = 1.28


def _day_weights(first: date, last: date) -> tuple[list[int], list[float]]:
    """Epoch day numbers from `first` to `last` and cumulative seasonal weights."""
    days: list[int] = []
    weights: list[float] = []
    first_epoch_day = _epoch(first) // _DAY
    current = first
    while current <= last:
        years = (current - HISTORY_START).days / 365.25
        weights.append(
            _YEARLY_GROWTH**years
            * _MONTH_FACTOR[current.month]
            * _WEEKDAY_FACTOR[current.weekday()]
        )
        days.append(first_epoch_day + len(days))
        current += timedelta(days=1)
    return days, _cum_weights(weights)


# Opening hours: orders mostly between 7:00 and 22:00 UTC.
_HOURS: Final[tuple[int, ...]] = tuple(range(24))
_HOUR_CUM: Final[list[float]] = _cum_weights(
    (1, 0.5, 0.3, 0.2, 0.3, 1, 4, 7, 9, 9, 8, 7, 8, 7, 6, 6, 7, 8, 9, 8, 6, 4, 3, 2)
)

_MOBILE_06: Final[tuple[str, ...]] = ("60", "61", "62", "64", "65", "66", "67", "68")
_MOBILE_07: Final[tuple[str, ...]] = ("73", "74", "75", "76", "77", "78")
_LANDLINE_04: Final[tuple[str, ...]] = ("472", "478", "437", "426", "481", "477", "474", "450")
_LANDLINE_OTHER: Final[tuple[str, ...]] = (
    "142",
    "143",
    "145",
    "240",
    "299",
    "320",
    "388",
    "556",
    "561",
    "950",
    "972",
)

_PHONE_FORMATS: Final[tuple[Callable[[str], str], ...]] = (
    # d is the 9 national digits after the leading 0, e.g. "612345678".
    lambda d: f"0{d[0]} {d[1:3]} {d[3:5]} {d[5:7]} {d[7:9]}",
    lambda d: f"0{d}",
    lambda d: f"+33 {d[0]} {d[1:3]} {d[3:5]} {d[5:7]} {d[7:9]}",
    lambda d: f"+33{d}",
    lambda d: f"0{d[0]}.{d[1:3]}.{d[3:5]}.{d[5:7]}.{d[7:9]}",
    lambda d: f"0{d[0]}-{d[1:3]}-{d[3:5]}-{d[5:7]}-{d[7:9]}",
)
_PHONE_FORMAT_CUM: Final[list[float]] = _cum_weights((40, 25, 12, 13, 8, 2))


# -------------------------------------------------------------- generated model


@dataclass
class _Customers:
    """Customers as columns (lists), so 100,000 of them stay cheap."""

    first: list[str | None] = field(default_factory=list)
    last: list[str | None] = field(default_factory=list)
    email: list[str | None] = field(default_factory=list)
    phone: list[str | None] = field(default_factory=list)
    address: list[str | None] = field(default_factory=list)
    postcode: list[str | None] = field(default_factory=list)
    city: list[str | None] = field(default_factory=list)
    created: list[int] = field(default_factory=list)
    profile_updated: list[int] = field(default_factory=list)
    consent: list[int] = field(default_factory=list)
    notes: list[str | None] = field(default_factory=list)
    preferred_pp: list[int] = field(default_factory=list)
    local: list[bool] = field(default_factory=list)
    # Filled while generating orders (index = customer index, -1 = none yet).
    last_pp: list[int] = field(default_factory=list)
    last_pp_ts: list[int] = field(default_factory=list)
    last_order_ts: list[int] = field(default_factory=list)
    deleted: set[int] = field(default_factory=set)
    anonymized: set[int] = field(default_factory=set)


class _Progress(AbstractContextManager["_Progress"]):
    """A rich progress bar on stderr, or nothing."""

    def __init__(self, enabled: bool) -> None:
        self._progress: Any = None
        if enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description:<28}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
            )
        self._task: Any = None

    def __enter__(self) -> _Progress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def phase(self, description: str, total: int) -> None:
        if self._progress is not None:
            if self._task is not None:
                self._progress.update(self._task, completed=self._progress.tasks[-1].total)
            self._task = self._progress.add_task(description, total=max(total, 1))

    def advance(self, amount: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, amount)

    def done(self) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=self._progress.tasks[-1].total)


class _Generator:
    """Builds every table's rows. One instance per `generate()` call."""

    def __init__(
        self,
        *,
        customers: int,
        companies: int,
        orders: int,
        seed: int,
        dirty_rate: float,
        today: date,
    ) -> None:
        self.n_customers = customers
        self.n_companies = companies
        self.n_orders = orders
        self.seed = seed
        self.dirty_rate = dirty_rate
        self.today = today
        self.now = _epoch(today) + _DAY - 1  # the generated world ends at today 23:59:59 UTC
        self.clock = _Clock(today)
        self.dirt: dict[str, int] = dict.fromkeys(DIRT_KINDS, 0)
        self.customers = _Customers()
        # Pickup points: index -> closing epoch (a large value when still open).
        self.pp_city: list[str] = []
        self.pp_closed_at: list[int] = []
        self.open_pps: list[int] = []
        # Companies: index -> contacts as (eligible-from epoch, customer index), sorted.
        self.company_contact_times: list[list[int]] = []
        self.company_contact_customers: list[list[int]] = []
        self.company_weight_cum: list[float] = []
        self._company_rows_base: list[tuple[Any, ...]] = []
        self._contact_rows: list[tuple[Any, ...]] = []
        self.contact_of: set[int] = set()

    def _rng(self, table: str) -> random.Random:
        # str seeds are hashed with SHA-512 by random.seed: stable across runs and
        # independent of PYTHONHASHSEED.
        return random.Random(f"moulin-demo:{self.seed}:{table}")

    def _dirty_count(self, rows: int) -> int:
        if self.dirty_rate <= 0 or rows <= 0:
            return 0
        return max(1, round(self.dirty_rate * rows))

    def _timestamp_between(self, rng: random.Random, low: int, high: int) -> int:
        return low if high <= low else low + int(rng.random() * (high - low))

    # -------------------------------------------------------------- pickup points

    def pickup_point_rows(self) -> list[tuple[Any, ...]]:
        rng = self._rng("pickup_points")
        count = min(40, max(10, self.n_customers // 2_500))
        pp_cities = [c for c in vocab.CITIES if c[3]]
        city_cum = _cum_weights([c[2] for c in pp_cities])
        start = _epoch(CUSTOMERS_START)
        first_order = _epoch(HISTORY_START)
        rows: list[tuple[Any, ...]] = []
        for index in range(count):
            city, postcode, _, _ = rng.choices(pp_cities, cum_weights=city_cum)[0]
            host = rng.choice(vocab.PICKUP_HOSTS).format(
                last=rng.choice(vocab.LAST_NAMES),
                first=rng.choice(vocab.FIRST_NAMES_FEMALE + vocab.FIRST_NAMES_MALE),
                city=city.split(" ")[0],
            )
            created = self._timestamp_between(rng, start, first_order)
            # The first few stay open so there is always somewhere to pick up.
            closes = index >= 3 and rng.random() < 0.15
            if closes:
                closed_at = self._timestamp_between(
                    rng,
                    _epoch(date(2020, 1, 1)),
                    max(_epoch(date(2020, 1, 2)), self.now - 30 * _DAY),
                )
                updated = closed_at
            else:
                closed_at = 1 << 62
                updated = (
                    self._timestamp_between(rng, created, self.now)
                    if rng.random() < 0.4
                    else created
                )
                self.open_pps.append(index)
            self.pp_city.append(city)
            self.pp_closed_at.append(closed_at)
            rows.append(
                (
                    index + 1,
                    f"Point retrait — {host}, {city}",
                    self._street(rng),
                    postcode,
                    city,
                    0 if closes else 1,
                    self.clock.fmt(created),
                    self.clock.fmt(updated),
                )
            )
        return rows

    @staticmethod
    def _street(rng: random.Random) -> str:
        number = int(rng.random() ** 2 * 180) + 1  # low street numbers are commoner
        return (
            f"{number}{rng.choice(vocab.STREET_NUMBER_SUFFIXES)} "
            f"{rng.choice(vocab.STREET_TYPES)} {rng.choice(vocab.STREET_NAMES)}"
        )

    # ------------------------------------------------------------------ customers

    def build_customers(self, progress: _Progress) -> None:
        rng = self._rng("customers")
        rnd = rng.random
        n = self.n_customers
        c = self.customers
        progress.phase("customers (generate)", n)
        days, day_cum = _day_weights(CUSTOMERS_START, self.today)
        created = [
            d * _DAY + 25_200 + int(rnd() * 61_200)  # sign-ups between 7:00 and 24:00
            for d in rng.choices(days, cum_weights=day_cum, k=n)
        ]
        created.sort()
        # The first account predates the order history so early orders have a customer.
        if created and created[0] >= _epoch(HISTORY_START):
            created[0] = _epoch(CUSTOMERS_START) + 36_000
        c.created = created

        city_cum = _cum_weights([city[2] for city in vocab.CITIES])
        city_pps: dict[str, list[int]] = {}
        for index, city in enumerate(self.pp_city):
            city_pps.setdefault(city, []).append(index)
        all_pps = list(range(len(self.pp_city)))
        domain_names = [d for d, _ in vocab.EMAIL_DOMAINS]
        domain_cum = _cum_weights([w for _, w in vocab.EMAIL_DOMAINS])
        used_emails: set[str] = set()
        females, males, lasts = (
            vocab.FIRST_NAMES_FEMALE,
            vocab.FIRST_NAMES_MALE,
            vocab.LAST_NAMES,
        )
        for i in range(n):
            first = rng.choice(females) if rnd() < 0.53 else rng.choice(males)
            last = rng.choice(lasts)
            c.first.append(first)
            c.last.append(last)
            email = self._email(rng, first, last, domain_names, domain_cum, created[i])
            while email in used_emails:  # clean data has unique emails
                local, domain = email.split("@")
                email = f"{local}{int(rnd() * 1000)}@{domain}"
            used_emails.add(email)
            c.email.append(email)
            c.phone.append(self._phone(rng) if rnd() < 0.9 else None)
            city, postcode, _, _ = rng.choices(vocab.CITIES, cum_weights=city_cum)[0]
            c.address.append(self._street(rng))
            c.postcode.append(postcode)
            c.city.append(city)
            c.local.append(postcode[:2] in ("69", "38", "42", "01"))
            c.profile_updated.append(
                self._timestamp_between(rng, created[i], self.now) if rnd() < 0.35 else created[i]
            )
            c.consent.append(1 if rnd() < 0.6 else 0)
            c.notes.append(rng.choice(vocab.CUSTOMER_NOTES) if rnd() < 0.04 else None)
            candidates = city_pps.get(city) or all_pps
            c.preferred_pp.append(candidates[int(rnd() * len(candidates))] if candidates else -1)
            if i % 10_000 == 9_999:
                progress.advance(10_000)
        progress.done()
        c.last_pp = [-1] * n
        c.last_pp_ts = [0] * n
        c.last_order_ts = [0] * n
        self._dirty_customers(rng)

    def _email(
        self,
        rng: random.Random,
        first: str,
        last: str,
        domains: list[str],
        domain_cum: list[float],
        created: int,
    ) -> str:
        f, la = _ascii_slug(first), _ascii_slug(last)
        r = rng.random()
        if r < 0.45:
            local = f"{f}.{la}"
        elif r < 0.57:
            local = f"{f}{la}"
        elif r < 0.69:
            local = f"{f[0]}.{la}"
        elif r < 0.75:
            local = f"{f}_{la}"
        elif r < 0.83:
            local = f"{la}.{f}"
        elif r < 0.93:
            local = f"{f}.{la}{int(rng.random() * 99) + 1}"
        else:
            local = f"{f}{1950 + int(rng.random() * 55)}"
        return f"{local}@{rng.choices(domains, cum_weights=domain_cum)[0]}"

    @staticmethod
    def _phone(rng: random.Random) -> str:
        r = rng.random()
        # Mostly mobiles; landlines mostly 04 (south-east France, where the mill is).
        # Prefixes are real allocated ranges, so the numbers pass libphonenumber.
        if r < 0.5:
            prefix = rng.choice(_MOBILE_06)
        elif r < 0.7:
            prefix = rng.choice(_MOBILE_07)
        elif r < 0.9:
            prefix = rng.choice(_LANDLINE_04)
        else:
            prefix = rng.choice(_LANDLINE_OTHER)
        digits = prefix + f"{int(rng.random() * 10**9):09d}"[: 9 - len(prefix)]
        return rng.choices(_PHONE_FORMATS, cum_weights=_PHONE_FORMAT_CUM)[0](digits)

    def _dirty_customers(self, rng: random.Random) -> None:
        n = self.n_customers
        count = self._dirty_count(n)
        if count == 0:
            return
        c = self.customers
        # Exclusive kinds each take their own customers, so every count is exact.
        pool = rng.sample(range(n), min(n, 9 * count))
        slices: list[list[int]] = [pool[k * count : (k + 1) * count] for k in range(9)]
        invalid, null, empty, dup_to, dup_from, var_to, var_from, deleted, anonymized = slices
        domains = [d for d, _ in vocab.EMAIL_DOMAINS]
        used = {e for e in c.email if e}
        for i in invalid:
            local, _, domain = (c.email[i] or "x@gmail.com").partition("@")
            template = rng.choice(vocab.INVALID_EMAIL_TEMPLATES)
            value = template.format(
                local=local,
                first=_ascii_slug(c.first[i] or "jean"),
                last=_ascii_slug(c.last[i] or "dupont"),
                domain=rng.choice(domains),
                bare_domain=domain.split(".")[0],
                n=int(rng.random() * 100),
            )
            if value in used:  # keep invalid emails unique so they are not duplicates too
                value = f"{local}{len(used)}@"
            used.add(value)
            c.email[i] = value
        self.dirt["invalid_email"] = len(invalid)
        for i in null:
            c.email[i] = None
        self.dirt["null_email"] = len(null)
        for i in empty:
            c.email[i] = ""
        self.dirt["empty_email"] = len(empty)
        pairs = list(zip(dup_to, dup_from, strict=False))
        for target, source in pairs:
            c.email[target] = c.email[source]
        self.dirt["duplicate_email"] = len(pairs)
        pairs = list(zip(var_to, var_from, strict=False))
        for target, source in pairs:
            c.email[target] = self._email_variant(rng, c.email[source] or "")
        self.dirt["email_case_or_whitespace_variant"] = len(pairs)
        c.deleted = set(deleted)
        c.anonymized = set(anonymized)
        self.dirt["deleted_customer"] = len(deleted)
        self.dirt["anonymized_customer"] = len(anonymized)
        # Names and long notes are independent of the email dirt, but anonymization
        # would wipe them, so they avoid anonymized customers.
        candidates = [i for i in range(n) if i not in c.anonymized]
        for i in rng.sample(candidates, min(count, len(candidates))):
            c.first[i], c.last[i] = rng.choice(vocab.EXOTIC_NAMES)
            self.dirt["exotic_name"] += 1
        for i in rng.sample(candidates, min(count, LONG_NOTE_CAP, len(candidates))):
            c.notes[i] = vocab.LONG_NOTE
            self.dirt["long_customer_note"] += 1

    @staticmethod
    def _email_variant(rng: random.Random, email: str) -> str:
        """The same address as typed by someone else: other case, stray spaces."""
        local, _, domain = email.partition("@")
        r = rng.random()
        if r < 0.4:
            cased = ".".join(part[:1].upper() + part[1:] for part in local.split("."))
            return f" {cased}@{domain.capitalize()} "
        if r < 0.6:
            return email.upper()
        if r < 0.8:
            return f"{email} "
        return f"{local[:1].upper()}{local[1:]}@{domain}"

    # ---------------------------------------------------- companies and contacts

    def build_companies(self) -> None:
        rng = self._rng("companies")
        sectors = [s for s, _ in vocab.SECTORS]
        sector_cum = _cum_weights([w for _, w in vocab.SECTORS])
        city_cum = _cum_weights([c[2] for c in vocab.CITIES])
        sirens: set[str] = set()
        weights: list[float] = []
        for index in range(self.n_companies):
            sector = rng.choices(sectors, cum_weights=sector_cum)[0]
            city, postcode, _, _ = rng.choices(vocab.CITIES, cum_weights=city_cum)[0]
            name = rng.choice(vocab.COMPANY_NAME_TEMPLATES[sector]).format(
                last=rng.choice(vocab.LAST_NAMES),
                first=rng.choice(vocab.FIRST_NAMES_FEMALE + vocab.FIRST_NAMES_MALE),
                city=city,
            ) + rng.choice(vocab.LEGAL_FORMS)
            siren = ""
            while not siren or siren in sirens:
                # 8 digits (first one non-zero) and the Luhn check digit.
                siren = luhn_complete(str(10**7 + int(rng.random() * 9 * 10**7)))
            sirens.add(siren)
            # NIC (establishment number): 4 digits, then the SIRET check digit.
            siret = luhn_complete(siren + f"{int(rng.random() * 30) + 1:03d}0")
            r = rng.random()
            has_siret = r >= 0.05  # a few records were never completed
            public = sector in ("cantine scolaire", "crèche") and r < 0.5
            vat = vat_number_from_siren(siren) if has_siret and not public and r < 0.92 else None
            self._company_rows_base.append(
                (
                    index + 1,
                    name,
                    siret if has_siret else None,
                    vat,
                    sector,
                    self._street(rng),
                    postcode,
                    city,
                )
            )
            weights.append(rng.lognormvariate(0.0, 1.0))
        self.company_weight_cum = _cum_weights(weights)

    def build_contacts(self) -> None:
        rng = self._rng("company_contacts")
        c = self.customers
        n = self.n_customers
        erased = c.deleted | c.anonymized
        roles = [r for r, _ in vocab.CONTACT_ROLES]
        role_cum = _cum_weights([w for _, w in vocab.CONTACT_ROLES])
        for company in range(self.n_companies):
            wanted = rng.choices((1, 2, 3, 4), cum_weights=(35, 70, 90, 100))[0]
            members: list[tuple[int, int]] = []
            for _ in range(wanted):
                for _attempt in range(20):
                    candidate = int(rng.random() * n) if n else -1
                    if (
                        candidate >= 0
                        and candidate not in self.contact_of
                        and candidate not in erased
                    ):
                        break
                else:
                    continue
                self.contact_of.add(candidate)
                since = min(self.now, c.created[candidate] + int(rng.random() * 30 * _DAY))
                updated = (
                    self._timestamp_between(rng, since, self.now) if rng.random() < 0.2 else since
                )
                role = rng.choices(roles, cum_weights=role_cum)[0] if rng.random() < 0.9 else None
                self._contact_rows.append(
                    (
                        candidate + 1,
                        company + 1,
                        role,
                        self.clock.fmt(since),
                        self.clock.fmt(updated),
                    )
                )
                members.append((since, candidate))
            members.sort()
            self.company_contact_times.append([since for since, _ in members])
            self.company_contact_customers.append([customer for _, customer in members])
        # Contact rows sorted by primary key: the order a database dump would have.
        self._contact_rows.sort()

    def company_rows(self) -> list[tuple[Any, ...]]:
        rng = self._rng("companies:dates")
        rows: list[tuple[Any, ...]] = []
        for index, base in enumerate(self._company_rows_base):
            times = self.company_contact_times[index]
            if times:
                # The company record is opened just before its first contact is attached.
                created = max(_epoch(CUSTOMERS_START), times[0] - int(rng.random() * 3 * _DAY))
            else:
                created = self._timestamp_between(rng, _epoch(CUSTOMERS_START), self.now)
            updated = (
                self._timestamp_between(rng, created, self.now) if rng.random() < 0.4 else created
            )
            rows.append((*base, self.clock.fmt(created), self.clock.fmt(updated)))
        return rows

    def contact_rows(self) -> list[tuple[Any, ...]]:
        return self._contact_rows

    # --------------------------------------------------------------------- orders

    def order_chunks(self, progress: _Progress) -> Iterator[list[tuple[Any, ...]]]:
        """Orders in id order (= ordered_at order), ORDER_CHUNK rows at a time."""
        rng = self._rng("orders")
        rnd = rng.random
        total = self.n_orders
        progress.phase("orders", total)
        if total == 0:
            return
        c = self.customers
        n_customers = self.n_customers
        if n_customers == 0:
            raise GeneratorError("orders need customers: pass --customers 1 or more")
        now = self.now

        days, day_cum = _day_weights(HISTORY_START, self.today)
        hours = rng.choices(_HOURS, cum_weights=_HOUR_CUM, k=total)
        keys = [
            d * _DAY + h * 3600 + int(rnd() * 3600)
            for d, h in zip(rng.choices(days, cum_weights=day_cum, k=total), hours, strict=True)
        ]
        del hours
        keys.sort()

        # Dirt: which order indices get which kind (exclusive kinds drawn together).
        count = self._dirty_count(total)
        orphan: set[int] = set()
        far_future: set[int] = set()
        long_note: set[int] = set()
        to_deleted = -1
        if count:
            picks = rng.sample(range(total), min(total, 2 * count + 1))
            orphan = set(picks[:count])
            far_future = set(picks[count : 2 * count])
            if len(picks) > 2 * count and c.deleted:
                to_deleted = picks[2 * count]
            long_note = set(rng.sample(range(total), min(total, count, LONG_NOTE_CAP)))
        dirty = orphan | far_future | long_note | ({to_deleted} if to_deleted >= 0 else set())
        deleted_list = sorted(c.deleted)
        is_deleted = [False] * n_customers
        for i in c.deleted:
            is_deleted[i] = True
        is_anonymized = [False] * n_customers
        for i in c.anonymized:
            is_anonymized[i] = True

        # Amounts drawn from precomputed log-normal tables: one random() per order.
        b2c_amounts = [
            round(min(150.0, max(5.0, rng.lognormvariate(log(26.0), 0.65))), 2) for _ in range(8192)
        ]
        b2b_amounts = [
            round(min(3000.0, max(50.0, rng.lognormvariate(log(320.0), 0.8))), 2)
            for _ in range(8192)
        ]

        has_b2b = any(self.company_contact_times)
        b2b_share = 0.08 if has_b2b else 0.0
        company_cum = self.company_weight_cum
        company_total = company_cum[-1] if company_cum else 0.0
        last_company = len(company_cum) - 1
        contact_times = self.company_contact_times
        contact_customers = self.company_contact_customers
        created = c.created
        local = c.local
        preferred = c.preferred_pp
        last_pp, last_pp_ts, last_order_ts = c.last_pp, c.last_pp_ts, c.last_order_ts
        closed_at = self.pp_closed_at
        open_pps = self.open_pps or list(range(len(closed_at)))
        n_open = len(open_pps)
        has_pps = bool(closed_at)
        order_notes = vocab.ORDER_NOTES
        app_launch = _epoch(APP_LAUNCH)
        day_prefix = self.clock.day_prefix
        hms = self.clock.hms
        first_day = self.clock.first_day
        year_of_day = [int(p[:4]) for p in day_prefix]
        fresh = 3 * _DAY
        settled = 14 * _DAY

        deleted_orders = 0
        anonymized_orders = 0
        ptr = 0
        chunk: list[tuple[Any, ...]] = []
        for i, t in enumerate(keys):
            while ptr < n_customers and created[ptr] <= t:
                ptr += 1
            company_id = None
            cust = -1
            if b2b_share and rnd() < b2b_share and i != to_deleted:
                company = bisect_right(company_cum, rnd() * company_total, 0, last_company)
                eligible = bisect_right(contact_times[company], t)
                if eligible:
                    cust = contact_customers[company][int(rnd() * eligible)]
                    company_id = company + 1
            pp = -1
            if company_id is not None:
                channel = "b2b"
                amount = b2b_amounts[int(rnd() * 8192)]
            else:
                cust = int(rnd() * (ptr or 1))
                r = rnd()
                if t < app_launch:
                    channel = "web" if r < 0.7 else "shop"
                else:
                    channel = "web" if r < 0.45 else "app" if r < 0.8 else "shop"
                if channel != "shop" and has_pps and rnd() < (0.92 if local[cust] else 0.3):
                    pp = preferred[cust]
                    if closed_at[pp] <= t:
                        pp = open_pps[int(rnd() * n_open)]
                amount = b2c_amounts[int(rnd() * 8192)]

            # Status follows the order's age: old orders are settled, recent ones in flight.
            age = now - t
            r = rnd()
            final = "picked_up" if pp >= 0 or channel == "shop" else "delivered"
            if channel == "shop":
                status = "refunded" if r < 0.02 else "picked_up"
            elif age > settled:
                status = "cancelled" if r < 0.04 else "refunded" if r < 0.065 else final
            elif age > fresh:
                status = (
                    "cancelled"
                    if r < 0.05
                    else "refunded"
                    if r < 0.07
                    else "paid"
                    if r < 0.15
                    else "ready"
                    if r < 0.35
                    else final
                )
            else:
                status = (
                    "pending"
                    if r < 0.25
                    else "cancelled"
                    if r < 0.3
                    else "paid"
                    if r < 0.6
                    else "ready"
                    if r < 0.85
                    else final
                )

            paid: int | None
            if status == "pending":
                paid = None
                updated = t + int(rnd() * 600) if rnd() < 0.3 else t
            elif status == "cancelled":
                paid = None
                updated = t + 600 + int(rnd() * 2 * _DAY)
            else:
                if channel == "shop":
                    paid = t
                elif channel == "b2b":
                    paid = t + int(rnd() * 30 * _DAY)  # invoices are paid later
                else:
                    paid = t + 5 + int(rnd() * 600)  # online payment at checkout
                if paid > now:
                    paid = now
                if status == "paid" or channel == "shop":
                    updated = paid
                elif status == "ready":
                    updated = paid + 3600 + int(rnd() * 2 * _DAY)
                elif status == "refunded":
                    updated = paid + _DAY + int(rnd() * 20 * _DAY)
                elif channel == "b2b":
                    updated = max(paid, t + _DAY + int(rnd() * 3 * _DAY))
                else:
                    updated = paid + 3600 + int(rnd() * 5 * _DAY)
            if updated > now:
                updated = now

            notes = order_notes[int(rnd() * len(order_notes))] if rnd() < 0.03 else None
            day = t // _DAY - first_day
            ordered_at = created_at = day_prefix[day] + hms[t % _DAY]
            customer_id = cust + 1
            if i in dirty:
                if i in orphan:
                    # A customer row deleted outright: the id is past every real one.
                    customer_id = n_customers + 1 + int(rnd() * 5000)
                    cust = -1
                if i in far_future:
                    ordered_at = (
                        "2100-01-01 00:00:00"
                        if rnd() < 0.5
                        else _fmt_any(_epoch(date(2099, 1, 1)) + int(rnd() * 365 * _DAY))
                    )
                if i in long_note:
                    notes = vocab.LONG_NOTE
                if i == to_deleted:
                    cust = deleted_list[int(rnd() * len(deleted_list))]
                    customer_id = cust + 1
            if cust >= 0:
                last_order_ts[cust] = t
                if pp >= 0:
                    last_pp[cust] = pp
                    last_pp_ts[cust] = updated
                if is_deleted[cust]:
                    deleted_orders += 1
                elif is_anonymized[cust]:
                    anonymized_orders += 1
            chunk.append(
                (
                    i + 1,
                    f"M-{year_of_day[day]}-{i + 1:07d}",
                    customer_id,
                    company_id,
                    ordered_at,
                    None
                    if paid is None
                    else day_prefix[paid // _DAY - first_day] + hms[paid % _DAY],
                    status,
                    amount,
                    channel,
                    pp + 1 if pp >= 0 else None,
                    notes,
                    created_at,
                    day_prefix[updated // _DAY - first_day] + hms[updated % _DAY],
                )
            )
            if len(chunk) == ORDER_CHUNK:
                yield chunk
                progress.advance(len(chunk))
                chunk = []
        if chunk:
            yield chunk
            progress.advance(len(chunk))
        self.dirt["orphan_order"] = len(orphan)
        self.dirt["far_future_order"] = len(far_future)
        self.dirt["long_order_note"] = len(long_note)
        self.dirt["orders_of_deleted_customers"] = deleted_orders
        self.dirt["orders_of_anonymized_customers"] = anonymized_orders

    # ------------------------------------------------------------- customer rows

    def customer_rows(self, progress: _Progress) -> Iterator[list[tuple[Any, ...]]]:
        """Customer rows, once orders have set each one's last pickup point."""
        rng = self._rng("customers:erasure")
        c = self.customers
        fmt = self.clock.fmt
        now = self.now
        progress.phase("customers (write)", self.n_customers)
        chunk: list[tuple[Any, ...]] = []
        for i in range(self.n_customers):
            created = c.created[i]
            # The app bumps updated_at when an order changes the last pickup point.
            updated = max(c.profile_updated[i], c.last_pp_ts[i])
            row: tuple[Any, ...]
            if i in c.deleted or i in c.anonymized:
                # Erasure comes after the customer's last activity.
                erased = min(
                    now, max(updated, c.last_order_ts[i]) + 3600 + int(rng.random() * 180 * _DAY)
                )
                updated = max(updated, erased)
                if i in c.deleted:
                    row = (
                        i + 1, c.email[i], c.first[i], c.last[i], c.phone[i], c.address[i],
                        c.postcode[i], c.city[i], fmt(created), fmt(updated), c.consent[i],
                        c.last_pp[i] + 1 if c.last_pp[i] >= 0 else None, c.notes[i],
                        fmt(erased), None,
                    )  # fmt: skip
                else:
                    row = (
                        i + 1, None, "Anonyme", "Anonyme", None, None, None, None,
                        fmt(created), fmt(updated), 0,
                        c.last_pp[i] + 1 if c.last_pp[i] >= 0 else None, None,
                        None, fmt(erased),
                    )  # fmt: skip
            else:
                row = (
                    i + 1, c.email[i], c.first[i], c.last[i], c.phone[i], c.address[i],
                    c.postcode[i], c.city[i], fmt(created), fmt(updated), c.consent[i],
                    c.last_pp[i] + 1 if c.last_pp[i] >= 0 else None, c.notes[i], None, None,
                )  # fmt: skip
            chunk.append(row)
            if len(chunk) == ORDER_CHUNK:
                yield chunk
                progress.advance(len(chunk))
                chunk = []
        if chunk:
            yield chunk
            progress.advance(len(chunk))


# ------------------------------------------------------------------- targets


class _Target:
    """Where rows go: one transaction, tables first, indexes last."""

    shown_url: str

    def refuse_or_clear(self, replace: bool) -> None:
        raise NotImplementedError

    def begin(self) -> None:
        raise NotImplementedError

    def write(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError


def _refusal(url: str, filled: dict[str, int]) -> GeneratorError:
    listing = ", ".join(f"{table}: {rows:,} rows" for table, rows in filled.items())
    return GeneratorError(
        f"{url} already holds App du Moulin data ({listing}). "
        "Refusing to overwrite it; pass --replace (replace=True) to drop and recreate "
        "the five tables."
    )


class _SQLiteTarget(_Target):
    def __init__(self, url: URL, shown_url: str) -> None:
        database = url.database
        if not database or database == ":memory:":
            raise GeneratorError(f"{shown_url}: demo data needs a file database, not in-memory")
        self.path = Path(database)
        self.shown_url = shown_url
        self.created_file = False
        self.connection: sqlite3.Connection | None = None
        self.inserts = {
            name: f"INSERT INTO {name} VALUES ({', '.join('?' * len(metadata.tables[name].c))})"
            for name in TABLE_NAMES
        }

    def refuse_or_clear(self, replace: bool) -> None:
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        connection = sqlite3.connect(self.path)
        try:
            try:
                connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlite3.DatabaseError as error:
                raise GeneratorError(
                    f"{self.shown_url}: {self.path} exists and is not a SQLite database ({error})"
                ) from error
            names = {
                row[0]
                for row in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                )
            }
            ours = [name for name in TABLE_NAMES if name in names]
            filled = {
                name: connection.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
                for name in ours
            }
            filled = {name: rows for name, rows in filled.items() if rows}
            if filled and not replace:
                raise _refusal(self.shown_url, filled)
            if names <= set(TABLE_NAMES):
                # Nothing else lives here: start from a new file, so the result is
                # byte-identical to a first generation.
                connection.close()
                self.path.unlink()
                return
            for name in reversed(TABLE_NAMES):
                connection.execute(f"DROP TABLE IF EXISTS {name}")
            connection.commit()
            connection.execute("VACUUM")
        finally:
            connection.close()

    def begin(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.created_file = not self.path.exists()
        # Written from the background writer thread, one thread at a time.
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        # A generator's output is disposable: no journal, no fsync, big cache.
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("PRAGMA cache_size = -262144")
        connection.execute("PRAGMA temp_store = MEMORY")
        # Helper threads for the sorts of CREATE INDEX; the resulting b-trees are the same.
        connection.execute("PRAGMA threads = 2")
        connection.execute("BEGIN")
        for statement in table_statements("sqlite"):
            connection.execute(statement)
        self.connection = connection

    def write(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        assert self.connection is not None
        self.connection.executemany(self.inserts[table], rows)

    def finish(self) -> None:
        assert self.connection is not None
        for statement in index_statements("sqlite"):
            self.connection.execute(statement)
        self.connection.execute("COMMIT")
        self.connection.close()
        self.connection = None

    def abort(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
        # Without a journal a half-written file cannot be rolled back: remove it.
        if self.created_file and self.path.exists():
            self.path.unlink()


def _pg_column_kinds(table: str) -> list[str]:
    kinds = []
    for column in metadata.tables[table].c:
        type_name = type(column.type).__name__
        kinds.append(
            "ts" if type_name == "DateTime" else "bool" if type_name == "Boolean" else "other"
        )
    return kinds


def _pg_text(value: str) -> str:
    # COPY text format: backslash escapes for the characters that delimit fields/rows.
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


class _PostgresTarget(_Target):
    def __init__(self, url: URL, shown_url: str) -> None:
        self.url = url
        self.shown_url = shown_url
        self.engine = make_engine(url)
        self.raw: Any = None
        self.cursor: Any = None
        self.kinds = {name: _pg_column_kinds(name) for name in TABLE_NAMES}

    def refuse_or_clear(self, replace: bool) -> None:
        try:
            with self.engine.begin() as connection:
                inspector = inspect(connection)
                ours = [name for name in TABLE_NAMES if inspector.has_table(name)]
                filled: dict[str, int] = {}
                for name in ours:
                    rows = connection.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
                    if rows:
                        filled[name] = rows
                if filled and not replace:
                    raise _refusal(self.shown_url, filled)
                for name in reversed(TABLE_NAMES):
                    if name in ours:
                        connection.execute(text(f"DROP TABLE {name}"))
        except GeneratorError:
            self.engine.dispose()
            raise
        except Exception as error:
            self.engine.dispose()
            raise GeneratorError(f"cannot use {self.shown_url}: {error}") from error

    def begin(self) -> None:
        self.raw = self.engine.raw_connection()
        self.raw.driver_connection.set_client_encoding("UTF8")
        self.cursor = self.raw.cursor()
        self.cursor.execute("SET TIME ZONE 'UTC'")
        for statement in table_statements("postgresql"):
            self.cursor.execute(statement)

    def write(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        kinds = self.kinds[table]
        buffer = io.StringIO()
        for row in rows:
            fields = []
            for kind, value in zip(kinds, row, strict=True):
                if value is None:
                    fields.append("\\N")
                elif kind == "ts":
                    fields.append(value + "+00")
                elif kind == "bool":
                    fields.append("t" if value else "f")
                elif isinstance(value, str):
                    fields.append(_pg_text(value))
                else:
                    fields.append(str(value))
            buffer.write("\t".join(fields))
            buffer.write("\n")
        buffer.seek(0)
        self.cursor.copy_expert(f"COPY {table} FROM STDIN", buffer)

    def finish(self) -> None:
        for statement in index_statements("postgresql"):
            self.cursor.execute(statement)
        self.raw.commit()
        self.cursor.close()
        self.raw.close()
        self.engine.dispose()

    def abort(self) -> None:
        if self.raw is not None:
            self.raw.rollback()
            self.raw.close()
        self.engine.dispose()


class _BackgroundWriter:
    """Inserts chunks on a second thread while the main thread generates the next one.

    sqlite3 and psycopg2 release the GIL while the database works, so on two cores
    generation and insertion overlap. Chunks are written strictly in the order they
    were queued, so the database is exactly what inline writes would give.
    """

    def __init__(self, target: _Target) -> None:
        self._target = target
        # Two chunks in flight at most: bounded memory, and enough to keep both busy.
        self._queue: queue.Queue[tuple[str, list[tuple[Any, ...]]] | None] = queue.Queue(2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="moulin-demo-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is None:  # after a failure, keep draining so put() never blocks
                try:
                    self._target.write(*item)
                except BaseException as error:
                    self._error = error

    def write(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put((table, rows))

    def close(self, *, raise_error: bool = True) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if raise_error and self._error is not None:
            raise self._error


def _target(url: str) -> _Target:
    try:
        parsed = normalize_url(url)
    except Exception as error:
        raise GeneratorError(f"bad database URL {url!r}: {error}") from error
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite":
        return _SQLiteTarget(parsed, shown)
    return _PostgresTarget(parsed, shown)


# ---------------------------------------------------------------------- API


def generate(
    url: str,
    *,
    customers: int,
    companies: int,
    orders: int,
    seed: int = 42,
    dirty_rate: float = 0.0,
    today: date | None = None,
    progress: bool = False,
    replace: bool = False,
) -> GenerationSummary:
    """Fill the App du Moulin tables at `url` with deterministic demo data.

    Refuses (GeneratorError) when the tables already hold rows, unless `replace`.
    `today` (default: the current UTC date) is the last day of the generated
    history; pass it explicitly to get the same database on another day.
    """
    for name, value in (("customers", customers), ("companies", companies), ("orders", orders)):
        if value < 0:
            raise GeneratorError(f"{name} must be 0 or more, got {value}")
    if orders and not customers:
        raise GeneratorError("orders need customers: pass --customers 1 or more")
    if not 0.0 <= dirty_rate <= MAX_DIRTY_RATE:
        raise GeneratorError(f"dirty rate must be between 0 and {MAX_DIRTY_RATE}, got {dirty_rate}")
    today = today or datetime.now(UTC).date()
    if today < HISTORY_START:
        raise GeneratorError(f"today must be {HISTORY_START} or later, got {today}")
    started = time.perf_counter()
    target = _target(url)
    target.refuse_or_clear(replace)
    generator = _Generator(
        customers=customers,
        companies=companies,
        orders=orders,
        seed=seed,
        dirty_rate=dirty_rate,
        today=today,
    )
    rows = dict.fromkeys(TABLE_NAMES, 0)
    with _Progress(progress) as bar:
        pickup_rows = generator.pickup_point_rows()
        generator.build_customers(bar)
        generator.build_companies()
        generator.build_contacts()
        writer: _BackgroundWriter | None = None
        try:
            target.begin()
            writer = _BackgroundWriter(target)
            writer.write("pickup_points", pickup_rows)
            rows["pickup_points"] = len(pickup_rows)
            company_rows = generator.company_rows()
            writer.write("companies", company_rows)
            rows["companies"] = len(company_rows)
            for chunk in generator.order_chunks(bar):
                writer.write("orders", chunk)
                rows["orders"] += len(chunk)
            for chunk in generator.customer_rows(bar):
                writer.write("customers", chunk)
                rows["customers"] += len(chunk)
            contact_rows = generator.contact_rows()
            writer.write("company_contacts", contact_rows)
            rows["company_contacts"] = len(contact_rows)
            writer.close()
            bar.phase("indexes", 1)
            target.finish()
            bar.done()
        except BaseException:
            if writer is not None:
                writer.close(raise_error=False)
            target.abort()
            raise
    return GenerationSummary(
        url=target.shown_url,
        seed=seed,
        today=today,
        dirty_rate=dirty_rate,
        rows=rows,
        dirt=dict(generator.dirt),
        elapsed_seconds=time.perf_counter() - started,
    )
