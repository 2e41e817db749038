"""A sample of the Freshdesk ticket faults (all of them: `make reliability --only freshdesk`).

The world has Freshdesk on (its own, beside the session's Typeform world): every HubSpot
ticket is judged against Freshdesk itself — one per Freshdesk ticket of a customer, with
the latest subject and stage, none lost, none twice, none of a deleted ticket left live.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from moulin_sync.testing.hubspot_emulator import EmulatorHandle
from moulin_sync.testing.reliability.crash_matrix import CrashMatrix, Reference, reference_run
from moulin_sync.testing.reliability.freshdesk_world import (
    TICKETS_STREAM,
    FreshdeskService,
    freshdesk_service,
)
from moulin_sync.testing.reliability.harness import MONTHS, World
from moulin_sync.testing.reliability.oracle import audit_reference
from moulin_sync.testing.reliability.scenarios import freshdesk as scenarios
from moulin_sync.testing.reliability.services import scenario_files


@pytest.fixture(scope="module")
def freshdesk(reliability_root: Path, source_url: str) -> Iterator[FreshdeskService]:
    with freshdesk_service(reliability_root / "freshdesk", source_url) as service:
        yield service


@pytest.fixture(scope="module")
def fd_world(
    reliability_root: Path, source_url: str, hubspot: EmulatorHandle, freshdesk: FreshdeskService
) -> World:
    return World(reliability_root / "runs-freshdesk", source_url, hubspot, MONTHS, (freshdesk,))


@pytest.fixture(scope="module")
def fd_reference(fd_world: World) -> Reference:
    return reference_run(fd_world, in_process=True)


def test_the_reference_holds_each_customers_ticket_once_and_the_audit_sees_faults(
    fd_world: World, fd_reference: Reference, freshdesk: FreshdeskService, source_url: str
) -> None:
    image = fd_reference.image
    assert audit_reference(image, source_url, MONTHS, fd_world.audits()) == []
    assert len(image.records[TICKETS_STREAM]) > 100, "the first pull pages (100 a page)"
    assert scenarios in scenario_files(), "make reliability finds the Freshdesk scenarios"
    broken = copy.deepcopy(image)
    first, second, third = sorted(broken.records[TICKETS_STREAM], key=int)[:3]
    del broken.records[TICKETS_STREAM][first]
    broken.records[TICKETS_STREAM][second] *= 2
    stale = json.loads(broken.records[TICKETS_STREAM][third][0])
    stale["properties"]["subject"] = "Un ancien sujet"
    broken.records[TICKETS_STREAM][third] = [json.dumps(stale, sort_keys=True)]
    verdict = freshdesk.audit(broken, source_url=source_url)
    assert (verdict.lost, verdict.duplicates, verdict.mismatched) == (1, 1, 1), verdict.describe()


def test_the_answer_of_a_tickets_write_is_lost(fd_world: World, fd_reference: Reference) -> None:
    outcome = CrashMatrix(fd_world, fd_reference.image).drop(
        1, route=scenarios.TICKET_WRITES, in_process=True
    )
    assert outcome is not None, "the run made no tickets write"
    assert outcome.passed, outcome.describe()


def test_a_fault_mid_window_then_a_rerun(fd_world: World, fd_reference: Reference) -> None:
    outcome = scenarios.fault_mid_window(fd_world, fd_reference.image)
    assert outcome.faults == scenarios.FAILING_PAGES
    assert outcome.passed, outcome.describe()


def test_a_ticket_deleted_in_freshdesk_is_archived(
    fd_world: World, fd_reference: Reference
) -> None:
    outcome = scenarios.deleted_ticket_archived(fd_world, fd_reference.image)
    assert outcome.passed, outcome.describe()
    assert any("'Sujet corrigé'" in note for note in outcome.notes), outcome.notes
