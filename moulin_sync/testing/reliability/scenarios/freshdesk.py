"""Freshdesk ticket faults: a crash between the tickets pull and the HubSpot write, a
tickets write whose answer is lost, a fault mid-window of the pull and a rerun, a 429 with
Retry-After ridden out, a ticket deleted in Freshdesk archived.

Each ends with the oracle: HubSpot's records against the reference (the tickets stream
aside when the scenario changed Freshdesk) and every Freshdesk ticket of a customer
against Freshdesk itself — exactly one HubSpot ticket per `freshdesk_ticket_id`, with
the latest subject and stage, none lost, none twice, none of a deleted ticket left live.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

from moulin_sync.sources.freshdesk.client import RETRY_DELAYS_S
from moulin_sync.testing.freshdesk_emulator import iso
from moulin_sync.testing.reliability.crash_matrix import CrashMatrix, Reference
from moulin_sync.testing.reliability.freshdesk_world import (
    FIRST_TICKET_ID,
    LIST,
    TICKETS_STREAM,
    FreshdeskService,
    freshdesk_service,
)
from moulin_sync.testing.reliability.harness import RUN_TIMEOUT_S, RunResult, World
from moulin_sync.testing.reliability.oracle import (
    HubSpotImage,
    Verdict,
    capture,
    compare,
    state_problems,
    verify,
)
from moulin_sync.testing.reliability.outcomes import Outcome

NAME = "freshdesk"
FAMILY = "Freshdesk tickets"
# Every write of the tickets stream (create, update, archive): a path prefix.
TICKET_WRITES = "/crm/v3/objects/tickets/batch/"
FAILING_PAGES = len(RETRY_DELAYS_S) + 1  # more than the client's retries: the pull fails
NEW_TICKETS = 150  # arriving between two nights: two pages of the incremental pull


def service(root: Path, source_url: str) -> AbstractContextManager[FreshdeskService]:
    return freshdesk_service(root, source_url)


def freshdesk_of(world: World) -> FreshdeskService:
    found = [s for s in world.services if isinstance(s, FreshdeskService)]
    assert found, "this world has no Freshdesk: start it with freshdesk_service()"
    return found[0]


def _judge(
    world: World, run: Path, expected: HubSpotImage, outcome: Outcome, *, changed: bool = False
) -> Outcome:
    """The oracle; `changed`: Freshdesk's tickets changed, so the tickets are judged
    against Freshdesk alone (the reference predates the change)."""
    if not changed:
        outcome.verdict = verify(expected, world.hubspot, world.state_url(run),
                                 audits=world.audits())  # fmt: skip
        return outcome
    # The other streams against the reference, their records' links to tickets aside (new
    # tickets link to their contacts and companies); the tickets by the audit alone.
    actual = capture(world.hubspot)
    verdict = compare(_unticketed(expected), _unticketed(actual), skip=(TICKETS_STREAM,))
    for audit in world.audits():
        verdict.add(audit(actual))
    stale = state_problems(world.state_url(run), actual)
    verdict.stale_state = len(stale)
    verdict.details.extend(stale)
    outcome.verdict = verdict
    return outcome


def _unticketed(image: HubSpotImage) -> HubSpotImage:
    """`image` with no record's associations to tickets."""

    def cut(text: str) -> str:
        body = json.loads(text)
        body.get("associations", {}).pop("tickets", None)
        return json.dumps(body, sort_keys=True, ensure_ascii=False)

    records = {stream: {key: [cut(t) for t in held] for key, held in by_key.items()}
               for stream, by_key in image.records.items()}  # fmt: skip
    return dataclasses.replace(image, records=records)


def _begin(world: World, folder: str, name: str) -> tuple[Outcome, Path, float]:
    started = time.monotonic()
    world.reset_hubspot()
    return Outcome(FAMILY, name, 0, Verdict()), world.run_dir(folder), started


def _done(outcome: Outcome, started: float) -> Outcome:
    outcome.seconds = time.monotonic() - started
    return outcome


def _ran(result: RunResult, what: str) -> list[str]:
    return [] if result.ok else [f"{what} failed: {result.failure_text()}"]


def _sync(world: World, run: Path, in_process: bool) -> Callable[[str], RunResult]:
    """A night: the assets in this process, or `moulin-sync sync` (its output under `tag`)."""
    if in_process:
        return lambda tag: world.materialize(run)
    return lambda tag: world.sync(run, tag)


def tickets_lost(world: World) -> int:
    return freshdesk_of(world).audit(capture(world.hubspot), source_url=world.source_url).lost


# A crash between the pull and the write ------------------------------------------------------


def crash_between_pull_and_write(world: World, expected: HubSpotImage, *,
                                 in_process_rerun: bool = False) -> Outcome:  # fmt: skip
    """`moulin-sync sync` SIGKILLed once Freshdesk was pulled, as its first tickets write
    is refused (a 503: nothing executed) and the run waits to retry it; then rerun."""
    outcome, run, started = _begin(world, "fd-crash-pull-write", "SIGKILL between the "
                                   "tickets pull and the HubSpot write")  # fmt: skip
    admin = world.hubspot.admin
    fault = admin.add_fault(kind="status", status=503, route=TICKET_WRITES, count=1_000)
    process = world.start(run, "killed")
    hit = admin.wait_for_fault(fault["id"], timeout=RUN_TIMEOUT_S, still_waiting=process.running)
    if hit is None:
        process.wait()
        outcome.problems.append("the run never wrote a ticket")
        return _done(outcome, started)
    process.kill()
    outcome.faults = 2
    admin.clear_faults()
    outcome.left_missing = tickets_lost(world)
    outcome.notes.append(f"left by the kill: {outcome.left_missing} tickets not in HubSpot")
    if not outcome.left_missing:
        outcome.problems.append("the kill left every ticket written: it proved nothing")
    rerun = world.materialize(run) if in_process_rerun else world.sync(run, "rerun")
    outcome.problems += _ran(rerun, "the rerun")
    return _done(_judge(world, run, expected, outcome), started)


# Faults at each tickets write ----------------------------------------------------------------


def ticket_write_faults(world: World, reference: Reference) -> Iterator[Outcome | None]:
    """The crash matrix on the tickets writes alone: killed after the k-th committed, and
    the k-th's answer lost (HubSpot applied it), for every k."""
    matrix = CrashMatrix(world, reference.image)
    for fault in (matrix.kill, matrix.drop):
        k = 1
        while (outcome := fault(k, route=TICKET_WRITES)) is not None:
            outcome.family = f"{FAMILY}: {outcome.family.split(': ')[-1]}"
            yield outcome
            k += 1


# A fault mid-window of the pull, then a rerun ------------------------------------------------


def new_tickets(freshdesk: FreshdeskService, count: int) -> list[int]:
    """`count` tickets of the account's requesters, created in the last minutes."""
    contacts = [c["id"] for c in freshdesk.account["contacts"]]
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    first = FIRST_TICKET_ID + len(freshdesk.account["tickets"])
    rows = [
        {"id": first + i, "requester_id": contacts[i % len(contacts)],
         "subject": f"Nouvelle demande {i}", "description": "<div>Bonjour</div>",
         "status": 2, "priority": 1, "source": 2,
         "created_at": iso(now - dt.timedelta(seconds=count - i + 5)),
         "updated_at": iso(now - dt.timedelta(seconds=count - i + 5))}
        for i in range(count)
    ]  # fmt: skip
    return freshdesk.handle.bulk(tickets=rows)["tickets"]


def fault_mid_window(world: World, expected: HubSpotImage, *, in_process: bool = True) -> Outcome:
    """After a first load, `NEW_TICKETS` tickets arrive and two are updated; the night's
    pull reads its first page, then every retry of the next answers 503: the pull fails
    (nothing of it kept), the rerun takes everything once, and a night with nothing new
    costs three listing requests and no ticket write."""
    outcome, run, started = _begin(world, "fd-mid-window", f"{FAILING_PAGES} x 503 on page 2 "
                                   "of the tickets pull, then a rerun")  # fmt: skip
    freshdesk = freshdesk_of(world)
    sync = _sync(world, run, in_process)
    # `moulin-sync sync` first checks the key with one ticket list request of its own.
    probes = 0 if in_process else 1
    outcome.problems += _ran(sync("first"), "the first load")
    new_tickets(freshdesk, NEW_TICKETS)
    for i in (0, 1):
        freshdesk.handle.update_ticket(FIRST_TICKET_ID + i, subject=f"Mise à jour {i}", status=4)
    freshdesk.handle.admin.add_fault(kind="status", status=503, method="GET", route=LIST,
                                     skip=1 + probes, count=FAILING_PAGES)  # fmt: skip
    freshdesk.handle.admin.reset_stats()
    night = sync("night")
    outcome.faults = FAILING_PAGES
    outcome.notes.append(f"the night's pull: {freshdesk.listing_requests(200)} page(s) read, "
                         f"{freshdesk.listing_requests(503)} 503s")  # fmt: skip
    if night.ok:
        outcome.problems.append("the night succeeded though the pull could not finish")
    elif "freshdesk" not in night.failure_text().lower():
        outcome.problems.append(f"the failure does not name Freshdesk: {night.failure_text()}")
    freshdesk.handle.admin.clear_faults()
    outcome.problems += _ran(sync("rerun"), "the rerun")
    world.hubspot.admin.reset_stats()
    freshdesk.handle.admin.reset_stats()
    outcome.problems += _ran(sync("nothing-new"), "the night with nothing new")
    requests = freshdesk.listing_requests()
    # HubSpot counts by route template: a write of any object (none is due) counts.
    writes = sum(world.hubspot.admin.count("POST", f"/crm/v3/objects/{{objectType}}/batch/{verb}")
                 for verb in ("create", "update", "upsert", "archive"))  # fmt: skip
    outcome.notes.append(f"nothing new: {requests} listing request(s), {writes} record write(s)")
    # Three listings: the tickets, the trash, the spam.
    if requests != 3 + probes or writes:
        outcome.problems.append(f"a night with nothing new made {requests} Freshdesk requests "
                                f"and {writes} record writes (want {3 + probes} and 0)")  # fmt: skip
    return _done(_judge(world, run, expected, outcome, changed=True), started)


# A 429 with Retry-After ----------------------------------------------------------------------


def retry_after_429(world: World, expected: HubSpotImage) -> Outcome:
    """On the enterprise plan's limits, the tickets list's credits are spent by another
    integration as the pull reaches its second page: Freshdesk answers 429 with its
    Retry-After (up to a minute), the pull waits it out and finishes; nothing lost."""
    outcome, run, started = _begin(world, "fd-429", "a 429 with Retry-After on the tickets "
                                   "list, ridden out")  # fmt: skip
    freshdesk = freshdesk_of(world)
    freshdesk.handle.set_plan("enterprise")
    freshdesk.handle.admin.add_fault(kind="status", status=429, policy="tickets_list",
                                     method="GET", route=LIST, skip=1, count=1)  # fmt: skip
    result = world.materialize(run)
    outcome.faults = 1
    refused = freshdesk.listing_requests(429)
    waited = (result.metadata.get("freshdesk/tickets") or {}).get("retry_after_seconds")
    outcome.notes.append(f"{refused} 429(s); the pull waited {waited} s as Retry-After said")
    if refused != 1:
        outcome.problems.append(f"the pull met {refused} 429s (want 1): it proved nothing")
    outcome.problems += _ran(result, "the run (it should ride the 429 out)")
    return _done(_judge(world, run, expected, outcome), started)


# A ticket deleted in Freshdesk ---------------------------------------------------------------


def deleted_ticket_archived(world: World, expected: HubSpotImage, *,
                            in_process: bool = True) -> Outcome:  # fmt: skip
    """After a first load, an agent deletes two tickets and updates another's subject and
    status: the next night archives the two in HubSpot and updates the third, in place."""
    outcome, run, started = _begin(world, "fd-deleted", "tickets deleted in Freshdesk archived")
    freshdesk = freshdesk_of(world)
    sync = _sync(world, run, in_process)
    outcome.problems += _ran(sync("first"), "the first load")
    written = sorted(capture(world.hubspot).records[TICKETS_STREAM], key=int)
    if len(written) < 3:
        outcome.problems.append("the first load wrote fewer than three tickets")
        return _done(outcome, started)
    deleted, updated = written[:2], written[2]
    for key in deleted:
        freshdesk.handle.delete_ticket(int(key))
    freshdesk.handle.update_ticket(int(updated), subject="Sujet corrigé", status=5)
    outcome.faults = 2
    outcome.problems += _ran(sync("night"), "the night after the deletion")
    image = capture(world.hubspot)
    unarchived = [key for key in deleted if key not in image.archived[TICKETS_STREAM]]
    if unarchived:
        outcome.problems.append(f"tickets {unarchived} deleted in Freshdesk are not archived")
    outcome.notes.append(f"archived {deleted}; ticket {updated}: "
                         f"{(image.values(TICKETS_STREAM, updated) or {}).get('subject')!r}")  # fmt: skip
    # The expected HubSpot now: the reference with the two deleted tickets archived.
    archived = {**expected.archived,
                TICKETS_STREAM: [*expected.archived[TICKETS_STREAM], *deleted]}  # fmt: skip
    now_expected = dataclasses.replace(expected, archived=archived)
    return _done(_judge(world, run, now_expected, outcome, changed=True), started)


def scenarios(world: World, reference: Reference) -> Iterator[Outcome | None]:
    """The whole Freshdesk part of `make reliability`, the real command where it can be."""
    yield crash_between_pull_and_write(world, reference.image)
    yield from ticket_write_faults(world, reference)
    yield fault_mid_window(world, reference.image, in_process=False)
    yield retry_after_429(world, reference.image)
    yield deleted_ticket_archived(world, reference.image, in_process=False)
