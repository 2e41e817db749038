"""Dirt: the mistakes a real App du Moulin holds, injected into customers and orders.

Each kind of `DIRT_KINDS` goes into about `dirty_rate` of its table's rows (see
`World.dirty_count`), long notes into at most `LONG_NOTE_CAP`. Every count lands in
`World.dirt`, so the summary says what was actually injected.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from moulin_sync.demo_data import vocab
from moulin_sync.demo_data.model import Customers
from moulin_sync.demo_data.people import ascii_slug
from moulin_sync.demo_data.world import DAY, LONG_NOTE_CAP, World, epoch, format_timestamp


def soil_customers(rng: random.Random, customers: Customers, world: World) -> None:
    """Dirty the emails, erase some customers, give others exotic names and long notes."""
    n = world.customer_count
    count = world.dirty_count(n)
    if count == 0:
        return
    c = customers
    dirt = world.dirt
    # Exclusive kinds each take their own customers (pairs two groups), so every
    # count is exact.
    pool = rng.sample(range(n), min(n, 9 * count))
    slices = [pool[k * count : (k + 1) * count] for k in range(9)]
    invalid, null, empty, dup_to, dup_from, var_to, var_from, deleted, anonymized = slices
    _invalidate_emails(rng, c, invalid)
    dirt["invalid_email"] = len(invalid)
    for i in null:
        c.email[i] = None
    dirt["null_email"] = len(null)
    for i in empty:
        c.email[i] = ""
    dirt["empty_email"] = len(empty)
    pairs = list(zip(dup_to, dup_from, strict=False))
    for target, source in pairs:
        c.email[target] = c.email[source]
    dirt["duplicate_email"] = len(pairs)
    pairs = list(zip(var_to, var_from, strict=False))
    for target, source in pairs:
        c.email[target] = _email_variant(rng, c.email[source] or "")
    dirt["email_case_or_whitespace_variant"] = len(pairs)
    c.deleted = set(deleted)
    c.anonymized = set(anonymized)
    dirt["deleted_customer"] = len(deleted)
    dirt["anonymized_customer"] = len(anonymized)
    # Names and long notes are independent of the email dirt, but anonymization
    # would wipe them, so they avoid anonymized customers.
    candidates = [i for i in range(n) if i not in c.anonymized]
    for i in rng.sample(candidates, min(count, len(candidates))):
        c.first[i], c.last[i] = rng.choice(vocab.EXOTIC_NAMES)
        dirt["exotic_name"] += 1
    for i in rng.sample(candidates, min(count, LONG_NOTE_CAP, len(candidates))):
        c.notes[i] = vocab.LONG_NOTE
        dirt["long_customer_note"] += 1


def _invalidate_emails(rng: random.Random, c: Customers, invalid: list[int]) -> None:
    """Replace the emails of `invalid` with malformed ones, all distinct."""
    domains = [d for d, _ in vocab.EMAIL_DOMAINS]
    used = {e for e in c.email if e}
    for i in invalid:
        local, _, domain = (c.email[i] or "x@gmail.com").partition("@")
        template = rng.choice(vocab.INVALID_EMAIL_TEMPLATES)
        value = template.format(
            local=local,
            first=ascii_slug(c.first[i] or "jean"),
            last=ascii_slug(c.last[i] or "dupont"),
            domain=rng.choice(domains),
            bare_domain=domain.split(".")[0],
            n=int(rng.random() * 100),
        )
        if value in used:  # keep invalid emails unique so they are not duplicates too
            value = f"{local}{len(used)}@"
        used.add(value)
        c.email[i] = value


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


@dataclass(frozen=True)
class OrderDirt:
    """Which orders get which kind of dirt, drawn before the first order is built."""

    orphan: set[int]
    far_future: set[int]
    long_note: set[int]
    to_deleted: int
    """The one order moved onto a deleted customer, so at least one exists (-1: none)."""
    deleted_customers: list[int]
    dirty: set[int]
    """Every order above, to skip the rest with one set lookup."""

    @classmethod
    def pick(cls, rng: random.Random, world: World, deleted_customers: set[int]) -> OrderDirt:
        """Draw the dirty orders among `world.order_count`, from the orders' own stream."""
        total = world.order_count
        count = world.dirty_count(total)
        orphan: set[int] = set()
        far_future: set[int] = set()
        long_note: set[int] = set()
        to_deleted = -1
        if count:
            # Exclusive kinds drawn together, so no order is both orphan and far-future.
            picks = rng.sample(range(total), min(total, 2 * count + 1))
            orphan = set(picks[:count])
            far_future = set(picks[count : 2 * count])
            if len(picks) > 2 * count and deleted_customers:
                to_deleted = picks[2 * count]
            long_note = set(rng.sample(range(total), min(total, count, LONG_NOTE_CAP)))
        dirty = orphan | far_future | long_note | ({to_deleted} if to_deleted >= 0 else set())
        return cls(orphan, far_future, long_note, to_deleted, sorted(deleted_customers), dirty)

    def soil(
        self,
        index: int,
        rnd: Callable[[], float],
        customer_count: int,
        order: tuple[int, int, str, str | None],
    ) -> tuple[int, int, str, str | None]:
        """Order `index`'s (customer index, customer_id, ordered_at, notes), dirtied."""
        cust, customer_id, ordered_at, notes = order
        if index in self.orphan:
            # A customer row deleted outright: the id is past every real one.
            customer_id = customer_count + 1 + int(rnd() * 5000)
            cust = -1
        if index in self.far_future:
            ordered_at = (
                "2100-01-01 00:00:00"
                if rnd() < 0.5
                else format_timestamp(epoch(date(2099, 1, 1)) + int(rnd() * 365 * DAY))
            )
        if index in self.long_note:
            notes = vocab.LONG_NOTE
        if index == self.to_deleted:
            cust = self.deleted_customers[int(rnd() * len(self.deleted_customers))]
            customer_id = cust + 1
        return cust, customer_id, ordered_at, notes

    def record(self, world: World) -> None:
        """Count the order dirt drawn here (orders of erased customers are counted apart)."""
        world.dirt["orphan_order"] = len(self.orphan)
        world.dirt["far_future_order"] = len(self.far_future)
        world.dirt["long_order_note"] = len(self.long_note)
