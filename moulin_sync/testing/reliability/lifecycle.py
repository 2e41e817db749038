"""What happens to data after the first load: an erasure cut by a crash, a merge made in
HubSpot followed by new orders, a refund in a months-old partition and the next night.

Each scenario works on its own copy of the source (it changes it, as the App du Moulin
would), runs the real `moulin-sync sync`, and ends with HubSpot judged: against the image
of a clean run on the changed source where one exists (erasure, late refund), else
record by record (a merge has no clean-run equivalent).
"""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3
import time
from collections import Counter
from pathlib import Path

import httpx

from moulin_sync.testing.reliability.harness import RUN_TIMEOUT_S, RunResult, World
from moulin_sync.testing.reliability.oracle import (
    HubSpotImage,
    Verdict,
    capture,
    state_problems,
    verify,
)
from moulin_sync.testing.reliability.outcomes import Outcome

GDPR_DELETE = "/crm/v3/objects/contacts/gdpr-delete"
# The late-refund scenario's history: seven months (June to December), so a whole-history
# load stays small and June is months old on the night of the refund.
SHORT_HISTORY = {"MOULIN_HISTORY_START": "2026-06-01"}
WHOLE_SHORT_HISTORY = ("2026-06-01", "2026-12-01")


def _source_copy(world: World, run: Path) -> tuple[World, Path]:
    """The scenario's own App du Moulin (a copy it may change), and its file."""
    original = Path(world.source_url.removeprefix("sqlite:///"))
    copy = run / "app_du_moulin.db"
    shutil.copyfile(original, copy)
    return dataclasses.replace(world, source_url=f"sqlite:///{copy}"), copy


def _sql(path: Path, statement: str, parameters: tuple = ()) -> list[tuple]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute(statement, parameters).fetchall()
        connection.commit()
    return rows


def _expected(world: World, folder: str, **env: str) -> tuple[HubSpotImage | None, list[str]]:
    """HubSpot after a clean run of `world` (its source as changed) on an empty portal."""
    world.reset_hubspot()
    run = world.run_dir(folder)
    result = world.sync(run, "reference", **env)
    if not result.ok:
        return None, [f"the clean run on the changed source failed: {result.failure_text()}"]
    return capture(world.hubspot), []


def _ran(result: RunResult, what: str) -> list[str]:
    return [] if result.ok else [f"{what} failed: {result.failure_text()}"]


# Erasure, cut by a crash ------------------------------------------------------------------


def _customers_with_deals(world: World, source: Path, *, b2b: bool) -> list[int]:
    """Customers with a valid email, two orders or more in the world's months, and (or
    not) a company."""
    first, last = world.months
    rows = _sql(
        source,
        "SELECT o.customer_id FROM orders o JOIN customers c ON c.id = o.customer_id "
        "WHERE o.ordered_at >= ? AND o.ordered_at < date(?, '+1 month') "
        "AND c.email LIKE '%_@_%.__%' AND c.deleted_at IS NULL AND c.anonymized_at IS NULL "
        f"AND o.company_id IS {'NOT ' if b2b else ''}NULL "
        "GROUP BY o.customer_id HAVING count(*) >= 2 ORDER BY o.customer_id LIMIT 5",
        (first, last),
    )
    return [int(customer) for (customer,) in rows]


def _erase(source: Path, customer: int) -> None:
    _sql(
        source,
        "UPDATE customers SET deleted_at = datetime('now'), updated_at = datetime('now') "
        "WHERE id = ?",
        (customer,),
    )


def erasure_cut_by_a_crash(world: World) -> Outcome:
    """A customer erased at the source; the sync SIGKILLed right after HubSpot's GDPR
    delete of their contact, before their deals were renamed; rerun, then once more. HubSpot
    must end as a clean run on the erased source leaves it: no contact, deals kept under
    "client effacé", no link to the person, and the erasure never undone."""
    started = time.monotonic()
    outcome = Outcome("lifecycle", "GDPR erasure, SIGKILL between contact and deals", 0, Verdict())
    run = world.run_dir("erasure-crash")
    erased_world, source = _source_copy(world, run)
    customer = _customers_with_deals(world, source, b2b=False)[0]
    _erase(source, customer)
    expected, outcome.problems = _expected(erased_world, "erasure-expected")
    if expected is None:
        return outcome
    # The same customer, synced before the erasure, in a fresh portal and state.
    run = world.run_dir("erasure-crash")
    scenario, source = _source_copy(world, run)
    world.reset_hubspot()
    outcome.problems += _ran(scenario.sync(run, "first"), "the first load")
    _erase(source, customer)
    admin = world.hubspot.admin
    fault = admin.add_fault(kind="hang_after_commit", route=GDPR_DELETE, count=1_000)
    process = scenario.start(run, "killed")
    hit = admin.wait_for_fault(
        fault["id"], counter="committed", timeout=RUN_TIMEOUT_S, still_waiting=process.running
    )
    if hit is None:
        process.wait()
        outcome.problems.append("the sync never GDPR-deleted the erased customer's contact")
        return outcome
    process.kill()
    outcome.faults = 2
    admin.clear_faults()
    deals = capture(world.hubspot).records["deals"]
    rows = _sql(source, "SELECT id FROM orders WHERE customer_id = ?", (customer,))
    theirs = [str(i) for (i,) in rows if str(i) in deals]
    renamed = [k for k in theirs if "client effacé" in deals[k][0]]
    outcome.notes.append(
        f"left by the kill: contact deleted, {len(renamed)} of {len(theirs)} deal(s) renamed"
    )
    outcome.problems += _ran(scenario.sync(run, "rerun"), "the rerun")
    outcome.problems += _ran(scenario.sync(run, "again"), "a later run")
    outcome.verdict = verify(expected, world.hubspot, world.state_url(run), audits=world.audits())
    outcome.seconds = time.monotonic() - started
    return outcome


# A merge in HubSpot, then new orders -------------------------------------------------------


def _merge(world: World, primary: str, merged: str) -> None:
    """What a salesperson does in HubSpot: merge one contact into another."""
    answer = httpx.post(
        f"{world.hubspot.base_url}/crm/v3/objects/contacts/merge",
        headers={"Authorization": f"Bearer {world.hubspot.token}"},
        json={"primaryObjectId": primary, "objectIdToMerge": merged},
        timeout=30,
    )
    answer.raise_for_status()


def _new_order(world: World, source: Path, customer: int) -> str:
    """A new order of `customer` in the last month synced, as the App du Moulin makes one."""
    [(order_id, like)] = _sql(
        source,
        "SELECT (SELECT max(id) + 1 FROM orders), max(id) FROM orders WHERE customer_id = ? "
        "AND company_id IS NULL",
        (customer,),
    )
    when = f"{world.months[1][:8]}15 10:30:00"
    _sql(
        source,
        "INSERT INTO orders (id, order_number, customer_id, company_id, ordered_at, paid_at, "
        "status, amount_eur, channel, pickup_point_id, notes, created_at, updated_at) "
        "SELECT ?, 'M-NEW-' || ?, customer_id, NULL, ?, ?, 'paid', 42.50, channel, "
        "pickup_point_id, NULL, datetime('now'), datetime('now') FROM orders WHERE id = ?",
        (order_id, order_id, when, when, like),
    )
    return str(order_id)


def merge_then_new_orders(world: World) -> Outcome:
    """Two of our contacts merged in HubSpot; then a new order of the merged-away customer.
    The next run must give it one deal, linked to the surviving contact; no deal stranded,
    none doubled, the state store naming the survivor."""
    started = time.monotonic()
    outcome = Outcome("lifecycle", "merge in HubSpot, then new orders", 1, Verdict())
    run = world.run_dir("merge-new-orders")
    scenario, source = _source_copy(world, run)
    world.reset_hubspot()
    outcome.problems += _ran(scenario.sync(run, "first"), "the first load")
    before = capture(world.hubspot)
    kept, gone = _customers_with_deals(world, source, b2b=False)[:2]
    ids = before.ids["contacts"]
    if str(kept) not in ids or str(gone) not in ids:
        outcome.problems.append(f"customers {kept} and {gone} were not both synced")
        return outcome
    survivor = ids[str(kept)][0]
    _merge(world, survivor, ids[str(gone)][0])
    order = _new_order(world, source, gone)
    outcome.problems += _ran(scenario.sync(run, "after-merge"), "the run after the merge")
    outcome.problems += _ran(scenario.sync(run, "again"), "a later run")
    outcome.verdict = _judge_merge(world, run, before, order, survivor)
    outcome.seconds = time.monotonic() - started
    return outcome


def _judge_merge(
    world: World, run: Path, before: HubSpotImage, order: str, survivor: str
) -> Verdict:
    after = capture(world.hubspot)
    verdict = Verdict()
    for object_type, by_key in after.records.items():
        for key, found in by_key.items():
            if len(found) > 1:
                verdict.duplicates += len(found) - 1
                verdict.details.append(f"{object_type} {key}: {len(found)} records")
    lost = (set(before.records["deals"]) | {order}) - set(after.records["deals"])
    verdict.lost = len(lost)
    verdict.details += [f"deal {key}: missing from HubSpot" for key in sorted(lost)]
    links = Counter(
        target for target, _ in _contact_links(world, after.ids["deals"].get(order, []))
    )
    if links != Counter({survivor: 1}):
        verdict.mismatched += 1
        verdict.details.append(f"deal {order}: contacts {dict(links)}, wanted {survivor}")
    live = {i for ids in after.ids["contacts"].values() for i in ids}
    all_deals = [i for ids in after.ids["deals"].values() for i in ids]
    stranded = {target for target, _ in _contact_links(world, all_deals)} - live
    verdict.mismatched += len(stranded)
    verdict.details += [f"a deal is linked to contact {i}, which is gone" for i in stranded]
    stale = state_problems(world.state_url(run), after)
    verdict.stale_state = len(stale)
    verdict.details += stale
    return verdict


def _contact_links(world: World, deal_ids: list[str]) -> list[tuple[str, list[int]]]:
    objects = world.hubspot.admin.state()["objects"]["deals"]
    wanted = set(deal_ids)
    return [
        (str(link["id"]), link["types"])
        for row in objects
        if str(row["id"]) in wanted
        for link in row["associations"].get("contacts", [])
    ]


# A refund months later, then the night ------------------------------------------------------


def _refund_in_first_month(source: Path) -> str:
    [(order,)] = _sql(
        source,
        "SELECT min(id) FROM orders WHERE status = 'picked_up' AND company_id IS NULL "
        "AND ordered_at >= '2026-06-05' AND ordered_at < '2026-06-25'",
    )
    _sql(
        source,
        "UPDATE orders SET status = 'refunded', updated_at = datetime('now') WHERE id = ?",
        (order,),
    )
    return str(order)


def late_refund_then_nightly(world: World) -> Outcome:
    """The whole history loaded; an order of June refunded in December; `moulin-sync sync
    --nightly`. HubSpot must end as a clean whole-history run on the refunded source
    leaves it (the deal refunded, nothing else changed), the night syncing June."""
    started = time.monotonic()
    outcome = Outcome("lifecycle", "refund in a months-old partition, then the night", 0,
                      Verdict())  # fmt: skip
    short = dataclasses.replace(world, months=WHOLE_SHORT_HISTORY)
    run = world.run_dir("late-refund")
    refunded_world, source = _source_copy(short, run)
    order = _refund_in_first_month(source)
    expected, outcome.problems = _expected(refunded_world, "late-refund-expected", **SHORT_HISTORY)
    if expected is None:
        return outcome
    run = world.run_dir("late-refund")
    scenario, source = _source_copy(short, run)
    world.reset_hubspot()
    outcome.problems += _ran(scenario.sync(run, "first", **SHORT_HISTORY), "the first load")
    if _refund_in_first_month(source) != order:
        outcome.problems.append("the two copies refunded different orders")
    result = scenario.start(run, "nightly", nightly=True, **SHORT_HISTORY).wait()
    outcome.problems += _ran(result, "the nightly run")
    if "2026-06-01 (" not in result.stdout:
        outcome.problems.append(f"the night did not say it syncs June: {result.stdout[:600]}")
    outcome.verdict = verify(expected, world.hubspot, world.state_url(run), audits=world.audits())
    outcome.seconds = time.monotonic() - started
    return outcome
