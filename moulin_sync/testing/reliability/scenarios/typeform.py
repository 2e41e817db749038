"""Typeform NPS faults: a crash between the pull and the HubSpot write, an NPS write whose
answer is lost, a fault mid-paging of the pull and a rerun, a 429 storm at Typeform's
2 requests/s, an older answer arriving late.

Each ends with the oracle: HubSpot's records against the reference (the streams whose
source the scenario changed aside) and every contact's NPS against Typeform itself — the
latest answer per customer, none lost, none on a contact twice, none older over a newer.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx

from moulin_sync.sources.typeform.client import MAX_RETRIES
from moulin_sync.testing.reliability.crash_matrix import CrashMatrix, Reference
from moulin_sync.testing.reliability.harness import RUN_TIMEOUT_S, RunResult, World, in_background
from moulin_sync.testing.reliability.oracle import HubSpotImage, Verdict, capture, verify
from moulin_sync.testing.reliability.outcomes import Outcome
from moulin_sync.testing.reliability.typeform_world import (
    FORM,
    NPS_STREAM,
    RESPONSES,
    TypeformService,
    answer_item,
    typeform_service,
)

NAME = "typeform"
FAMILY = "Typeform NPS"
# The NPS stream writes on contacts by update: the contacts stream creates them.
NPS_WRITES = "/crm/v3/objects/contacts/batch/update"
NEW_ANSWERS = 1_500  # arriving between two nights: two pages of the incremental pull


def service(root: Path, source_url: str) -> AbstractContextManager[TypeformService]:
    return typeform_service(root, source_url)


def typeform_of(world: World) -> TypeformService:
    found = [s for s in world.services if isinstance(s, TypeformService)]
    assert found, "this world has no Typeform: start it with typeform_service()"
    return found[0]


def _judge(
    world: World, run: Path, expected: HubSpotImage, outcome: Outcome, *, changed: bool = False
) -> Outcome:
    """The oracle; `changed`: Typeform got new answers, so NPS is judged against Typeform
    alone (the reference predates them)."""
    skip = (NPS_STREAM,) if changed else ()
    verdict = verify(
        expected, world.hubspot, world.state_url(run), audits=world.audits(), skip=skip
    )
    outcome.verdict = verdict
    return outcome


def _begin(world: World, folder: str, name: str) -> tuple[Outcome, Path, float]:
    started = time.monotonic()
    world.reset_hubspot()
    return Outcome(FAMILY, name, 0, Verdict()), world.run_dir(folder), started


def _done(outcome: Outcome, started: float) -> Outcome:
    outcome.seconds = time.monotonic() - started
    return outcome


def _ran(result: RunResult, what: str) -> list[str]:
    return [] if result.ok else [f"{what} failed: {result.failure_text()}"]


def _nps_lost(world: World) -> int:
    return typeform_of(world).audit(capture(world.hubspot), source_url=world.source_url).lost


# A crash between the pull and the write ------------------------------------------------------


def crash_between_pull_and_write(world: World, expected: HubSpotImage, *,
                                 in_process_rerun: bool = False) -> Outcome:  # fmt: skip
    """`moulin-sync sync` SIGKILLed once Typeform was pulled, as its first NPS write is
    refused (a 503: nothing executed) and the run waits to retry it; then rerun. (A write
    held by a `hang` fault would still be executed by HubSpot after the kill.)"""
    outcome, run, started = _begin(world, "tf-crash-pull-write", "SIGKILL between the "
                                   "Typeform pull and the HubSpot write")  # fmt: skip
    admin = world.hubspot.admin
    fault = admin.add_fault(kind="status", status=503, route=NPS_WRITES, count=1_000)
    process = world.start(run, "killed")
    hit = admin.wait_for_fault(fault["id"], timeout=RUN_TIMEOUT_S, still_waiting=process.running)
    if hit is None:
        process.wait()
        outcome.problems.append("the run never wrote NPS answers")
        return _done(outcome, started)
    process.kill()
    outcome.faults = 2
    admin.clear_faults()
    outcome.left_missing = _nps_lost(world)
    outcome.notes.append(f"left by the kill: {outcome.left_missing} answers not on contacts")
    if not outcome.left_missing:
        outcome.problems.append("the kill left every answer written: it proved nothing")
    rerun = world.materialize(run) if in_process_rerun else world.sync(run, "rerun")
    outcome.problems += _ran(rerun, "the rerun")
    return _done(_judge(world, run, expected, outcome), started)


# Faults at each NPS write --------------------------------------------------------------------


def nps_write_faults(world: World, reference: Reference) -> Iterator[Outcome | None]:
    """The crash matrix on the NPS writes alone: killed after the k-th committed, and the
    k-th's answer lost, for every k."""
    matrix = CrashMatrix(world, reference.image)
    for fault in (matrix.kill, matrix.drop):
        k = 1
        while (outcome := fault(k, route=NPS_WRITES)) is not None:
            outcome.family = f"{FAMILY}: {outcome.family.split(': ')[-1]}"
            yield outcome
            k += 1


# A fault mid-paging, then a rerun ------------------------------------------------------------


def new_answers(world: World, count: int, *, after: dt.datetime) -> list[dict]:
    """`count` answers of the customers with a contact, each newer than `after`, two
    minutes apart (fewer than 1,000 a day: the pull's look-back then fits a page)."""
    rng = random.Random(f"new-answers:{count}")
    customers = sorted(capture(world.hubspot).records["contacts"], key=int)
    return [
        answer_item(
            after + dt.timedelta(minutes=2 * (i + 1)),
            rng.choice(customers),
            rng.randint(0, 10),
            f"Nouvel avis {i}.",
            rng,
        )
        for i in range(count)
    ]


def fault_mid_paging(world: World, expected: HubSpotImage, *, failures: int = MAX_RETRIES + 1,
                     in_process: bool = True) -> Outcome:  # fmt: skip
    """After a first load, `NEW_ANSWERS` arrive (two pages); the night's pull gets its
    first page, then `failures` errors on the next: more than the client's retries fail
    the pull (nothing of it kept), fewer are ridden out. A rerun, then a night with nothing
    new (one request, no NPS write: nothing written twice)."""
    rides = failures <= MAX_RETRIES
    name = f"{failures} x 503 on page 2 of the pull ({'ridden out' if rides else 'rerun'})"
    outcome, run, started = _begin(world, f"tf-paging-{failures}", name)
    typeform = typeform_of(world)
    sync = (lambda tag: world.materialize(run)) if in_process else (
        lambda tag: world.sync(run, tag))  # fmt: skip
    outcome.problems += _ran(sync("first"), "the first load")
    typeform.submit(new_answers(world, NEW_ANSWERS, after=typeform.newest()))
    typeform.handle.admin.add_fault(kind="status", status=503, method="GET", route=RESPONSES,
                                    skip=1, count=failures)  # fmt: skip
    typeform.handle.admin.reset_stats()
    night = sync("night")
    outcome.faults = failures
    outcome.notes.append(f"the night's pull: {typeform.listing_requests()} listing requests")
    if rides:
        outcome.problems += _ran(night, "the night (within the client's retries)")
    elif night.ok:
        outcome.problems.append("the night succeeded though the pull could not finish")
    elif "typeform" not in night.failure_text().lower():
        outcome.problems.append(f"the failure does not name Typeform: {night.failure_text()}")
    typeform.handle.admin.clear_faults()
    if not rides:
        outcome.problems += _ran(sync("rerun"), "the rerun")
    world.hubspot.admin.reset_stats()
    typeform.handle.admin.reset_stats()
    quiet = sync("nothing-new")
    outcome.problems += _ran(quiet, "the night with nothing new")
    requests, nps_writes = typeform.listing_requests(), world.hubspot.admin.count(
        "POST", "/crm/v3/objects/{objectType}/batch/update")  # fmt: skip
    outcome.notes.append(f"nothing new: {requests} request(s), {nps_writes} contact update(s)")
    if requests != 1 or nps_writes:
        outcome.problems.append(f"a night with nothing new made {requests} Typeform requests "
                                f"and {nps_writes} contact updates (want 1 and 0)")  # fmt: skip
    return _done(_judge(world, run, expected, outcome, changed=True), started)


# A 429 storm at 2 requests/s -----------------------------------------------------------------


def storm_429(world: World, expected: HubSpotImage, *, storm_s: float = 4.0) -> Outcome:
    """As the first pull starts, another integration with the same token spends Typeform's
    2 requests/s for `storm_s` (the burst at once, then 2 a second): the pull sees 429s,
    waits as Retry-After says, and nothing is lost; a rerun finishes whatever failed."""
    outcome, run, started = _begin(world, "tf-429", f"429 storm at 2/s for {storm_s:.0f} s")
    typeform = typeform_of(world)
    admin = typeform.handle.admin
    trigger = admin.add_fault(kind="hang", seconds=0.3, method="GET", route=RESPONSES)
    theirs = [0]
    stop = threading.Event()

    def competitor() -> None:
        headers = {"Authorization": f"Bearer {typeform.handle.token}"}
        with httpx.Client(base_url=typeform.handle.base_url, headers=headers, timeout=10) as http:
            for _ in range(25):  # the burst, spent at once
                http.get(FORM)
                theirs[0] += 1
            while not stop.wait(0.5):
                http.get(FORM)
                theirs[0] += 1

    with in_background(lambda: world.materialize(run)) as wait:
        fired = admin.wait_for_fault(trigger["id"], timeout=RUN_TIMEOUT_S, still_waiting=wait.alive)
        if fired is not None:
            thread = threading.Thread(target=competitor, daemon=True)
            thread.start()
            time.sleep(storm_s)
            stop.set()
            thread.join(30)
        result = wait()
    ours = admin.count("GET", "/forms/{form_id}/responses", 429)
    outcome.faults = 1 + theirs[0]
    outcome.notes.append(f"the pull saw {ours} 429s; the other integration made {theirs[0]} "
                         f"calls ({admin.count('GET', '/forms/{form_id}', 429)} 429s)")  # fmt: skip
    if fired is None:
        outcome.problems.append("the pull never started")
    if not ours:
        outcome.problems.append("no 429 reached the pull: the storm proved nothing")
    if result is None or not result.ok:
        outcome.notes.append(f"the run failed: {result.failure_text()[:300] if result else '?'}")
        admin.clear_faults()
        outcome.problems += _ran(world.materialize(run), "the rerun after the storm")
    return _done(_judge(world, run, expected, outcome), started)


# An older answer arriving late ---------------------------------------------------------------


def late_older_answer(world: World, expected: HubSpotImage, *, in_process: bool = True) -> Outcome:
    """A customer answers again (newer), the next night writes it; then an older answer of
    theirs is listed late (Typeform's listing delay), with a first answer of another
    customer: the newer one must stay, the other customer's must be written."""
    outcome, run, started = _begin(world, "tf-late", "an older answer arriving late")
    typeform = typeform_of(world)
    sync = (lambda tag: world.materialize(run)) if in_process else (
        lambda tag: world.sync(run, tag))  # fmt: skip
    outcome.problems += _ran(sync("first"), "the first load")
    image = capture(world.hubspot)
    answered = sorted(image.records[NPS_STREAM], key=int)
    silent = sorted(set(image.records["contacts"]) - set(answered), key=int)
    if not answered or not silent:
        outcome.problems.append("no customer with an answer, or none without")
        return _done(outcome, started)
    rng = random.Random("late")
    mark = typeform.newest()
    newer = answer_item(mark + dt.timedelta(hours=2), answered[0], 10, "Encore mieux.", rng)
    typeform.submit([newer])
    outcome.problems += _ran(sync("newer"), "the night of the newer answer")
    typeform.submit([
        answer_item(mark + dt.timedelta(hours=1), answered[0], 1, "Déçu (ancien).", rng),
        answer_item(mark + dt.timedelta(minutes=30), silent[0], 8, "Bien.", rng),
    ])  # fmt: skip
    outcome.faults = 1
    outcome.problems += _ran(sync("late"), "the night of the late answers")
    held = capture(world.hubspot).values(NPS_STREAM, answered[0]) or {}
    outcome.notes.append(f"customer {answered[0]}: {held.get('nps_score')} of "
                         f"{held.get('nps_submitted_at')}")  # fmt: skip
    return _done(_judge(world, run, expected, outcome, changed=True), started)


def scenarios(world: World, reference: Reference) -> Iterator[Outcome | None]:
    """The whole Typeform part of `make reliability`, the real command where it can be."""
    yield crash_between_pull_and_write(world, reference.image)
    yield from nps_write_faults(world, reference)
    yield fault_mid_paging(world, reference.image, in_process=False)
    yield fault_mid_paging(world, reference.image, failures=2, in_process=False)
    yield storm_429(world, reference.image)
    yield late_older_answer(world, reference.image, in_process=False)
